import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// The group APIs served by a cluster through its transport: FindCoordinator, JoinGroup,
/// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit/Fetch, Describe/List/DeleteGroups.
@Suite struct GroupServingTests {
    /// Two members join, the leader assigns, both get their share; heartbeats are accepted.
    /// Returns the coordinator, the two member ids (leader first) and the generation.
    func stableGroupOfTwo(_ s: ServedCluster, group: String = "g") throws -> (coordinator: Int32, a: String, b: String, generation: Int32) {
        let c = try s.coordinator(of: group)
        let (a, joinA) = try s.joinNewMember(group, at: c, clientId: "ca")
        // Alone, `a` completes the join at once (group.initial.rebalance.delay.ms 0).
        let first = try #require(joinA.joinResponse)
        #expect(first.errorCode == .none)
        #expect(first.generationId == 1 && first.leader == a && first.members.map(\.memberId) == [a])
        guard case let .syncGroup(sync1) = try s.call(.syncGroup(SyncGroupRequest(
            groupId: group, generationId: 1, memberId: a, assignments: [.init(memberId: a, assignment: [1])])), to: c) else {
            throw TestFailure("not a SyncGroup response")
        }
        #expect(sync1.errorCode == .none && sync1.assignment == [1])

        // `b` joins: it waits until `a` rejoins, which `a` learns from its heartbeat.
        let (b, joinB) = try s.joinNewMember(group, at: c, clientId: "cb")
        #expect(!joinB.isAnswered)
        #expect(try s.heartbeat(group, member: a, generation: 1, at: c) == .rebalanceInProgress)
        let rejoinA = s.send(.joinGroup(s.join(group, memberId: a, clientId: "ca")), to: c)
        let ja = try #require(rejoinA.joinResponse)
        let jb = try #require(joinB.joinResponse)
        #expect(ja.errorCode == .none && jb.errorCode == .none)
        #expect(ja.generationId == 2 && jb.generationId == 2)
        #expect(ja.leader == a && jb.leader == a && ja.protocolName == "range")
        #expect(Set(ja.members.map(\.memberId)) == [a, b])
        #expect(jb.members.isEmpty)

        // The follower's SyncGroup waits for the leader's, which carries both assignments.
        let syncB = s.send(.syncGroup(SyncGroupRequest(groupId: group, generationId: 2, memberId: b)), to: c)
        #expect(!syncB.isAnswered)
        guard case let .syncGroup(syncA) = try s.call(.syncGroup(SyncGroupRequest(
            groupId: group, generationId: 2, memberId: a,
            assignments: [.init(memberId: a, assignment: [0xA]), .init(memberId: b, assignment: [0xB])])), to: c) else {
            throw TestFailure("not a SyncGroup response")
        }
        #expect(syncA.errorCode == .none && syncA.assignment == [0xA])
        let sb = try #require(syncB.syncResponse)
        #expect(sb.errorCode == .none && sb.assignment == [0xB] && sb.protocolName == "range")
        #expect(try s.heartbeat(group, member: a, generation: 2, at: c) == .none)
        #expect(try s.heartbeat(group, member: b, generation: 2, at: c) == .none)
        return (c, a, b, 2)
    }

