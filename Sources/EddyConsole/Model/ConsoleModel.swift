import EddyClient
import EddyProtocol

/// What the views draw: the latest `ConsoleSnapshot` plus series derived from the samples
/// before it. Pure: `append` is the only way samples come in, and everything is computed from
/// them, so tests drive it with hand-made snapshots.
///
/// Rates are per second between consecutive samples: the difference of a cumulative counter
/// divided by the time between the samples' `takenAtMs`.
/// - records/s in: log-end offset deltas (per partition, summed per topic and cluster);
/// - records/s consumed: per group and partition, the delta of the position when a live
///   consumer reports one in both samples, else of the committed offset (summed per group,
///   per topic over all groups, and for the cluster);
/// - bytes/s in: partition size deltas (per topic), and the broker's bytes in and out
///   counters (`ClusterInsight.brokerTraffic`).
/// A counter that went down (a reset, a truncating leader change, retention deleting
/// segments) counts as 0, not as negative throughput; a value missing from either sample
/// contributes nothing. The total lag series holds the lag itself at each sample, not a rate.
/// Series of topics, partitions, groups and brokers that are no longer in the latest sample
/// are dropped. A sample not newer than the previous one replaces it without adding rates.
///
/// Transaction holds: a partition whose last stable offset is below its high watermark has an
/// open transaction holding read_committed consumers back; `transactionHold` says since when
/// the last stable offset has stood where it is (the first sample that showed it there), so
/// the views can show how long the transaction has held it.
public struct ConsoleModel: Sendable {
    public static let defaultHistoryLimit = 120

    /// Most values kept per series.
    public let historyLimit: Int
    /// The newest sample, nil before the first.
    public private(set) var latest: ConsoleSnapshot?
    /// The sample before it.
    public private(set) var previous: ConsoleSnapshot?
    /// Samples appended so far.
    public private(set) var sampleCount = 0
    /// The last sampling failure (the source threw), cleared by the next sample.
    public var lastError: String?

    public private(set) var clusterIn: Series
    public private(set) var clusterConsumed: Series
    public private(set) var topicIn: [String: Series] = [:]
    public private(set) var topicBytesIn: [String: Series] = [:]
    public private(set) var topicConsumed: [String: Series] = [:]
    public private(set) var partitionIn: [TopicPartition: Series] = [:]
    public private(set) var groupConsumed: [String: Series] = [:]
    public private(set) var groupLag: [String: Series] = [:]
    public private(set) var brokerBytesIn: [Int32: Series] = [:]
    public private(set) var brokerBytesOut: [Int32: Series] = [:]
    /// Partitions held by an open transaction: the last stable offset, and when it first stood there.
    private var holds: [TopicPartition: (lastStableOffset: Int64, sinceMs: Int64)] = [:]

    /// Changes of the controller quorum's leadership between samples (elections, and a leader
    /// lost), oldest first; at most `maxQuorumChanges`. The first sample sets the baseline.
    public private(set) var quorumChanges: [QuorumChange] = []
    public static let maxQuorumChanges = 8
    private var lastQuorum: QuorumChange?

    /// The demo workload's producers and consumers (set by the app each frame from
    /// `DemoControls.workloadStatus`; empty without demo controls).
    public var workers: [DemoWorkerStatus] = []
    /// The running training scenario's caption (`DemoControls.scenarioCaption`).
    public var caption: String?

    public init(historyLimit: Int = ConsoleModel.defaultHistoryLimit) {
        self.historyLimit = max(2, historyLimit)
        clusterIn = Series(limit: self.historyLimit)
        clusterConsumed = Series(limit: self.historyLimit)
    }

