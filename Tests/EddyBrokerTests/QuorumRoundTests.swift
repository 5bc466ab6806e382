import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// A broker start that gives the quorum its majority back commits at once: the voter that
/// started knows its leader and has no fetch in flight, and the commit round must have it
/// fetch (stress-serve seed 8300024: `broker start` failed with REQUEST_TIMED_OUT, "2 of 3
/// voters run and 2 must", although a tick later the change committed).
@Suite struct QuorumRoundTests {
    /// Two of three combined nodes go down, stopped or killed (each way, each order, with or
    /// without driver ticks between), then the first comes back.
    @Test(arguments: 0 ..< 24)
    func aStartThatRestoresTheMajorityCommitsAtOnce(variant: Int) throws {
        let s = try ServedCluster { $0.controllerQuorum = ControllerQuorumOptions(count: 3, combined: true) }
        defer { s.close() }
        _ = try s.topicWithRecords(["a", "b"])
        let a = Int32(variant % 3), b = (a + 1 + Int32(variant / 12)) % 3
        let killA = variant & 4 != 0, killB = variant & 8 != 0
        if killA { try s.cluster.killBroker(a, fenceNow: true) } else { try s.cluster.stopBroker(a) }
        for _ in 0 ..< variant % 4 {
            s.clock.advance(ms: 100)
            s.cluster.tick()
        }
        // The second may be refused or left unfenced (no majority); it is down either way.
        if killB { try? s.cluster.killBroker(b, fenceNow: true) } else { try? s.cluster.stopBroker(b) }
        #expect(!s.cluster.runningBrokers.contains(b))
        let how = "\(a) \(killA ? "killed" : "stopped"), then \(b) \(killB ? "killed" : "stopped")"
        do {
            try s.cluster.startBroker(a)
        } catch {
            Issue.record("\(how): starting \(a) failed: \(error)")
        }
        #expect(s.cluster.runningBrokers.contains(a), "\(how)")
    }
}
