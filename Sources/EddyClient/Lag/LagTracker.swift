import EddyProtocol

/// Lag intelligence over successive samples of consumer groups (what `eddy lag` and the console
/// show, from the same code): Burrow's status per partition (`LagStatus`, over a
/// `CommitHistory`) and the time lag (`Admin.recordTimestamps`).
///
/// Where commits come from, as Burrow reads them: the `__consumer_offsets` topic, consumed from
/// its end by a group-less consumer of this client, which gives every commit with the
/// coordinator's commit timestamp (Kafka's OffsetCommitValue); OffsetFetch has no timestamps.
/// The lag of a commit is the partition's high watermark as sampled at or before the commit
/// (the oldest sample kept, for a commit older than all) minus its offset. The log is read with
/// read_committed, so offsets committed in aborted transactions do not count.
/// On a cluster without a readable `__consumer_offsets` (Tansu), commits are sampled instead:
/// each sample whose committed offset differs from the previous one counts as a commit at the
/// sample's time. Sampling cannot see a consumer that commits the same offset again, so there a
/// stalled consumer shows STOP rather than STALL (`source` tells which applies). The topic is
/// looked for again every 10 s while commits are sampled: a new cluster has none until its
/// first commit.
///
/// Statuses need two commits seen since tracking began (a window of one has none). The clock is
/// injectable; `annotate` is called once per sample.
public actor LagTracker {
    public enum Source: String, Sendable, Equatable {
        /// Commits read from `__consumer_offsets`, with their commit timestamps.
        case offsetsTopic = "__consumer_offsets"
        /// Commits sampled from OffsetFetch answers.
        case sampling = "sampled OffsetFetch"
    }

    public let admin: Admin
    private let now: @Sendable () -> Int64
    private let readOffsetsTopic: Bool
    public private(set) var history: CommitHistory
    public private(set) var source: Source?
    private var reader: Consumer?
    private var lastCommitted: [String: [TopicPartition: Int64]] = [:]
    private var readerCheckedAtMs: Int64 = .min
    static let readerRetryMs: Int64 = 10_000
    /// The timestamps of the records that lagging groups read next, by partition and offset,
    /// with when they were read; only those of the last sample are kept. A record is not
    /// rewritten in place, but an offset can come to hold another: after a truncation or a
    /// topic re-created under its name (the partition's high watermark goes back: its entries
    /// are dropped), or compaction (the record at a committed offset removed, the next one
    /// read instead): so entries are also read again after `recordTimestampMaxAgeMs`.
    private var recordTimestamps: [TopicPartition: [Int64: (timestampMs: Int64, readAtMs: Int64)]] = [:]
    static let recordTimestampMaxAgeMs: Int64 = 300_000
    /// Each partition's last few high watermarks with their sample times, oldest first.
    private var highWatermarkSamples: [TopicPartition: [(ms: Int64, hw: Int64)]] = [:]
    static let highWatermarkSamplesKept = 16
    /// How long one sample may spend reading `__consumer_offsets` before the rest waits for the
    /// next sample.
    static let readBudgetMs: Int64 = 2_000

    public init(admin: Admin, windowSize: Int = 10, minDistanceMs: Int64 = 1_000, readOffsetsTopic: Bool = true,
                now: @escaping @Sendable () -> Int64 = { ClientTime.wallClockMs() }) {
        self.admin = admin
        self.now = now
        self.readOffsetsTopic = readOffsetsTopic
        history = CommitHistory(capacity: windowSize, minDistanceMs: minDistanceMs)
    }

    /// The rows of each group (by group id) with `status` and `committedRecordTimestampMs` set.
    public func annotate(_ groups: [String: [GroupPositions.Row]]) async -> [String: [GroupPositions.Row]] {
        let sampledAt = now()
        for rows in groups.values {
            for r in rows {
                guard let hw = r.highWatermark, highWatermarkSamples[r.topicPartition]?.last?.ms != sampledAt else { continue }
                // A high watermark that went back means the log was truncated or the topic
                // re-created: the records at known offsets may be others now.
                if let last = highWatermarkSamples[r.topicPartition]?.last?.hw, hw < last { recordTimestamps[r.topicPartition] = nil }
                highWatermarkSamples[r.topicPartition, default: []].append((sampledAt, hw))
                if highWatermarkSamples[r.topicPartition]!.count > Self.highWatermarkSamplesKept {
                    highWatermarkSamples[r.topicPartition]!.removeFirst()
                }
            }
        }
        await readCommits(groups)
        // Groups that are gone take their windows with them.
        history.keep(groups: Set(groups.keys))
        lastCommitted = lastCommitted.filter { groups[$0.key] != nil }
        // The timestamp of the record each lagging group reads next: one small fetch per leader
        // for those not known yet, or read more than `recordTimestampMaxAgeMs` ago (a record's
        // timestamp does not change, so an idle group costs little after its first sample); a
        // partition read at several offsets takes a round per offset.
        var used: [TopicPartition: Set<Int64>] = [:]
        for rows in groups.values {
            for r in rows where (r.lag ?? 0) > 0 {
                guard let c = r.committedOffset else { continue }
                used[r.topicPartition, default: []].insert(max(c, r.logStartOffset ?? c))
            }
        }
        recordTimestamps = recordTimestamps.reduce(into: [:]) { kept, entry in
            guard let offsets = used[entry.key] else { return }
            let known = entry.value.filter { offsets.contains($0.key) && sampledAt &- $0.value.readAtMs < Self.recordTimestampMaxAgeMs }
            if !known.isEmpty { kept[entry.key] = known }
        }
        var rounds: [[TopicPartition: Int64]] = []
        for (tp, offsets) in used {
            for (i, offset) in offsets.filter({ recordTimestamps[tp]?[$0] == nil }).sorted().enumerated() {
                if i == rounds.count { rounds.append([:]) }
                rounds[i][tp] = offset
            }
        }
        for round in rounds {
            for (tp, ts) in await admin.recordTimestamps(at: round) {
                recordTimestamps[tp, default: [:]][round[tp]!] = (ts, sampledAt)
            }
        }
        let nowMs = now()
        return groups.reduce(into: [:]) { out, entry in
            out[entry.key] = entry.value.map { row in
                var r = row
                r.status = history.status(group: entry.key, r.topicPartition, nowMs: nowMs, currentLag: r.lag)
                if (r.lag ?? 0) > 0, let c = r.committedOffset {
                    r.committedRecordTimestampMs = recordTimestamps[r.topicPartition]?[max(c, r.logStartOffset ?? c)]?.timestampMs
                }
                return r
            }
        }
    }

    /// Stops reading `__consumer_offsets`.
    public func close() async {
        await reader?.close(timeoutMs: 1_000)
        reader = nil
    }

    // MARK: Commits

    private func readCommits(_ groups: [String: [GroupPositions.Row]]) async {
        // `__consumer_offsets` appears with the first group's commit: until then, and after a
        // failure, it is looked for again every `readerRetryMs`.
        let nowMs = now()
        if source == nil || (source == .sampling && readOffsetsTopic && nowMs &- readerCheckedAtMs >= Self.readerRetryMs) {
            readerCheckedAtMs = nowMs
            source = await startReader()
        }
        if source == .offsetsTopic, let reader {
            do throws(ClientError) {
                // Up to the end the log had when this sample began (within a budget): a busy
                // cluster's commits do not pile up unread.
                let partitions = Array(reader.assignment())
                let ends = try await reader.endOffsets(partitions, timeoutMs: 5_000)
                let deadline = ClientTime.monotonicMs() + Self.readBudgetMs
                var emptyPolls = 0
                while ClientTime.monotonicMs() < deadline, emptyPolls < 3 {
                    let records = try await reader.poll(timeoutMs: 50)
                    for record in records { apply(record) }
                    emptyPolls = records.isEmpty ? emptyPolls + 1 : 0
                    var caughtUp = true
                    for tp in partitions where (ends[tp] ?? 0) > (try await reader.position(tp, timeoutMs: 5_000)) { caughtUp = false }
                    if caughtUp { break }
                }
                return
            } catch {
                // The topic became unreadable: sample until it can be read again.
                await reader.close(timeoutMs: 1_000)
                self.reader = nil
                source = .sampling
            }
        }
        for (group, rows) in groups {
            for r in rows {
                guard let c = r.committedOffset, let lag = r.lag else { continue }
                if lastCommitted[group]?[r.topicPartition] != c {
                    lastCommitted[group, default: [:]][r.topicPartition] = c
                    history.record(group: group, r.topicPartition, CommitObservation(offset: c, timestampMs: nowMs, lag: lag))
                }
            }
        }
    }

    /// A consumer on every partition of `__consumer_offsets`, at its end; nil source (so
    /// sampling) where the topic is not there or cannot be assigned.
    private func startReader() async -> Source {
        guard readOffsetsTopic,
              let metadata = try? await admin.client.refreshMetadata(topics: [OffsetsTopic.name]),
              let topic = metadata.topics[OffsetsTopic.name], !topic.partitions.isEmpty else { return .sampling }
        var config = ConsumerConfig(groupId: nil)
        config.enableAutoCommit = false
        config.registry = LiveConsumers()
        config.clientId = "eddy-lag-tracker"
        config.fetchMaxWaitMs = 10
        // Offsets committed in a transaction that aborted never took effect.
        config.isolationLevel = .readCommitted
        do throws(ClientError) {
            let consumer = try Consumer(client: admin.client, config: config)
            let partitions = topic.partitions.map(\.topicPartition)
            try await consumer.assign(partitions)
            try consumer.seekToEnd(partitions)
            reader = consumer
            return .offsetsTopic
        } catch {
            return .sampling
        }
    }

    /// One `__consumer_offsets` record: an offset commit (key versions 0 and 1) is recorded; its
    /// tombstone forgets the partition's window; group metadata and unknown records are skipped.
    private func apply(_ record: ConsumerRecord) {
        guard let key = record.key, let commit = OffsetsTopic.commitKey(key) else { return }
        guard let value = record.value else { return history.forget(group: commit.group, commit.partition) }
        guard let v = OffsetsTopic.commitValue(value), let hw = highWatermark(of: commit.partition, at: v.commitTimestampMs) else { return }
        history.record(group: commit.group, commit.partition,
                       CommitObservation(offset: v.offset, timestampMs: v.commitTimestampMs, lag: max(0, hw - v.offset)))
    }
}

