import EddyClient
import EddyProtocol
import Foundation

/// Samples a cluster through the client: Metadata for brokers, topics and placement,
/// ListOffsets for each partition's log start, high watermark and log-end offset,
/// DescribeConfigs for retention and cleanup policy, ListGroups / DescribeGroups / OffsetFetch
/// and this process's live consumers for the groups' four positions; plus, when the process
/// runs the cluster, `ClusterInsight` for stopped brokers, partition sizes and byte counters.
/// Without it (`eddy console --bootstrap-server`), brokers that left Metadata stay listed as
/// fenced (`remoteBrokers`), partition sizes come from DescribeLogDirs, and byte counters are
/// unknown (Kafka exposes them only as JMX metrics).
///
/// Each part fails on its own: a group that cannot be described, or offsets that cannot be
/// read, leave nil values and a line in `ConsoleSnapshot.problems`; only a failed Metadata
/// request fails the whole sample. Offsets are read partition by partition
/// (`Admin.logOffsetsResult`): a leader that does not answer costs only its own partitions,
/// which are marked `leaderUnreachable`, and does not hold the sample. Calls use `admin`'s default.api.timeout.ms as their budget,
/// so give it an admin with a short timeout (a few refresh intervals): an offline partition
/// is then left out rather than holding the screen.
///
/// Transactions: ListTransactions on every broker and DescribeTransactions per coordinator
/// (see `transactions(offsets:problems:)`).
///
/// Topic configs change rarely: they are read for new topics and otherwise every
/// `configRefreshMs`.
///
/// Groups' rows carry Burrow's status and the time lag from `lagTracker`, the same code as
/// `eddy lag`: commits come from `__consumer_offsets` as they are made, so statuses appear
/// once two commits of a group were seen.
public final class ClientSnapshotSource: SnapshotSource, @unchecked Sendable {
    public let admin: Admin
    public let insight: (any ClusterInsight)?
    public let liveConsumers: LiveConsumers
    public let configRefreshMs: Int64
    public let lagTracker: LagTracker
    /// How long a partition's open transaction must be silent, with no coordinator running it,
    /// to be shown hanging: Kafka's transaction.max.timeout.ms default (no coordinator lets a
    /// transaction run longer), as `kafka-transactions find-hanging` uses it.
    public let hangingAfterMs: Int64
    /// Wall-clock time source (ms since the epoch); injected by tests.
    let now: @Sendable () -> Int64

    private let lock = NSLock()
    private var configs: [String: TopicConfigs] = [:]
    private var configsReadAtMs: Int64 = .min
    /// Brokers seen so far without `insight` (see `remoteBrokers`).
    private var knownBrokers: Set<Int32> = []

    struct TopicConfigs: Equatable {
        var retentionMs: Int64?
        var retentionBytes: Int64?
        var cleanupPolicy: String?
    }

    public init(admin: Admin, insight: (any ClusterInsight)?, liveConsumers: LiveConsumers = .shared,
                configRefreshMs: Int64 = 10_000, hangingAfterMs: Int64 = 900_000,
                now: @escaping @Sendable () -> Int64 = { ClientTime.wallClockMs() }) {
        self.hangingAfterMs = hangingAfterMs
        self.admin = admin
        self.insight = insight
        self.liveConsumers = liveConsumers
        self.configRefreshMs = configRefreshMs
        self.now = now
        lagTracker = LagTracker(admin: admin, now: now)
    }