    /// Takes a new sample and derives the rates since the previous one.
    public mutating func append(_ snapshot: ConsoleSnapshot) {
        defer {
            sampleCount += 1
            lastError = nil
        }
        trackHolds(snapshot)
        trackQuorum(snapshot)
        guard let old = latest, snapshot.takenAtMs > old.takenAtMs else {
            latest = snapshot
            appendLags(snapshot)
            prune(to: snapshot)
            return
        }
        previous = old
        latest = snapshot
        let seconds = Double(snapshot.takenAtMs - old.takenAtMs) / 1000

        func rate(_ new: Int64?, _ before: Int64?) -> Double {
            guard let new, let before, new > before else { return 0 }
            return Double(new - before) / seconds
        }

        // Fields are read in place (by index), not copied out with their arrays: tens of
        // thousands of partitions and group rows go through here every sample.
        var totalIn = 0.0
        for topic in snapshot.topics {
            let before = old.topicIndex(topic.name).map { old.topics[$0].partitions } ?? []
            var recordsIn = 0.0, bytesIn = 0.0
            let partitions = topic.partitions
            for i in partitions.indices {
                let number = partitions[i].partition
                var j = Int(number)
                if !(before.indices.contains(j) && before[j].partition == number) { j = before.firstIndex { $0.partition == number } ?? -1 }
                let r = rate(partitions[i].logEndOffset, j >= 0 ? before[j].logEndOffset : nil)
                recordsIn += r
                bytesIn += rate(partitions[i].sizeBytes, j >= 0 ? before[j].sizeBytes : nil)
                partitionIn[TopicPartition(topic.name, number), default: Series(limit: historyLimit)].append(r)
            }
            totalIn += recordsIn
            topicIn[topic.name, default: Series(limit: historyLimit)].append(recordsIn)
            topicBytesIn[topic.name, default: Series(limit: historyLimit)].append(bytesIn)
        }
        clusterIn.append(totalIn)

        var consumedByTopic: [String: Double] = [:]
        var totalConsumed = 0.0
        for group in snapshot.groups {
            // Both samples' rows are sorted by partition: walk them side by side.
            let beforeRows = old.group(group.groupId)?.rows ?? []
            let rows = group.rows
            var j = 0
            var consumed = 0.0
            for i in rows.indices {
                while j < beforeRows.count, beforeRows[j].topicPartition < rows[i].topicPartition { j += 1 }
                guard j < beforeRows.count, beforeRows[j].topicPartition == rows[i].topicPartition else { continue }
                let r = rows[i].position != nil && beforeRows[j].position != nil
                    ? rate(rows[i].position, beforeRows[j].position)
                    : rate(rows[i].committedOffset, beforeRows[j].committedOffset)
                consumed += r
                consumedByTopic[rows[i].topicPartition.topic, default: 0] += r
            }
            totalConsumed += consumed
            groupConsumed[group.groupId, default: Series(limit: historyLimit)].append(consumed)
        }
        clusterConsumed.append(totalConsumed)
        for topic in snapshot.topics {
            topicConsumed[topic.name, default: Series(limit: historyLimit)].append(consumedByTopic[topic.name] ?? 0)
        }

        for broker in snapshot.brokers {
            let o = old.brokers.first { $0.id == broker.id }
            guard broker.bytesIn != nil || broker.bytesOut != nil else { continue }
            brokerBytesIn[broker.id, default: Series(limit: historyLimit)].append(rate(broker.bytesIn, o?.bytesIn))
            brokerBytesOut[broker.id, default: Series(limit: historyLimit)].append(rate(broker.bytesOut, o?.bytesOut))
        }
        appendLags(snapshot)
        prune(to: snapshot)
    }

    private mutating func appendLags(_ snapshot: ConsoleSnapshot) {
        for group in snapshot.groups {
            groupLag[group.groupId, default: Series(limit: historyLimit)].append(Double(group.totalLag ?? 0))
        }
    }