extension LagTracker {
    /// The high watermark sampled at or before `ms` (the oldest kept, for earlier times); nil
    /// for a partition never sampled.
    func highWatermark(of tp: TopicPartition, at ms: Int64) -> Int64? {
        guard let samples = highWatermarkSamples[tp], let oldest = samples.first else { return nil }
        return samples.last { $0.ms <= ms }?.hw ?? oldest.hw
    }
}

/// The parts of Kafka's `__consumer_offsets` records that lag tracking reads (the generated
/// `OffsetCommitKey` / `OffsetCommitValue` schemas, each behind its int16 version).
enum OffsetsTopic {
    static let name = "__consumer_offsets"

    static func commitKey(_ bytes: [UInt8]) -> (group: String, partition: TopicPartition)? {
        guard let version = try? Wire.versionPrefix(of: bytes), version == 0 || version == 1,
              let k = try? Wire.OffsetCommitKey(versionPrefixed: bytes, version: version) else { return nil }
        return (k.group, TopicPartition(k.topic, k.partition))
    }

    static func commitValue(_ bytes: [UInt8]) -> (offset: Int64, commitTimestampMs: Int64)? {
        guard let version = try? Wire.versionPrefix(of: bytes), (0 ... 4).contains(version),
              let v = try? Wire.OffsetCommitValue(versionPrefixed: bytes, version: version) else { return nil }
        return (v.offset, v.commitTimestamp)
    }
}