    public func snapshot() async throws(ClientError) -> ConsoleSnapshot {
        let metadata = try await admin.client.refreshMetadata(topics: nil)
        var problems: [String] = []

        // Placement.
        let names = metadata.topics.keys.sorted()
        var placement: [(String, TopicMetadata)] = []
        for name in names { if let t = metadata.topics[name] { placement.append((name, t)) } }

        // Groups first: committed offsets, then consumers' positions, then (below) the
        // partitions' offsets, so that in each sample committed <= position <= high watermark
        // <= log end, as they are at any one moment (each is read after the one it bounds).
        let groupsRead = await readGroups(problems: &problems)

        // Offsets, from the leaders of partitions that have one, each partition on its own: a
        // leader that does not answer (killed, not fenced yet) leaves only its partitions
        // without offsets, marked unreachable. The sample's time is when they are read: rates
        // divide their deltas by it.
        let takenAtMs = now()
        let led = placement.flatMap { _, t in t.partitions.filter { $0.leader >= 0 }.map(\.topicPartition) }
        var offsets: [TopicPartition: GroupPositions.PartitionOffsets] = [:]
        var unreachable = Set<TopicPartition>()
        do throws(ClientError) {
            let read = try await admin.logOffsetsResult(led)
            offsets = read.offsets
            unreachable = read.unreachable
            problems += Self.offsetProblems(read, metadata: metadata)
        } catch {
            problems.append("offsets: \(error)")
        }
        // Metadata lists the live brokers only; a leader missing there does not answer either.
        func leaderUnreachable(_ p: PartitionMetadata) -> Bool {
            guard p.leader >= 0 else { return false }
            return unreachable.contains(p.topicPartition) || (!metadata.brokers.isEmpty && metadata.brokers[p.leader] == nil)
        }
        let sizes = await partitionSizes(placement: placement, reachable: { !leaderUnreachable($0) })
        let topicConfigs = await configs(for: names, problems: &problems)

        var topics: [TopicSnapshot] = []
        for (name, t) in placement {
            let partitions = t.partitions.map { p -> PartitionSnapshot in
                let o = offsets[p.topicPartition]
                return PartitionSnapshot(
                    partition: p.topicPartition.partition, leader: p.leader >= 0 ? p.leader : nil, replicas: p.replicas,
                    isr: p.isr, logStartOffset: o?.logStartOffset, logEndOffset: o?.logEndOffset, highWatermark: o?.highWatermark,
                    sizeBytes: sizes[p.topicPartition], leaderUnreachable: leaderUnreachable(p), offlineReplicas: p.offlineReplicas,
                    lastStableOffset: o?.lastStableOffset)
            }
            let c = topicConfigs[name]
            topics.append(TopicSnapshot(name: name, isInternal: t.isInternal || name.hasPrefix("__"), partitions: partitions,
                                        retentionMs: c?.retentionMs, retentionBytes: c?.retentionBytes, cleanupPolicy: c?.cleanupPolicy))
        }

        // Brokers: every registered one when the process runs the cluster, else those
        // DescribeCluster lists where the cluster offers it (Metadata otherwise).
        var controller = metadata.controllerId >= 0 ? metadata.controllerId : nil
        var clusterId = metadata.clusterId
        var quorum: DescribeQuorumResponse.Quorum?
        var live = Set(metadata.brokers.keys)
        if insight == nil {
            do throws(ClientError) {
                if let described = try await admin.describeCluster() {
                    controller = described.controllerId >= 0 ? described.controllerId : nil
                    clusterId = described.clusterId
                    live = Set(described.brokers.map(\.brokerId))
                }
                quorum = try await admin.describeQuorum()
                // KRaft's active controller is the quorum's leader.
                if let leader = quorum?.leaderId, leader >= 0 { controller = leader }
            } catch {
                problems.append("cluster: \(error)")
            }
        }
        var brokers: [BrokerSnapshot]
        if let insight {
            let traffic = insight.brokerTraffic()
            quorum = insight.quorum()
            if let leader = quorum?.leaderId, leader >= 0 { controller = leader }
            brokers = insight.brokers().map {
                BrokerSnapshot(id: $0.id, state: $0.state, isController: $0.isController,
                               bytesIn: traffic[$0.id]?.bytesIn, bytesOut: traffic[$0.id]?.bytesOut)
            }
            brokers += insight.controllers().map { BrokerSnapshot(id: $0.id, state: $0.state, isController: $0.isController, role: .controller) }
        } else {
            brokers = remoteBrokers(metadata: metadata, live: live, controller: controller)
            if let quorum { brokers += Self.remoteControllers(quorum, brokers: Set(brokers.map(\.id)), nowMs: takenAtMs) }
        }
        // The process knows its active controller (which may be no broker: a separate one).
        let insightController = insight == nil ? nil : (quorum?.leaderId).flatMap { $0 >= 0 ? $0 : nil } ?? brokers.first(where: \.isController)?.id

        let groups = await groups(groupsRead, offsets: offsets, problems: &problems)
        let transactions = await transactions(offsets: offsets, problems: &problems)
        return ConsoleSnapshot(takenAtMs: takenAtMs, clusterId: insight?.clusterId ?? clusterId,
                               controllerId: insightController ?? controller, brokers: brokers, topics: topics,
                               groups: groups, problems: problems, quorum: quorum, transactions: transactions)
    }

