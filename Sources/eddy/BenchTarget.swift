import EddyBroker
import EddyClient
import EddyProtocol
import Foundation

/// The cluster a client benchmark (`bench produce`, `consume`, `latency`) runs against.
///
/// By default a scratch cluster of `--brokers` brokers in this process (`BenchWorkspace`),
/// with the benchmark's topic under its fixed name. With `--bootstrap-server`, a running
/// cluster reached over the network (eddy serve, or any Kafka cluster): the benchmark creates a
/// topic of its own, `<name>-<random>`, so that it never writes into a topic that exists, and
/// deletes it at the end, also when the run fails or is interrupted.
final class BenchTarget {
    let transport: any Transport
    let bootstrapNodes: [Int32]
    let topic: String
    /// "3 brokers in this process" or "the cluster at HOST:PORT", for the report's first line.
    let description: String
    private let workspace: BenchWorkspace?
    /// The scratch cluster, when the benchmark runs one.
    let cluster: Cluster?
    private let remote: RemoteSession?
    private var createdRemoteTopic = false
    private var remoteGroups: [String] = []
    /// Transports of `makeClient` over the network, closed by `remove()`.
    private var clientTransports: [NetworkTransport] = []

    init(connection: ConnectionOptions, brokers: Int, options: ClusterOptions = ClusterOptions(), topic: String) throws {
        if let servers = try connection.remote() {
            let session = try RemoteSession.connect(servers, clientId: "eddy-bench")
            remote = session
            workspace = nil
            cluster = nil
            transport = session.transport
            bootstrapNodes = session.transport.bootstrapNodes
            self.topic = "\(topic)-\(UInt32.random(in: 0 ... .max))"
            description = "the cluster at \(servers.name)"
        } else {
            let workspace = try BenchWorkspace(options: connection.dataDirectory)
            do {
                let cluster = try workspace.makeCluster(brokers: brokers, options: options)
                self.cluster = cluster
                transport = cluster.transport
                bootstrapNodes = cluster.runningBrokers
            } catch {
                workspace.remove()
                throw error
            }
            self.workspace = workspace
            remote = nil
            self.topic = topic
            description = "\(brokers) \(brokers == 1 ? "broker" : "brokers") in this process"
        }
    }

    var isRemote: Bool { remote != nil }

    /// A client of its own, as a separate application would have. Over the network that means
    /// its own connections: a broker answers a connection's requests one at a time, in order,
    /// as Kafka's do, so group members sharing one would queue each other's JoinGroup (held
    /// by the coordinator until every member has joined) behind their own.
    func makeClient(clientId: String, requestTimeoutMs: Int64 = 30_000) -> KafkaClient {
        let (transport, nodes) = clientTransport(clientId: clientId)
        return KafkaClient(transport: transport, bootstrapNodes: nodes, clientId: clientId, requestTimeoutMs: requestTimeoutMs)
    }

    /// The transport and bootstrap nodes of one more client (see `makeClient`).
    func clientTransport(clientId: String) -> (any Transport, [Int32]) {
        guard let remote else { return (transport, bootstrapNodes) }
        let own = remote.makeTransport(clientId: clientId)
        clientTransports.append(own)
        return (own, own.bootstrapNodes)
    }

    /// A consumer group id for the benchmark: `base` in this process; on a running cluster a
    /// fresh `base-<random>`, deleted by `remove()`.
    func groupId(_ base: String) -> String {
        guard isRemote else { return base }
        let id = "\(base)-\(UInt32.random(in: 0 ... .max))"
        remoteGroups.append(id)
        return id
    }

