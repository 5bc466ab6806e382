import EddyBroker
import EddyClient
import EddyProtocol

/// A real in-process cluster for the admin tests (see `TestCluster`) and an `Admin` over the
/// cluster's transport. `shutdown()` stops everything and removes the directory.
final class AdminTestCluster: @unchecked Sendable {
    let harness: TestCluster
    let client: KafkaClient
    let admin: Admin

    var cluster: Cluster { harness.cluster }

    /// - Parameter driven: start the driver (replication, timers); without it nothing
    ///   replicates, so leaders' log-end offsets run ahead of their high watermarks.
    init(brokers: Int = 3, driven: Bool = true) throws {
        harness = try TestCluster(label: "admin", brokers: brokers, seed: 11, driven: driven) { options in
            // Nothing in these tests waits for a broker or follower to be declared dead.
            options.brokerSessionTimeoutMs = 600_000
            options.replicaLagTimeMaxMs = 600_000
            options.groupCoordinator.groupInitialRebalanceDelayMs = 0
            // offsets.topic.num.partitions: a few are enough to spread groups over the brokers, and
            // the cluster starts and stops much faster than with Kafka's 50.
            options.groupCoordinator.offsetsTopicNumPartitions = 6
        }
        client = harness.client("admin-test", retryBackoffMs: 10)
        admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 10_000))
    }

    func shutdown() {
        client.close()
        harness.shutdown()
    }

    /// Appends `count` records to `tp` through its leader (`acks`), record i with value
    /// "v<i>" and timestamp `timestamp(i)`. Returns the base offset.
    @discardableResult
    func produce(_ tp: TopicPartition, count: Int, acks: Int16 = -1,
                 timestamp: (Int) -> Int64 = { 1_700_000_000_000 + Int64($0) }) async throws -> Int64 {
        var builder = RecordBatchBuilder()
        for i in 0 ..< count { builder.append(timestamp: timestamp(i), key: nil, value: Array("v\(i)".utf8)) }
        guard let leader = try await client.refreshMetadata(topics: [tp.topic]).leader(of: tp) else {
            throw TestFailure("partition \(tp) has no leader")
        }
        let response = try await client.send(.produce(ProduceRequest(topic: tp.topic, partition: tp.partition,
                                                                     records: builder.build().bytes, acks: acks)), to: leader)
        guard case let .produce(p) = response, let r = p.responses.first?.partitionResponses.first else {
            throw TestFailure("unexpected produce response \(response)")
        }
        guard r.errorCode == .none else { throw TestFailure("produce to \(tp) failed: \(r.errorCode)") }
        return r.baseOffset
    }
}

/// A consumer-group member speaking the classic protocol by hand (JoinGroup with the
/// MEMBER_ID_REQUIRED retry, then SyncGroup), so group tests control exactly who is in the
/// group and what it owns. The only member of its group is the leader and assigns itself
/// `partitions`.
struct HandMadeMember {
    let groupId: String
    let memberId: String
    let generationId: Int32
    let coordinator: Int32

    static func join(_ client: KafkaClient, group: String, topics: [String], partitions: [TopicPartition],
                     sessionTimeoutMs: Int32 = 60_000, protocolType: String = ConsumerProtocol.protocolType) async throws -> HandMadeMember {
        let coordinator = try await client.coordinator(forGroup: group, timeoutMs: 10_000)
        let metadata = ConsumerProtocol.encode(ConsumerProtocol.SubscriptionData(topics: topics))
        var memberId = JoinGroupRequest.unknownMemberId
        // As a real client: a new coordinator answers COORDINATOR_LOAD_IN_PROGRESS until it has
        // read its partition (in the background while a driver runs the cluster); retry.
        for _ in 0 ..< 500 {
            let request = JoinGroupRequest(groupId: group, sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: sessionTimeoutMs,
                                           memberId: memberId, protocolType: protocolType,
                                           protocols: [.init(name: "range", metadata: metadata)])
            guard case let .joinGroup(join) = try await client.send(.joinGroup(request), to: coordinator, timeoutMs: 10_000) else {
                throw TestFailure("unexpected JoinGroup response")
            }
            if join.errorCode == .memberIdRequired { memberId = join.memberId; continue }
            if join.errorCode == .coordinatorLoadInProgress { try await Task.sleep(nanoseconds: 10_000_000); continue }
            guard join.errorCode == .none else { throw TestFailure("JoinGroup failed: \(join.errorCode)") }
            let assignment = ConsumerProtocol.encode(ConsumerProtocol.AssignmentData(partitions: partitions))
            let sync = SyncGroupRequest(groupId: group, generationId: join.generationId, memberId: join.memberId,
                                        protocolType: protocolType, protocolName: join.protocolName,
                                        assignments: [.init(memberId: join.memberId, assignment: assignment)])
            guard case let .syncGroup(s) = try await client.send(.syncGroup(sync), to: coordinator, timeoutMs: 10_000) else {
                throw TestFailure("unexpected SyncGroup response")
            }
            guard s.errorCode == .none else { throw TestFailure("SyncGroup failed: \(s.errorCode)") }
            return HandMadeMember(groupId: group, memberId: join.memberId, generationId: join.generationId, coordinator: coordinator)
        }
        throw TestFailure("JoinGroup kept asking for a member id, or the coordinator kept loading")
    }

    /// LeaveGroup: the group becomes Empty.
    func leave(_ client: KafkaClient) async throws {
        guard case let .leaveGroup(r) = try await client.send(.leaveGroup(LeaveGroupRequest(groupId: groupId, member: memberId)),
                                                              to: coordinator) else {
            throw TestFailure("unexpected LeaveGroup response")
        }
        guard r.errorCode == .none else { throw TestFailure("LeaveGroup failed: \(r.errorCode)") }
    }

    /// Commits as the member (its generation).
    func commit(_ client: KafkaClient, _ offsets: [TopicPartition: Int64]) async throws {
        let request = OffsetCommitRequest(
            groupId: groupId, generationIdOrMemberEpoch: generationId, memberId: memberId,
            topics: Dictionary(grouping: offsets, by: \.key.topic).map { topic, entries in
                .init(name: topic, partitions: entries.map { .init(partitionIndex: $0.key.partition, committedOffset: $0.value) })
            })
        guard case let .offsetCommit(r) = try await client.send(.offsetCommit(request), to: coordinator, timeoutMs: 10_000) else {
            throw TestFailure("unexpected OffsetCommit response")
        }
        for t in r.topics { for p in t.partitions where p.errorCode != .none { throw TestFailure("commit failed: \(p.errorCode)") } }
    }
}