    /// The Transactions view's rows: ListTransactions on every broker (those that fail are
    /// named in `problems`, the others still listed) and one DescribeTransactions per
    /// coordinator; then, only for partitions whose last stable offset
    /// is held below the high watermark (an open transaction holds it), DescribeProducers on
    /// their leaders, for the hanging transactions among theirs (Kafka's find-hanging rule:
    /// silent for `hangingAfterMs` and run by no coordinator). nil, without a problem line,
    /// when the cluster does not offer ListTransactions (UNSUPPORTED_VERSION).
    private func transactions(offsets: [TopicPartition: GroupPositions.PartitionOffsets], problems: inout [String]) async
        -> [TransactionSnapshot]? {
        let described: [TransactionDescription]
        do throws(ClientError) {
            // A broker that does not answer (killed, not fenced yet) costs only the
            // transactions it coordinates, as a leader costs only its partitions' offsets.
            let listed = try await admin.listTransactionsBestEffort()
            for (node, error) in listed.failures.sorted(by: { $0.key < $1.key }) {
                problems.append("transactions of broker \(node) not listed: \(error)")
            }
            let answered = listed.listings.filter { listed.failures[$0.coordinator] == nil }
            described = try await admin.describeTransactions(listed: answered)
        } catch {
            if case .broker(.unsupportedVersion, _) = error { return nil }
            problems.append("transactions: \(error)")
            return nil
        }
        var rows = described.map(TransactionSnapshot.init)
        let held = offsets.filter { _, o in
            guard let lso = o.lastStableOffset else { return false }
            return lso < o.highWatermark
        }.keys.sorted()
        if !held.isEmpty {
            do throws(ClientError) {
                let open = try await admin.openTransactions(in: held, silentForMs: hangingAfterMs, nowMs: now())
                rows += Admin.hanging(open, described: described).map(TransactionSnapshot.init(hanging:))
            } catch {
                problems.append("hanging transactions: \(error)")
            }
        }
        return rows
    }

    /// Bytes of each partition's leader replica: from `insight` when this process runs the
    /// cluster, else from DescribeLogDirs on the leaders that answer (none for a leader that
    /// does not, nor when the call fails: sizes are then unknown, not an error).
    func partitionSizes(placement: [(String, TopicMetadata)], reachable: (PartitionMetadata) -> Bool) async -> [TopicPartition: Int64] {
        if let insight { return insight.partitionSizes() }
        var leaders: [TopicPartition: Int32] = [:]
        for (_, t) in placement {
            for p in t.partitions where p.leader >= 0 && reachable(p) {
                leaders[p.topicPartition] = p.leader
            }
        }
        return (try? await admin.leaderReplicaSizes(leaders)) ?? [:]
    }

    /// The brokers of a cluster this process does not run: those `live` lists (DescribeCluster's
    /// or Metadata's brokers) are running;
    /// a broker that Metadata no longer lists, but that an earlier sample did or that a
    /// partition still names as a replica, is shown `fenced`. That is what leaving Metadata
    /// means in KRaft, after a controlled shutdown as after a missed session timeout; a broker
    /// stopped before the console started is known by the replicas it still holds.
    func remoteBrokers(metadata: ClusterMetadata, live: Set<Int32>, controller: Int32?) -> [BrokerSnapshot] {
        let named = metadata.topics.values.flatMap { $0.partitions.flatMap(\.replicas) }
        let all = lock.withLock { () -> Set<Int32> in
            knownBrokers.formUnion(live)
            knownBrokers.formUnion(named.filter { $0 >= 0 })
            return knownBrokers
        }
        return all.sorted().map {
            BrokerSnapshot(id: $0, state: live.contains($0) ? .running : .fenced, isController: $0 == controller)
        }
    }

    /// How long a voter may go without fetching from the quorum's leader and still be shown
    /// running: 1.5 × Kafka's default controller.quorum.fetch.timeout.ms (2 s), after which its
    /// leader would stop counting it (check quorum) and the voter itself would start an election.
    static let controllerSilenceMs: Int64 = 3_000

    /// The controller-only nodes of a cluster this process does not run: the quorum's voters
    /// that are not brokers (separate mode). The leader is running; another voter is running
    /// while its last fetch is within `controllerSilenceMs` of the leader's own timestamp (the
    /// time of the answer; the console's clock when the cluster gives none), else
    /// `unreachable`. Without a leader (an election) no voter is known to run.
    static func remoteControllers(_ quorum: DescribeQuorumResponse.Quorum, brokers: Set<Int32>, nowMs: Int64) -> [BrokerSnapshot] {
        let leader = quorum.voters.first { $0.replicaId == quorum.leaderId }
        let reference = leader.flatMap { $0.lastFetchTimestampMs > 0 ? $0.lastFetchTimestampMs : nil } ?? nowMs
        return quorum.voters.filter { !brokers.contains($0.replicaId) }.map { v in
            let isLeader = quorum.leaderId >= 0 && v.replicaId == quorum.leaderId
            let fetched = v.lastFetchTimestampMs >= 0 && reference - v.lastFetchTimestampMs <= controllerSilenceMs
            return BrokerSnapshot(id: v.replicaId, state: isLeader || (quorum.leaderId >= 0 && fetched) ? .running : .unreachable,
                                  isController: isLeader, role: .controller)
        }
    }