    private mutating func prune(to snapshot: ConsoleSnapshot) {
        let topics = Set(snapshot.topics.map(\.name))
        let groups = Set(snapshot.groups.map(\.groupId))
        let brokers = Set(snapshot.brokers.map(\.id))
        if topicIn.count > topics.count {
            topicIn = topicIn.filter { topics.contains($0.key) }
            topicBytesIn = topicBytesIn.filter { topics.contains($0.key) }
            topicConsumed = topicConsumed.filter { topics.contains($0.key) }
        }
        if partitionIn.count > snapshot.partitionCount {
            partitionIn = partitionIn.filter { snapshot.partition($0.key) != nil }
        }
        if groupLag.count > groups.count || groupConsumed.count > groups.count {
            groupLag = groupLag.filter { groups.contains($0.key) }
            groupConsumed = groupConsumed.filter { groups.contains($0.key) }
        }
        if brokerBytesIn.count > brokers.count {
            brokerBytesIn = brokerBytesIn.filter { brokers.contains($0.key) }
            brokerBytesOut = brokerBytesOut.filter { brokers.contains($0.key) }
        }
    }

    // MARK: Derived values for the views

    /// Partitions each broker leads and hosts, from the latest sample.
    public func brokerLoad() -> [Int32: (leaders: Int, replicas: Int)] {
        var load: [Int32: (leaders: Int, replicas: Int)] = [:]
        for topic in latest?.topics ?? [] {
            for p in topic.partitions {
                if let leader = p.leader { load[leader, default: (0, 0)].leaders += 1 }
                for r in p.replicas { load[r, default: (0, 0)].replicas += 1 }
            }
        }
        return load
    }

    /// The demo consumers of `group` (for replay and member controls).
    public func demoConsumers(of group: String) -> [DemoWorkerStatus] {
        workers.filter { $0.kind == .consumer && $0.group == group }
    }

    /// How long an open transaction has held `tp`'s last stable offset where it is (ms, as of
    /// the latest sample); nil when no transaction holds it.
    public func transactionHold(_ tp: TopicPartition) -> (lastStableOffset: Int64, ageMs: Int64)? {
        guard let h = holds[tp], let latest else { return nil }
        return (h.lastStableOffset, max(0, latest.takenAtMs - h.sinceMs))
    }

    /// A sample that does not know a partition's offsets (its leader did not answer) keeps the
    /// partition's hold as it was, so that its age survives the gap.
    private mutating func trackHolds(_ snapshot: ConsoleSnapshot) {
        var next: [TopicPartition: (lastStableOffset: Int64, sinceMs: Int64)] = [:]
        for topic in snapshot.topics {
            for p in topic.partitions {
                let tp = TopicPartition(topic.name, p.partition)
                guard let lso = p.lastStableOffset, p.highWatermark != nil else {
                    if let h = holds[tp] { next[tp] = h }
                    continue
                }
                guard p.isHeldByTransaction else { continue }
                if let h = holds[tp], h.lastStableOffset == lso { next[tp] = h } else { next[tp] = (lso, snapshot.takenAtMs) }
            }
        }
        holds = next
    }

    /// Notes a change of the quorum's leader or epoch (`quorumChanges`).
    private mutating func trackQuorum(_ snapshot: ConsoleSnapshot) {
        guard let q = snapshot.quorum else { return }
        let leader = q.leaderId >= 0 ? q.leaderId : nil
        // Without a leader the epoch is unknown: the last one known stands.
        let now = QuorumChange(atMs: snapshot.takenAtMs, epoch: leader == nil ? lastQuorum?.epoch ?? q.leaderEpoch : q.leaderEpoch, leaderId: leader)
        defer { lastQuorum = now }
        guard let last = lastQuorum, last.epoch != now.epoch || last.leaderId != now.leaderId else { return }
        quorumChanges.append(now)
        if quorumChanges.count > Self.maxQuorumChanges { quorumChanges.removeFirst(quorumChanges.count - Self.maxQuorumChanges) }
    }
}

/// The controller quorum's leadership as one sample saw it change (`ConsoleModel.quorumChanges`).
public struct QuorumChange: Sendable, Equatable {
    public var atMs: Int64
    public var epoch: Int32
    /// The new leader; nil when the quorum lost its leader (an election is under way).
    public var leaderId: Int32?
}
