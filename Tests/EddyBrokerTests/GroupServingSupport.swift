import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// A request sent through a cluster's transport without waiting for the answer.
final class SentRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<KafkaResponse, TransportError>?

    func set(_ r: Result<KafkaResponse, TransportError>) { lock.withLock { result = r } }
    var response: KafkaResponse? { lock.withLock { try? result?.get() } }
    var isAnswered: Bool { lock.withLock { result != nil } }
    var failure: TransportError? {
        lock.withLock {
            guard case let .failure(e)? = result else { return nil }
            return e
        }
    }
}

/// A cluster of in-process brokers on a manual clock, for serving-path tests: requests go
/// through `cluster.transport`, replication is pumped by hand.
struct ServedCluster {
    let dir: TempDirectory
    let clock: ManualClock
    let cluster: Cluster

    init(brokers: Int = 3, seed: UInt64 = 11, configure: (inout ClusterOptions) -> Void = { _ in }) throws {
        dir = TempDirectory("served")
        clock = ManualClock()
        var options = ClusterOptions()
        options.initialBrokerCount = brokers
        options.randomSeed = seed
        options.groupCoordinator.groupInitialRebalanceDelayMs = 0
        configure(&options)
        cluster = try Cluster(dataDirectory: dir.path, clock: clock, options: options)
    }

    func close() {
        try? cluster.shutdown()
        dir.cleanup()
    }

    /// Topic "t" of one partition with 3 replicas, holding `values` (produced with acks=all and
    /// replicated): the partition and its leader.
    func topicWithRecords(_ values: [String]) throws -> (tp: TopicPartition, leader: Int32) {
        try cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let leader = try cluster.leader(of: tp)
        _ = try call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(values), acks: -1)), to: leader)
        pump()
        return (tp, leader)
    }

    /// Sends and returns at once; the answer lands in the result when the broker gives it.
    func send(_ request: KafkaRequest, to node: Int32, clientId: String = "test-client") -> SentRequest {
        let sent = SentRequest()
        cluster.transport.send(request, to: node, context: RequestContext(clientId: clientId)) { sent.set($0) }
        return sent
    }

    /// Sends and waits, pumping replication (see `Cluster.call`).
    func call(_ request: KafkaRequest, to node: Int32) throws -> KafkaResponse {
        try cluster.call(request, to: node)
    }

    /// Replication rounds and ticks until nothing changes.
    func pump(rounds: Int = 50) {
        for _ in 0 ..< rounds {
            let before = cluster.progressFingerprint()
            cluster.replicationRound()
            cluster.tick()
            if cluster.progressFingerprint() == before { break }
        }
    }

    func advance(_ ms: Int64) {
        clock.advance(ms: ms)
        cluster.tick()
    }

    /// The broker FindCoordinator names for `group` (asking broker `via`).
    func coordinator(of group: String, via: Int32 = 0) throws -> Int32 {
        guard case let .findCoordinator(r) = try call(.findCoordinator(FindCoordinatorRequest(key: group)), to: via) else {
            throw TestFailure("not a FindCoordinator response")
        }
        guard r.errorCode == .none else { throw TestFailure("FindCoordinator: \(r.errorCode)") }
        return r.nodeId
    }

    func join(_ group: String, memberId: String = "", instance: String? = nil, session: Int32 = 10_000,
              protocols: [String] = ["range"], clientId: String = "consumer") -> JoinGroupRequest {
        JoinGroupRequest(groupId: group, sessionTimeoutMs: session, rebalanceTimeoutMs: 5_000, memberId: memberId,
                         groupInstanceId: instance, protocolType: "consumer",
                         protocols: protocols.map { .init(name: $0, metadata: Array("\(clientId)-\($0)".utf8)) })
    }

    /// A dynamic member's full first join: MEMBER_ID_REQUIRED, then the join with its id. The
    /// second join is only sent; it may wait for other members.
    func joinNewMember(_ group: String, at node: Int32, clientId: String) throws -> (memberId: String, join: SentRequest) {
        guard case let .joinGroup(first) = try call(.joinGroup(join(group, clientId: clientId)), to: node) else {
            throw TestFailure("not a JoinGroup response")
        }
        guard first.errorCode == .memberIdRequired else { throw TestFailure("first join: \(first.errorCode)") }
        let second = send(.joinGroup(join(group, memberId: first.memberId, clientId: clientId)), to: node, clientId: clientId)
        return (first.memberId, second)
    }

    func heartbeat(_ group: String, member: String, generation: Int32, at node: Int32) throws -> ErrorCode {
        guard case let .heartbeat(r) = try call(.heartbeat(HeartbeatRequest(groupId: group, generationId: generation, memberId: member)), to: node) else {
            throw TestFailure("not a Heartbeat response")
        }
        return r.errorCode
    }

    func commit(_ group: String, _ tp: TopicPartition, offset: Int64, generation: Int32 = -1, member: String = "",
                at node: Int32) throws -> ErrorCode {
        let request = OffsetCommitRequest(groupId: group, topic: tp.topic, partition: tp.partition, offset: offset,
                                          metadata: "m\(offset)", generationIdOrMemberEpoch: generation, memberId: member)
        guard case let .offsetCommit(r) = try call(.offsetCommit(request), to: node),
              let p = r.partition(topic: tp.topic, partition: tp.partition) else { throw TestFailure("not an OffsetCommit response") }
        return p.errorCode
    }

    func committed(_ group: String, _ tp: TopicPartition, at node: Int32) throws -> OffsetFetchResponse.OffsetFetchResponsePartition? {
        guard case let .offsetFetch(r) = try call(.offsetFetch(OffsetFetchRequest(groupId: group, topic: tp.topic, partition: tp.partition)), to: node) else {
            throw TestFailure("not an OffsetFetch response")
        }
        guard r.errorCode == .none else { throw TestFailure("OffsetFetch: \(r.errorCode)") }
        return r.partition(topic: tp.topic, partition: tp.partition)
    }

    func describe(_ group: String, at node: Int32) throws -> DescribeGroupsResponse.DescribedGroup {
        guard case let .describeGroups(r) = try call(.describeGroups(DescribeGroupsRequest(groups: [group])), to: node),
              let g = r.group(group) else { throw TestFailure("not a DescribeGroups response") }
        return g
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension SentRequest {
    var joinResponse: JoinGroupResponse? { if case let .joinGroup(r)? = response { r } else { nil } }
    var syncResponse: SyncGroupResponse? { if case let .syncGroup(r)? = response { r } else { nil } }
    var fetchResponse: FetchResponse? { if case let .fetch(r)? = response { r } else { nil } }
}

/// One uncompressed batch of string values with timestamps `ts, ts+1, ...`; idempotent when
/// `producerId` is given.
func servedBatch(_ values: [String], ts: Int64 = 1_000, producerId: Int64 = -1, epoch: Int16 = -1, sequence: Int32 = -1) -> [UInt8] {
    var b = RecordBatchBuilder(producerId: producerId, producerEpoch: epoch, baseSequence: sequence)
    for (i, v) in values.enumerated() { b.append(timestamp: ts + Int64(i), key: nil, value: Array(v.utf8)) }
    return b.build().bytes
}
