import Testing
@testable import EddyBroker
import EddyProtocol

@Suite("Group coordinator: join, sync, heartbeat, leave")
struct GroupCoordinatorTests {
    @Test("join -> sync -> Stable for 1 to 5 members", arguments: 1...5)
    func fullFlow(n: Int) throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        var ids: [String] = []
        var tokens: [GroupRequestToken] = []
        for i in 0..<n {
            let (id, t) = h.joinNew(clientId: "client-\(i)")
            #expect(id.hasPrefix("client-\(i)-"))
            ids.append(id)
            tokens.append(t)
        }
        #expect(h.state == .preparingRebalance)
        // The initial delay holds the join phase open: nobody has a response yet.
        h.advance(to: 2_999)
        #expect(tokens.allSatisfy { h.joins[$0] == nil })
        h.advance(to: 6_000)
        #expect(h.state == .completingRebalance)
        let results = try tokens.map { try #require(h.joins[$0]) }
        #expect(results.allSatisfy { $0.error == .none && $0.generationId == 1 && $0.protocolName == "range" })
        #expect(results.allSatisfy { $0.leaderId == ids[0] })
        #expect(results[0].members.map(\.memberId) == ids)
        #expect(results.dropFirst().allSatisfy { $0.members.isEmpty })

        // Followers sync first and wait for the leader.
        let followerTokens = ids.dropFirst().map { h.sync($0, generation: 1) }
        #expect(followerTokens.allSatisfy { h.syncs[$0] == nil })
        let assignments = Dictionary(uniqueKeysWithValues: ids.map { ($0, GroupHarness.assignment(for: $0)) })
        let leaderToken = h.sync(ids[0], generation: 1, assignments: assignments)
        #expect(h.state == .stable)
        for (id, t) in zip(ids, [leaderToken] + followerTokens) {
            let r = try #require(h.syncs[t])
            #expect(r.error == .none)
            #expect(r.assignment == GroupHarness.assignment(for: id))
        }
        for id in ids { #expect(h.heartbeat(id, generation: 1) == .none) }

        let d = h.coordinator.describeGroup("g")
        #expect(d.state == .stable && d.protocolType == "consumer" && d.protocolName == "range")
        #expect(d.members.map(\.memberId) == ids)
        #expect(d.members.map(\.clientId) == (0..<n).map { "client-\($0)" })
        #expect(d.members.map(\.assignment) == ids.map(GroupHarness.assignment(for:)))
        #expect(h.coordinator.listGroups().map(\.state) == [.stable])
    }

    @Test func unknownMemberIdsAreRejected() {
        var h = GroupHarness()
        let t = h.join(h.request(memberId: "nobody"))
        #expect(h.joins[t]?.error == .unknownMemberId)
        _ = h.formStableGroup(1)
        let t2 = h.join(h.request(memberId: "nobody"))
        #expect(h.joins[t2]?.error == .unknownMemberId)
        #expect(h.heartbeat("nobody", generation: 1) == .unknownMemberId)
        #expect(h.syncs[h.sync("nobody", generation: 1)]?.error == .unknownMemberId)
        #expect(h.leave("nobody") == .unknownMemberId)
    }

    @Test func sessionTimeoutOutsideBrokerLimitsIsRejected() {
        var h = GroupHarness()
        #expect(h.joins[h.join(h.request(session: 5_999))]?.error == .invalidSessionTimeout)
        #expect(h.joins[h.join(h.request(session: 1_800_001))]?.error == .invalidSessionTimeout)
        #expect(h.joins[h.join(h.request(session: 6_000))]?.error == .memberIdRequired)
    }

    @Test func newMemberTriggersRebalanceAndGenerationBump() throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, gen) = h.formStableGroup(2)
        #expect(gen == 1)
        h.now = 10_000
        let (newId, newToken) = h.joinNew(clientId: "late")
        #expect(h.state == .preparingRebalance)
        #expect(h.heartbeat(ids[1], generation: 1) == .rebalanceInProgress)
        #expect(h.syncs[h.sync(ids[1], generation: 1)]?.error == .rebalanceInProgress)
        let t0 = h.join(h.request(memberId: ids[0], clientId: "client-0"))
        #expect(h.joins[t0] == nil)
        let t1 = h.join(h.request(memberId: ids[1], clientId: "client-1"))
        let r = try #require(h.joins[newToken])
        #expect(r.generationId == 2)
        #expect(h.joins[t0]?.members.map(\.memberId) == ids + [newId])
        #expect(h.joins[t1]?.leaderId == ids[0])
        #expect(h.heartbeat(ids[1], generation: 1) == .illegalGeneration)
        #expect(h.syncs[h.sync(ids[1], generation: 1)]?.error == .illegalGeneration)
        #expect(h.heartbeat(ids[1], generation: 2) == .none)
    }

    @Test func leaderLeavesAndANewLeaderIsElected() throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, _) = h.formStableGroup(3)
        #expect(h.leave(ids[0]) == .none)
        #expect(h.state == .preparingRebalance)
        let t1 = h.join(h.request(memberId: ids[1]))
        let t2 = h.join(h.request(memberId: ids[2]))
        let r1 = try #require(h.joins[t1])
        #expect(r1.generationId == 2)
        #expect(r1.leaderId == ids[1])
        #expect(r1.members.map(\.memberId) == [ids[1], ids[2]])
        #expect(h.joins[t2]?.members == [])
        // Everyone leaves: the group empties and the generation is bumped once more.
        #expect(h.leave(ids[1]) == .none)
        #expect(h.leave(ids[2]) == .none)
        #expect(h.state == .empty)
        #expect(h.group?.generationId == 3)
        #expect(h.group?.leaderId == nil)
    }

    @Test func pendingSyncFailsWhenARebalanceStarts() {
        var h = GroupHarness(initialDelayMs: 3_000)
        _ = h.joinNew(clientId: "a")
        _ = h.joinNew(clientId: "b")
        h.advance(to: 6_000)
        let follower = h.group!.memberOrder[1]
        let t = h.sync(follower, generation: 1)
        #expect(h.syncs[t] == nil)
        _ = h.joinNew(clientId: "c")
        #expect(h.syncs[t]?.error == .rebalanceInProgress)
    }

    @Test func sessionTimeoutExpiresAtTheExactDeadline() throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, _) = h.formStableGroup(2)
        let start = h.now
        #expect(h.heartbeat(ids[0], generation: 1) == .none)
        h.now = start + 4_000
        #expect(h.heartbeat(ids[1], generation: 1) == .none)
        // ids[0]'s session (10 s) ends at start + 10_000.
        h.advance(to: start + 9_999)
        #expect(h.state == .stable)
        #expect(h.group?.has(ids[0]) == true)
        h.advance(to: start + 10_000)
        #expect(h.group?.has(ids[0]) == false)
        #expect(h.state == .preparingRebalance)
        #expect(h.heartbeat(ids[0], generation: 1) == .unknownMemberId)
        #expect(h.heartbeat(ids[1], generation: 1) == .rebalanceInProgress)
        let t = h.join(h.request(memberId: ids[1]))
        #expect(h.joins[t]?.generationId == 2)
        #expect(h.joins[t]?.leaderId == ids[1])
    }

    @Test func rebalanceTimeoutCompletesTheJoinWithWhoeverRejoined() throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, _) = h.formStableGroup(3)
        h.now = 20_000
        // Keep sessions alive so only the rebalance timeout decides.
        for id in ids { _ = h.heartbeat(id, generation: 1) }
        let t0 = h.join(h.request(memberId: ids[0], protocols: GroupHarness.protocols(tag: 1)))
        #expect(h.state == .preparingRebalance)
        let t1 = h.join(h.request(memberId: ids[1]))
        // Rebalance timeout (max.poll.interval.ms) is 5 s: the join phase ends at 25_000.
        h.advance(to: 24_999)
        #expect(h.joins[t0] == nil && h.state == .preparingRebalance)
        h.advance(to: 25_000)
        #expect(h.state == .completingRebalance)
        #expect(h.joins[t0]?.members.map(\.memberId) == [ids[0], ids[1]])
        #expect(h.joins[t1]?.generationId == 2)
        #expect(h.group?.has(ids[2]) == false)
        #expect(h.heartbeat(ids[2], generation: 1) == .unknownMemberId)
    }

    @Test func syncTimeoutRemovesMembersThatNeverSynced() {
        var h = GroupHarness(initialDelayMs: 3_000)
        _ = h.joinNew(clientId: "a")
        _ = h.joinNew(clientId: "b")
        h.advance(to: 6_000)  // join completes at 6_000 (one extension), sync deadline 11_000
        let ids = h.group!.memberOrder
        let t = h.sync(ids[1], generation: 1)
        h.advance(to: 10_999)
        #expect(h.state == .completingRebalance)
        h.advance(to: 11_000)
        #expect(h.group?.has(ids[0]) == false)
        #expect(h.syncs[t]?.error == .rebalanceInProgress)
        #expect(h.state == .preparingRebalance)
    }

    @Test func staticMemberRejoinsWithoutRebalance() throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        let ta = h.join(h.request(instance: "instance-a", clientId: "a"))
        let tb = h.join(h.request(instance: "instance-b", clientId: "b"))
        h.advance(to: 3_000)
        h.advance(to: 5_000)
        let a = try #require(h.joins[ta]).memberId
        let b = try #require(h.joins[tb]).memberId
        #expect(a.hasPrefix("instance-a-"))
        h.sync(b, generation: 1, instance: "instance-b")
        h.sync(a, generation: 1, assignments: [a: [1], b: [2]], instance: "instance-a")
        #expect(h.state == .stable)
        let recordsBefore = h.records.count

        // b restarts: joins with no member id but the same instance id and protocols.
        let t = h.join(h.request(instance: "instance-b", clientId: "b"))
        let r = try #require(h.joins[t])
        #expect(r.error == .none)
        #expect(r.generationId == 1)
        #expect(r.memberId != b && r.memberId.hasPrefix("instance-b-"))
        #expect(r.leaderId == a)
        #expect(h.state == .stable)
        #expect(h.records.count == recordsBefore + 1)
        // The old id is fenced; the new one works and keeps the assignment.
        #expect(h.heartbeat(b, generation: 1, instance: "instance-b") == .fencedInstanceId)
        #expect(h.heartbeat(r.memberId, generation: 1, instance: "instance-b") == .none)
        #expect(h.syncs[h.sync(r.memberId, generation: 1, instance: "instance-b")]?.assignment == [2])

        // Rejoining with changed metadata but the same selected protocol does not rebalance
        // (as in Kafka: a restarted consumer's metadata names its owned partitions); the new
        // metadata is kept.
        let t2 = h.join(h.request(instance: "instance-b", clientId: "b", protocols: GroupHarness.protocols(tag: 9)))
        let r2 = try #require(h.joins[t2])
        #expect(r2.error == .none)
        #expect(h.state == .stable)
        #expect(h.coordinator.groups[h.groupId]?.members[r2.memberId]?.protocols == GroupHarness.protocols(tag: 9))
    }

    @Test func staticMemberLeavesByInstanceId() {
        var h = GroupHarness()
        let t = h.join(h.request(instance: "i-1"))
        #expect(h.joins[t]?.error == ErrorCode.none)
        #expect(h.leave("", instance: "i-1") == .none)
        #expect(h.state == .empty)
        #expect(h.leave("", instance: "i-1") == .unknownMemberId)
    }

    @Test func protocolSelectionPicksWhatAllSupportByVote() throws {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (_, t0) = h.joinNew(protocols: GroupHarness.protocols(["roundrobin", "range", "sticky"]))
        _ = h.joinNew(protocols: GroupHarness.protocols(["range", "sticky"]))
        _ = h.joinNew(protocols: GroupHarness.protocols(["sticky", "range"]))
        // A member with nothing in common is refused, as is another protocol type.
        #expect(h.joins[h.join(h.request(protocols: GroupHarness.protocols(["cooperative-sticky"])))]?.error == .inconsistentGroupProtocol)
        #expect(h.joins[h.join(h.request(type: "connect"))]?.error == .inconsistentGroupProtocol)
        h.advance(to: 6_000)
        // Candidates: range, sticky. Votes: leader range, range, sticky -> range.
        #expect(try #require(h.joins[t0]).protocolName == "range")

        var tie = GroupHarness(groupId: "tie", initialDelayMs: 3_000)
        let (_, l) = tie.joinNew(protocols: GroupHarness.protocols(["sticky", "range"]))
        _ = tie.joinNew(protocols: GroupHarness.protocols(["range", "sticky"]))
        tie.advance(to: 6_000)
        // One vote each: the leader's preference wins.
        #expect(try #require(tie.joins[l]).protocolName == "sticky")
    }

    @Test func withoutInitialDelayTheFirstMemberCompletesAlone() throws {
        var h = GroupHarness()
        let (a, ta) = h.joinNew(clientId: "a")
        #expect(h.joins[ta]?.generationId == 1)
        h.sync(a, generation: 1, assignments: [a: [7]])
        #expect(h.state == .stable)
        let (b, tb) = h.joinNew(clientId: "b")
        #expect(h.joins[tb] == nil)
        #expect(h.heartbeat(a, generation: 1) == .rebalanceInProgress)
        let ta2 = h.join(h.request(memberId: a, clientId: "a"))
        #expect(h.joins[ta2]?.members.map(\.memberId) == [a, b])
        #expect(h.joins[tb]?.generationId == 2)
    }

    @Test func unusedPendingMemberIdExpires() {
        var h = GroupHarness()
        let t = h.join(h.request(session: 10_000))
        let id = h.joins[t]!.memberId
        h.advance(to: 10_000)
        #expect(h.group?.pendingMembers.isEmpty == true)
        #expect(h.joins[h.join(h.request(memberId: id))]?.error == .unknownMemberId)
    }
}