    @Test func joinSyncHeartbeatRoundTripWithTwoMembers() throws {
        let s = try ServedCluster(); defer { s.close() }
        let (c, a, b, generation) = try stableGroupOfTwo(s)
        let d = try s.describe("g", at: c)
        #expect(d.errorCode == .none && d.groupState == "Stable" && d.protocolType == "consumer" && d.protocolData == "range")
        #expect(d.members.map(\.memberId) == [a, b])
        #expect(d.members.map(\.clientId) == ["ca", "cb"])
        #expect(d.members.map(\.memberAssignment) == [[0xA], [0xB]])
        #expect(try s.heartbeat("g", member: a, generation: generation - 1, at: c) == .illegalGeneration)
        #expect(try s.heartbeat("g", member: "nobody", generation: generation, at: c) == .unknownMemberId)

        guard case let .listGroups(list) = try s.call(.listGroups(ListGroupsRequest()), to: c) else { throw TestFailure("not ListGroups") }
        #expect(list.errorCode == .none)
        #expect(list.groups == [.init(groupId: "g", protocolType: "consumer", groupState: "Stable", groupType: "classic")])
        guard case let .listGroups(filtered) = try s.call(.listGroups(ListGroupsRequest(statesFilter: ["empty"])), to: c) else {
            throw TestFailure("not ListGroups")
        }
        #expect(filtered.groups.isEmpty)

        // `b` leaves: `a` must rejoin, alone in generation 3.
        guard case let .leaveGroup(leave) = try s.call(.leaveGroup(LeaveGroupRequest(groupId: "g", member: b)), to: c) else {
            throw TestFailure("not LeaveGroup")
        }
        #expect(leave.errorCode == .none && leave.members.map(\.errorCode) == [.none])
        #expect(try s.heartbeat("g", member: a, generation: generation, at: c) == .rebalanceInProgress)
        let rejoin = s.send(.joinGroup(s.join("g", memberId: a, clientId: "ca")), to: c)
        let r = try #require(rejoin.joinResponse)
        #expect(r.generationId == generation + 1 && r.members.map(\.memberId) == [a])
    }

    @Test func aSilentMemberExpiresAfterItsSessionTimeout() throws {
        let s = try ServedCluster(); defer { s.close() }
        let (c, a, b, generation) = try stableGroupOfTwo(s)
        s.advance(6_000)
        #expect(try s.heartbeat("g", member: a, generation: generation, at: c) == .none)
        #expect(s.cluster.nextDeadlineMs != nil)
        s.advance(4_500) // b's session (10 s since its sync) has run out; a's has not
        #expect(try s.heartbeat("g", member: a, generation: generation, at: c) == .rebalanceInProgress)
        let d = try s.describe("g", at: c)
        #expect(d.groupState == "PreparingRebalance")
        #expect(d.members.map(\.memberId) == [a])
        #expect(!d.members.contains { $0.memberId == b })
        let rejoin = s.send(.joinGroup(s.join("g", memberId: a, clientId: "ca")), to: c)
        #expect(try #require(rejoin.joinResponse).generationId == generation + 1)
        // A JoinGroup waiting for a member that never comes is answered when the rebalance
        // timeout (5 s) ends the join phase.
        let (late, lateJoin) = try s.joinNewMember("g", at: c, clientId: "cc")
        #expect(!lateJoin.isAnswered)
        s.advance(5_001)
        let answered = try #require(lateJoin.joinResponse)
        #expect(answered.errorCode == .none && answered.memberId == late && answered.generationId == generation + 2)
    }

