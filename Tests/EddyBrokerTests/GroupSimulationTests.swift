import Testing
@testable import EddyBroker
import EddyProtocol

@Suite("Group coordinator: seeded random event sequences")
struct GroupSimulationTests {
    /// Random joins, rejoins, syncs, heartbeats, leaves, commits and time steps; after every
    /// step the group's invariants hold, and a Stable group's members all hold the generation's assignment.
    @Test(arguments: 1...20)
    func randomEventsKeepInvariants(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var h = GroupHarness(initialDelayMs: seed.isMultiple(of: 2) ? 0 : 3_000, seed: seed)
        var known: [String] = []
        for step in 0..<300 {
            let gen = h.group?.generationId ?? 0
            let pick = known.isEmpty ? nil : known[Int(rng.next() % UInt64(known.count))]
            switch rng.next() % 8 {
            case 0:
                known.append(h.joinNew(clientId: "c\(step)").0)
            case 1:
                if let pick { h.join(h.request(memberId: pick)) }
            case 2:
                if let pick {
                    let assignments = Dictionary(uniqueKeysWithValues: known.map { ($0, GroupHarness.assignment(for: $0)) })
                    h.sync(pick, generation: gen, assignments: assignments)
                }
            case 3, 4:
                if let pick { _ = h.heartbeat(pick, generation: gen) }
            case 5:
                if let pick, rng.next() % 3 == 0 { _ = h.leave(pick) }
            case 6:
                if let pick { _ = h.commit(pick, generation: gen, [TopicPartition("t", 0): Int64(step)]) }
            default:
                h.advance(to: h.now + Int64(rng.next() % 4_000))
            }
            guard let g = h.group else { continue }
            let broken = g.invariantViolations()
            #expect(broken.isEmpty, "seed=\(seed) step=\(step): \(broken)")
            if g.state == .stable {
                let wrong = g.members.values.filter { $0.assignment != GroupHarness.assignment(for: $0.memberId) }
                #expect(wrong.isEmpty, "seed=\(seed) step=\(step): stable members without their assignment")
            }
            if !broken.isEmpty { return }
        }
    }
}