    /// Creates the benchmark's topic and waits until every partition has a leader that the
    /// client's metadata knows.
    func createTopic(partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:]) throws {
        if let cluster {
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor, configs: configs)
            cluster.settle()
            return
        }
        let name = topic
        _ = try withAdmin { admin in
            try await admin.createTopic(Admin.NewTopic(name: name, numPartitions: partitions, replicationFactor: replicationFactor,
                                                       configs: configs))
        }
        createdRemoteTopic = true
        try withAdmin { admin in
            let deadline = ClientTime.monotonicMs() + 30_000
            while true {
                let metadata = try await admin.client.refreshMetadata(topics: [name])
                if let t = metadata.topics[name], t.partitions.count == Int(partitions), t.partitions.allSatisfy({ $0.leader >= 0 }) {
                    return
                }
                guard ClientTime.monotonicMs() < deadline else {
                    throw EddyError("the new topic \(name) has no leader for every partition after 30 s")
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
    }

    /// Runs a ClusterDriver over the scratch cluster; a running cluster needs none.
    func startDriver(tickIntervalMs: Int = 100, replicateOnAppend: Bool = true) {
        workspace?.startDriver(tickIntervalMs: tickIntervalMs, replicateOnAppend: replicateOnAppend)
    }

    /// Writes pre-built record batches, untimed, round-robin over the partitions, with acks=1,
    /// straight to the partition leaders (a Produce request per batch).
    func preload(batch: [UInt8], count: Int, partitions: Int32) throws {
        let tps = (0 ..< partitions).map { TopicPartition(topic, $0) }
        if let cluster {
            for i in 0 ..< count {
                if i & 63 == 0 { try BenchWorkspace.checkInterrupted() }
                try cluster.produce(tps[i % tps.count], records: batch, acks: 1)
            }
            return
        }
        let client = remote!.makeClient(clientId: "eddy-bench-preload", requestTimeoutMs: 30_000)
        defer { client.close() }
        let name = topic
        try blockingAwait {
            let metadata = try await client.refreshMetadata(topics: [name])
            for i in 0 ..< count {
                if i & 63 == 0 { try BenchWorkspace.checkInterrupted() }
                let tp = tps[i % tps.count]
                guard let leader = metadata.leader(of: tp), leader >= 0 else { throw EddyError("\(tp) has no leader") }
                let response = try await client.send(.produce(ProduceRequest(topic: name, partition: tp.partition, records: batch,
                                                                             acks: 1)), to: leader)
                guard case let .produce(r) = response, let p = r.partition(topic: name, partition: tp.partition) else {
                    throw EddyError("unexpected response to Produce from broker \(leader)")
                }
                guard p.errorCode == .none else { throw EddyError("producing to \(tp): \(p.errorCode)\(p.errorMessage.map { ": \($0)" } ?? "")") }
            }
        }
    }

    /// Checks that the topic's partitions hold `records` records in all, every one below the
    /// high watermark. In this process every replica is compared (they must all hold every
    /// record); over the network, each leader's log-end offset and high watermark (ListOffsets).
    func verify(records: Int, partitions: Int32, replicationFactor: Int16) throws {
        if let cluster {
            cluster.settle()
            var total: Int64 = 0
            for p in 0 ..< partitions {
                let tp = TopicPartition(topic, p)
                let offsets = cluster.replicaOffsets(tp)
                let leo = offsets.values.map(\.logEndOffset).max() ?? 0
                guard offsets.count == Int(replicationFactor),
                      offsets.values.allSatisfy({ $0.logEndOffset == leo && $0.highWatermark == leo }) else {
                    throw EddyError("replicas of \(tp) differ: "
                        + offsets.sorted { $0.key < $1.key }.map { "broker \($0.key) LEO \($0.value.logEndOffset) HW \($0.value.highWatermark)" }
                        .joined(separator: ", "))
                }
                total += leo
            }
            guard total == Int64(records) else { throw EddyError("the partitions hold \(total) records, not \(records)") }
            return
        }
        // Followers may still be copying the last records (acks=1): wait for the high watermarks.
        let tps = (0 ..< partitions).map { TopicPartition(topic, $0) }
        let deadline = ClientTime.monotonicMs() + 30_000
        while true {
            let read = try withAdmin { try await $0.logOffsetsResult(tps) }
            if let (tp, error) = read.failures.first { throw EddyError("reading the offsets of \(tp): \(error)") }
            var total: Int64 = 0, behind: [TopicPartition] = []
            for tp in tps {
                guard let o = read.offsets[tp] else { throw EddyError("no offsets for \(tp)") }
                if o.highWatermark < o.logEndOffset { behind.append(tp) }
                total += o.logEndOffset - o.logStartOffset
            }
            if behind.isEmpty {
                guard total == Int64(records) else { throw EddyError("the partitions hold \(total) records, not \(records)") }
                return
            }
            guard ClientTime.monotonicMs() < deadline else {
                throw EddyError("after 30 s the high watermark of \(behind.map(\.description).joined(separator: ", ")) is still below the log-end offset")
            }
            usleep(50_000)
        }
    }

    /// Removes what the benchmark made: the scratch cluster and its directory, or the topic it
    /// created on a running cluster (a failure to delete it is reported, not thrown).
    func remove() {
        workspace?.remove()
        guard let remote else { return }
        for group in remoteGroups {
            // The members have left; a group that never committed may already be gone.
            _ = try? withAdmin { try await $0.deleteConsumerGroups([group]) }
        }
        if createdRemoteTopic {
            let topic = topic
            do {
                try withAdmin { try await $0.deleteTopic(topic) }
            } catch {
                printNotice("eddy: could not delete the benchmark topic \(topic): \(error); delete it with: "
                    + "eddy topics delete --topic \(topic) --bootstrap-server ...")
            }
        }
        for t in clientTransports { t.close() }
        try? remote.close()
    }

    private func withAdmin<T: Sendable>(_ body: @escaping @Sendable (Admin) async throws -> T) throws -> T {
        let client = remote!.makeClient(clientId: "eddy-bench-admin", requestTimeoutMs: 30_000)
        defer { client.close() }
        return try blockingAwait { try await body(Admin(client: client)) }
    }
}