    /// One line per broker that did not answer for the partitions it leads, then one for the
    /// partitions whose offsets failed otherwise (the first few named).
    static func offsetProblems(_ read: Admin.LogOffsetsResult, metadata: ClusterMetadata) -> [String] {
        var lines: [String] = []
        var byLeader: [Int32: Int] = [:]
        var others: [(TopicPartition, ClientError)] = []
        for (tp, error) in read.failures {
            if case .transport = error, let leader = metadata.leader(of: tp) {
                byLeader[leader, default: 0] += 1
            } else {
                others.append((tp, error))
            }
        }
        for (leader, count) in byLeader.sorted(by: { $0.key < $1.key }) {
            lines.append("broker \(leader) does not answer: the \(count) partition\(count == 1 ? "" : "s") it leads \(count == 1 ? "is" : "are") unreachable")
        }
        if !others.isEmpty {
            let sorted = others.sorted { $0.0 < $1.0 }
            let named = sorted.prefix(3).map { "\($0.0): \($0.1)" }.joined(separator: "; ")
            lines.append("offsets of \(others.count) partition\(others.count == 1 ? "" : "s") not read: \(named)\(others.count > 3 ? "; ..." : "")")
        }
        return lines
    }

    /// Cached topic configs, re-read for new topics and every `configRefreshMs`.
    private func configs(for names: [String], problems: inout [String]) async -> [String: TopicConfigs] {
        let time = now()
        let (cached, readAt) = lock.withLock { (configs, configsReadAtMs) }
        let stale = readAt == .min || time &- readAt >= configRefreshMs
        let wanted = stale ? names : names.filter { cached[$0] == nil }
        guard !wanted.isEmpty else { return cached }
        do throws(ClientError) {
            let described = try await admin.describeConfigs(wanted.map { .topic($0) },
                                                            keys: ["retention.ms", "retention.bytes", "cleanup.policy"])
            var fresh = stale ? [:] : cached
            for name in wanted {
                let entries = described[.topic(name)] ?? []
                func value(_ key: String) -> String? { entries.first { $0.name == key }?.value }
                fresh[name] = TopicConfigs(retentionMs: value("retention.ms").flatMap { Int64($0) },
                                           retentionBytes: value("retention.bytes").flatMap { Int64($0) },
                                           cleanupPolicy: value("cleanup.policy"))
            }
            let result = fresh
            lock.withLock {
                configs = result
                if stale { configsReadAtMs = time }
            }
            return result
        } catch {
            problems.append("configs: \(error)")
            return cached
        }
    }

    /// The groups as read before the partitions' offsets: listings, descriptions with
    /// committed offsets, and live positions (read after the commits).
    struct GroupsRead {
        var listed: [Admin.ConsumerGroupListing] = []
        var samples: [String: Result<Admin.GroupSample, ClientError>] = [:]
        var live: [String: [TopicPartition: GroupPositions.LivePosition]] = [:]
    }

    private func readGroups(problems: inout [String]) async -> GroupsRead {
        var read = GroupsRead()
        do throws(ClientError) {
            read.listed = try await admin.listConsumerGroups()
        } catch {
            problems.append("groups: \(error)")
            return read
        }
        // One DescribeGroups and one OffsetFetch per coordinator, however many groups.
        read.samples = await admin.groupSamples(read.listed.map(\.groupId))
        for case let (id, .success(sample)) in read.samples {
            read.live[id] = GroupPositions.livePositions(groupId: id, registry: liveConsumers, owners: sample.description.assignments)
        }
        return read
    }

    /// Every consumer group with its positions, assembled with the offsets read after them.
    private func groups(_ read: GroupsRead, offsets: [TopicPartition: GroupPositions.PartitionOffsets],
                        problems: inout [String]) async -> [GroupSnapshot] {
        let listed = read.listed, samples = read.samples
        var groups: [GroupSnapshot] = []
        for listing in listed {
            switch samples[listing.groupId] {
            case let .success(sample)?:
                let description = sample.description
                let live = read.live[listing.groupId] ?? [:]
                let positions = GroupPositions(description: description, committed: sample.committed, offsets: offsets, live: live)
                groups.append(GroupSnapshot(groupId: listing.groupId, state: description.state,
                                            assignor: description.partitionAssignor, coordinator: description.coordinator,
                                            members: description.members, rows: positions.rows))
            case let .failure(error)?:
                problems.append("group \(listing.groupId): \(error)")
                groups.append(GroupSnapshot(groupId: listing.groupId, state: listing.state))
            case nil:
                groups.append(GroupSnapshot(groupId: listing.groupId, state: listing.state))
            }
        }
        // Statuses and time lags, for every group at once.
        var rows: [String: [GroupPositions.Row]] = [:]
        for g in groups { rows[g.groupId] = g.rows }
        let annotated = await lagTracker.annotate(rows)
        for i in groups.indices { if let r = annotated[groups[i].groupId] { groups[i].rows = r } }
        return groups
    }
}