    @Test func commitAndFetchOffsets() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 2, replicationFactor: 3)
        let (c, a, _, generation) = try stableGroupOfTwo(s)
        let t0 = TopicPartition("t", 0), t1 = TopicPartition("t", 1)
        #expect(try s.commit("g", t0, offset: 42, generation: generation, member: a, at: c) == .none)
        #expect(try s.commit("g", t1, offset: 7, generation: generation, member: a, at: c) == .none)
        #expect(try s.commit("g", t0, offset: 43, generation: generation, member: a, at: c) == .none)
        let p0 = try #require(try s.committed("g", t0, at: c))
        #expect(p0.committedOffset == 43 && p0.metadata == "m43" && p0.errorCode == .none)
        #expect(try s.committed("g", TopicPartition("t", 5), at: c)?.committedOffset == -1)
        // All topics (nil) lists every committed partition.
        guard case let .offsetFetch(all) = try s.call(.offsetFetch(OffsetFetchRequest(groupId: "g", topics: nil)), to: c) else {
            throw TestFailure("not OffsetFetch")
        }
        #expect(all.topics.map(\.name) == ["t"])
        #expect(all.topics.first?.partitions.map(\.committedOffset) == [43, 7])
        // The group form answers per group.
        guard case let .offsetFetch(batched) = try s.call(.offsetFetch(OffsetFetchRequest(groups: [
            .init(groupId: "g", topics: [.init(name: "t", partitionIndexes: [1])]),
        ])), to: c) else { throw TestFailure("not OffsetFetch") }
        #expect(batched.group("g")?.partition(topic: "t", partition: 1)?.committedOffset == 7)
        // Unknown topics are refused per partition; the commit is written to __consumer_offsets.
        #expect(try s.commit("g", TopicPartition("nope", 0), offset: 1, generation: generation, member: a, at: c) == .unknownTopicOrPartition)
        let p = OffsetsTopic.partitionFor(groupId: "g")
        s.pump()
        let offsets = s.cluster.replicaOffsets(TopicPartition(OffsetsTopic.name, p))
        #expect(offsets.count == 3 && offsets.values.allSatisfy { $0.highWatermark > 0 })
    }

    @Test func aCommitFromAStaleGenerationIsRejected() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        let (c, a, b, generation) = try stableGroupOfTwo(s)
        let tp = TopicPartition("t", 0)
        #expect(try s.commit("g", tp, offset: 5, generation: generation - 1, member: a, at: c) == .illegalGeneration)
        #expect(try s.commit("g", tp, offset: 5, generation: generation, member: "stranger", at: c) == .unknownMemberId)
        // Outside the group (generation -1) only an empty group accepts commits.
        #expect(try s.commit("g", tp, offset: 5, at: c) == .unknownMemberId)
        #expect(try s.committed("g", tp, at: c)?.committedOffset == -1)
        #expect(try s.commit("g", tp, offset: 5, generation: generation, member: b, at: c) == .none)
        #expect(try s.committed("g", tp, at: c)?.committedOffset == 5)
        // A group nobody joined takes simple commits.
        #expect(try s.commit("solo", tp, offset: 9, at: try s.coordinator(of: "solo")) == .none)
    }

    @Test func requestsToABrokerThatIsNotTheCoordinatorGetNotCoordinator() throws {
        let s = try ServedCluster(); defer { s.close() }
        // Before __consumer_offsets exists nobody coordinates.
        guard case let .heartbeat(early) = try s.call(.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: "m")), to: 0) else {
            throw TestFailure("not Heartbeat")
        }
        #expect(early.errorCode == .notCoordinator)
        let c = try s.coordinator(of: "g")
        let image = s.cluster.metadataImage
        let topic = try #require(image.topic(named: OffsetsTopic.name))
        #expect(topic.partitionCount == 50 && topic.replicationFactor == 3)
        #expect(image.topicConfigs(OffsetsTopic.name)["cleanup.policy"] == "compact")
        #expect(topic.partitions[OffsetsTopic.partitionFor(groupId: "g")]?.leader == c)
        let other = try #require(s.cluster.runningBrokers.first { $0 != c })
        guard case let .joinGroup(j) = try s.call(.joinGroup(s.join("g")), to: other) else { throw TestFailure("not JoinGroup") }
        #expect(j.errorCode == .notCoordinator)
        guard case let .syncGroup(sy) = try s.call(.syncGroup(SyncGroupRequest(groupId: "g", generationId: 1, memberId: "m")), to: other) else {
            throw TestFailure("not SyncGroup")
        }
        #expect(sy.errorCode == .notCoordinator)
        #expect(try s.heartbeat("g", member: "m", generation: 1, at: other) == .notCoordinator)
        #expect(try s.commit("g", TopicPartition("t", 0), offset: 1, at: other) == .notCoordinator)
        guard case let .offsetFetch(f) = try s.call(.offsetFetch(OffsetFetchRequest(groupId: "g", topics: nil)), to: other) else {
            throw TestFailure("not OffsetFetch")
        }
        #expect(f.errorCode == .notCoordinator)
        #expect(try s.describe("g", at: other).errorCode == .notCoordinator)
        guard case let .joinGroup(empty) = try s.call(.joinGroup(s.join("")), to: c) else { throw TestFailure("not JoinGroup") }
        #expect(empty.errorCode == .invalidGroupId)
        // The batch form of FindCoordinator answers per key; a transactional id has its own
        // coordinator, a share group none.
        guard case let .findCoordinator(batch) = try s.call(.findCoordinator(FindCoordinatorRequest(coordinatorKeys: ["g", "h"])), to: other) else {
            throw TestFailure("not FindCoordinator")
        }
        #expect(batch.coordinator(for: "g")?.nodeId == c)
        #expect(batch.coordinator(for: "h")?.errorCode == ErrorCode.none)
        guard case let .findCoordinator(txn) = try s.call(.findCoordinator(FindCoordinatorRequest(key: "x", keyType: .transaction)), to: c) else {
            throw TestFailure("not FindCoordinator")
        }
        #expect(txn.errorCode == ErrorCode.none && txn.nodeId >= 0)
        guard case let .findCoordinator(share) = try s.call(.findCoordinator(FindCoordinatorRequest(key: "x", keyType: .share)), to: c) else {
            throw TestFailure("not FindCoordinator")
        }
        #expect(share.errorCode == .invalidRequest)
    }

    @Test func describeAndDeleteGroupsAndOffsets() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 2, replicationFactor: 1)
        let c = try s.coordinator(of: "g")
        let t0 = TopicPartition("t", 0), t1 = TopicPartition("t", 1)
        #expect(try s.commit("g", t0, offset: 3, at: c) == .none)
        #expect(try s.commit("g", t1, offset: 4, at: c) == .none)
        let d = try s.describe("g", at: c)
        #expect(d.errorCode == .none && d.groupState == "Empty" && d.members.isEmpty)
        let unknown = try s.describe("missing", at: try s.coordinator(of: "missing"))
        #expect(unknown.errorCode == .groupIdNotFound && unknown.groupState == "Dead")

        guard case let .offsetDelete(od) = try s.call(.offsetDelete(OffsetDeleteRequest(groupId: "g", topic: "t", partition: 1)), to: c) else {
            throw TestFailure("not OffsetDelete")
        }
        #expect(od.errorCode == .none && od.partition(topic: "t", partition: 1)?.errorCode == ErrorCode.none)
        #expect(try s.committed("g", t1, at: c)?.committedOffset == -1)
        #expect(try s.committed("g", t0, at: c)?.committedOffset == 3)
        guard case let .offsetDelete(none) = try s.call(.offsetDelete(OffsetDeleteRequest(groupId: "missing", topic: "t", partition: 1)),
                                                        to: try s.coordinator(of: "missing")) else { throw TestFailure("not OffsetDelete") }
        #expect(none.errorCode == .groupIdNotFound)

        // A group with members cannot be deleted; an empty one can, offsets and all.
        let (m, join) = try s.joinNewMember("busy", at: try s.coordinator(of: "busy"), clientId: "x")
        #expect(join.joinResponse?.errorCode == ErrorCode.none)
        guard case let .deleteGroups(del) = try s.call(.deleteGroups(DeleteGroupsRequest(groupsNames: ["g", "busy", "missing"])), to: c) else {
            throw TestFailure("not DeleteGroups")
        }
        let busyCoordinator = try s.coordinator(of: "busy"), missingCoordinator = try s.coordinator(of: "missing")
        #expect(del.result(for: "g")?.errorCode == ErrorCode.none)
        #expect(del.result(for: "busy")?.errorCode == (busyCoordinator == c ? .nonEmptyGroup : .notCoordinator))
        #expect(del.result(for: "missing")?.errorCode == (missingCoordinator == c ? .groupIdNotFound : .notCoordinator))
        #expect(try s.committed("g", t0, at: c)?.committedOffset == -1)
        #expect(try s.describe("g", at: c).errorCode == .groupIdNotFound)
        #expect(!m.isEmpty)
    }

    /// A JoinGroup waiting at a coordinator that loses the partition is answered NOT_COORDINATOR.
    @Test func pendingJoinFailsWhenTheCoordinatorStops() throws {
        let s = try ServedCluster(); defer { s.close() }
        let (c, a, _, generation) = try stableGroupOfTwo(s)
        let rejoin = s.send(.joinGroup(s.join("g", memberId: a, clientId: "ca")), to: c)
        #expect(!rejoin.isAnswered) // b has not rejoined
        try s.cluster.stopBroker(c)
        #expect(rejoin.joinResponse?.errorCode == .notCoordinator)
        let next = try s.coordinator(of: "g")
        #expect(next != c)
        // The new coordinator loaded the group as last stored (Stable, generation 2).
        let d = try s.describe("g", at: next)
        #expect(d.groupState == "Stable" && d.members.count == 2)
        #expect(try s.heartbeat("g", member: a, generation: generation, at: next) == .none)
    }
}
