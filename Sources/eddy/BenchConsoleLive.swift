import EddyClient
import EddyConsole
import EddyProtocol
import Foundation

extension Bench.ConsoleBench {
    /// The names the live benchmark gives what it creates: topics `eddy-bench-console-000` ...,
    /// groups `eddy-bench-console-group-0000` ....
    static let livePrefix = "eddy-bench-console"

    /// `eddy bench console --bootstrap-server ...`: the console's refresh against a running
    /// cluster holding `--topics` topics of `--partitions` partitions in all, `--records`
    /// records each, and `--groups` groups made by direct offset commits (as
    /// `alterConsumerGroupOffsets`, that is OffsetCommit with no member), each on one topic at
    /// offsets that leave every lag from 0 to `--records`. Whatever is missing is created (what
    /// exists is reused, so repeated runs measure at once); it is deleted at the end unless
    /// `--keep`. Then `--frames` refreshes: each one's wall time and requests, and the frame
    /// that shows it in the Topics and the Groups view; then `--keys` keystrokes on the live model.
    func runLive(_ servers: RemoteCluster) throws {
        let session = try RemoteSession.connect(servers, clientId: "eddy-bench-console")
        defer { try? session.close() }
        let topicNames = (0 ..< topics).map { Self.liveName(topic: $0) }
        let groupNames = (0 ..< groups).map { Self.liveName(group: $0) }
        let perTopic = Int32(partitions / topics), records = records, replicationFactor = Int16(replicationFactor)
        print("live:      the cluster at \(servers.name): \(topics) topics of \(perTopic) partitions (replication factor \(replicationFactor)), "
            + "\(records) records each, \(groups) groups made by offset commits")

        let setupStart = ClientTime.monotonicMs()
        let created = try session.withAdmin(clientId: "eddy-bench-console-setup") { admin in
            try await Self.createTopics(topicNames, partitions: perTopic, replicationFactor: replicationFactor, admin: admin)
        }
        // From here on, whatever happens (a failure, Ctrl-C), what was made goes unless --keep.
        defer { if !keep { Self.cleanUp(session, topics: topicNames, groups: groupNames) } }
        // Every partition gets `records` records: the new topics', and those an interrupted run left short.
        let reused = topicNames.filter { !created.contains($0) }
        var missing: [TopicPartition: Int] = [:]
        for topic in created { for p in 0 ..< perTopic { missing[TopicPartition(topic, p)] = records } }
        if !reused.isEmpty {
            let ends = try session.withAdmin(clientId: "eddy-bench-console-setup") { admin in
                try await admin.listOffsets(reused.flatMap { t in (0 ..< perTopic).map { TopicPartition(t, $0) } }, .latest)
            }
            for (tp, end) in ends where end < Int64(records) { missing[tp] = records - Int(end) }
        }
        if !missing.isEmpty {
            let client = session.makeClient(clientId: "eddy-bench-console-producer", requestTimeoutMs: 30_000)
            defer { client.close() }
            let fill = missing
            try interruptibleAwait { try await Self.fill(fill, client: client) }
        }
        let madeGroups = try session.withAdmin(clientId: "eddy-bench-console-setup") { admin in
            try await Self.commitGroups(groupNames, topics: topicNames, partitions: perTopic, records: records, admin: admin)
        }
        print("setup:     \(created.count) topics and \(madeGroups) groups created, the rest reused, \(missing.count) partitions filled, in "
            + "\(BenchFormat.fixed(Double(ClientTime.monotonicMs() - setupStart) / 1_000, 1)) s")

        // The console's own client, counting what each refresh sends.
        let counting = CountingTransport(session.makeTransport(clientId: "eddy-bench-console"))
        defer { (counting.inner as? NetworkTransport)?.close() }
        let client = KafkaClient(transport: counting, bootstrapNodes: session.transport.bootstrapNodes,
                                 clientId: "eddy-bench-console", requestTimeoutMs: 30_000)
        defer { client.close() }
        // As the console's sampling admin at a 10 s refresh: requests may take 30 s.
        let source = ClientSnapshotSource(admin: Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 30_000)), insight: nil,
                                          liveConsumers: LiveConsumers())
        let refreshes = frames
        let m = try interruptibleAwait {
            do {
                let m = try await ConsoleBenchmarks.measureLive(source: source, counting: counting, refreshes: refreshes,
                                                                cpuSeconds: { processCpuSeconds() })
                await source.lagTracker.close()
                return m
            } catch {
                await source.lagTracker.close()
                throw error
            }
        }
        let requests = m.requests.map { $0.values.reduce(0, +) }
        let byApi = m.requests.last.map { last in
            last.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        } ?? ""
        print("sample:    \(m.partitions) partitions, \(m.groups) groups with \(m.groupRows) partition rows"
            + (m.model.latest?.problems.isEmpty == false ? "; problems: \(m.model.latest!.problems.joined(separator: "; "))" : ""))
        print("refresh:   \(m.refreshes.count) refreshes: " + Self.summary(m.refreshes, budget: .seconds(1))
            + "; requests per refresh \(requests.min() ?? 0)-\(requests.max() ?? 0) (\(byApi)); "
            + "this process's CPU \(BenchFormat.fixed(m.cpuSeconds / Double(max(1, m.refreshes.count)) * 1_000, 0)) ms per refresh")
        print("ingest:    a live sample taken into the model (the sampler's work, off the UI thread): " + Self.summary(m.ingest, budget: nil))
        for (name, view) in [("Topics", ConsoleView.topics), ("Groups", .groups)] {
            print("frame:     \(name) view, rendered at 160x48 from the model with a live sample: "
                + Self.summary(m.frames[view] ?? [], budget: ConsoleBenchmarks.frameBudget))
            let keyTimes = ConsoleBenchmarks.measureKeys(iterations: keys, view: view, model: m.model)
            print("keystroke: \(name) view, handle + render on the live model: " + Self.summary(keyTimes, budget: ConsoleBenchmarks.keyBudget))
        }
        if keep { print("kept:      \(Self.livePrefix)-* topics and groups (delete them with the same command without --keep)") }
    }

    static func liveName(topic: Int) -> String { "\(livePrefix)-\(String(format: "%03d", topic))" }
    static func liveName(group: Int) -> String { "\(livePrefix)-group-\(String(format: "%04d", group))" }

    /// Creates the topics of `names` that do not exist (100 per CreateTopics request); those
    /// that exist must have `partitions` partitions. Returns the created ones.
    static func createTopics(_ names: [String], partitions: Int32, replicationFactor: Int16, admin: Admin) async throws -> [String] {
        let existing = Set(try await admin.listTopics().map(\.name))
        let reused = names.filter { existing.contains($0) }
        for start in stride(from: 0, to: reused.count, by: 100) {
            let described = try await admin.describeTopics(Array(reused[start ..< min(reused.count, start + 100)]))
            for (name, d) in described where d.partitions.count != Int(partitions) {
                throw EddyError("topic \(name) exists with \(d.partitions.count) partitions, not \(partitions); "
                    + "delete the \(livePrefix)-* topics or give --topics and --partitions of the earlier run")
            }
        }
        let missing = names.filter { !existing.contains($0) }
        for start in stride(from: 0, to: missing.count, by: 100) {
            let chunk = missing[start ..< min(missing.count, start + 100)]
            let results = try await admin.createTopics(chunk.map {
                Admin.NewTopic(name: $0, numPartitions: partitions, replicationFactor: replicationFactor)
            })
            for (name, result) in results.sorted(by: { $0.key < $1.key }) {
                if case let .failure(error) = result, error.errorCode != .topicAlreadyExists {
                    throw EddyError("cannot create the benchmark topic \(name): \(error)")
                }
            }
        }
        return missing
    }

    /// `missing[tp]` more records of 100 bytes in each partition.
    static func fill(_ missing: [TopicPartition: Int], client: KafkaClient) async throws {
        var config = ProducerConfig()
        config.clientId = "eddy-bench-console-producer"
        config.lingerMs = 20
        let producer = try BytesProducer(config: config, client: client)
        let value = [UInt8](repeating: 0x65, count: 100)
        for (i, (tp, count)) in missing.sorted(by: { $0.key < $1.key }).enumerated() {
            if i % 100 == 0 { try BenchWorkspace.checkInterrupted() }
            for _ in 0 ..< count {
                try await producer.sendAndForget(ProducerRecord(topic: tp.topic, partition: tp.partition, value: value))
            }
        }
        await producer.flush()
        await producer.close()
    }

    /// Deletes the benchmark's groups, then its topics (100 a request); what could not be
    /// deleted is said, with the names to delete by hand.
    static func cleanUp(_ session: RemoteSession, topics: [String], groups: [String]) {
        let problems = (try? session.withAdmin(clientId: "eddy-bench-console-cleanup", interruptible: false) { admin -> [String] in
            var problems: [String] = []
            do {
                for (group, result) in try await admin.deleteConsumerGroups(groups).sorted(by: { $0.key < $1.key }) {
                    if case let .failure(error) = result, error.errorCode != .groupIdNotFound { problems.append("group \(group): \(error)") }
                }
            } catch {
                problems.append("groups: \(error)")
            }
            for start in stride(from: 0, to: topics.count, by: 100) {
                do {
                    let results = try await admin.deleteTopics(Array(topics[start ..< min(topics.count, start + 100)]))
                    for (topic, result) in results.sorted(by: { $0.key < $1.key }) {
                        if case let .failure(error) = result, error.errorCode != .unknownTopicOrPartition { problems.append("topic \(topic): \(error)") }
                    }
                } catch {
                    problems.append("topics: \(error)")
                }
            }
            return problems
        }) ?? ["the cluster did not answer"]
        guard !problems.isEmpty else { return }
        printNotice("eddy: could not delete all the benchmark's topics and groups (\(livePrefix)-*): "
            + problems.prefix(3).joined(separator: "; ") + (problems.count > 3 ? "; and \(problems.count - 3) more" : ""))
    }

    /// Commits offsets for the groups of `names` that do not exist: group g on topic g mod the
    /// topics, partition p at `records - (g + p) mod (records + 1)` (lags 0 to `records`).
    /// 32 groups at a time. Returns how many were made.
    static func commitGroups(_ names: [String], topics: [String], partitions: Int32, records: Int, admin: Admin) async throws -> Int {
        let existing = Set(try await admin.listConsumerGroups().map(\.groupId))
        let missing = names.enumerated().filter { !existing.contains($0.element) }
        for start in stride(from: 0, to: missing.count, by: 32) {
            try BenchWorkspace.checkInterrupted()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (g, name) in missing[start ..< min(missing.count, start + 32)] {
                    let topic = topics[g % topics.count]
                    var offsets: [TopicPartition: OffsetAndMetadata] = [:]
                    for p in 0 ..< partitions {
                        offsets[TopicPartition(topic, p)] = OffsetAndMetadata(Int64(records - (g + Int(p)) % (records + 1)))
                    }
                    group.addTask { try await admin.alterConsumerGroupOffsets(name, offsets) }
                }
                try await group.waitForAll()
            }
        }
        return missing.count
    }
}
