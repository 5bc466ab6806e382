import EddyProtocol

extension Admin {
    /// Which offset `listOffsets` asks a partition leader for (Kafka's `OffsetSpec`, plus
    /// `logEnd`).
    public enum OffsetSpec: Sendable, Equatable, Hashable {
        /// The log start offset.
        case earliest
        /// The high watermark (read_uncommitted; the last stable offset under read_committed):
        /// the end of what consumers can read.
        case latest
        /// The offset of the record with the largest timestamp (KIP-734).
        case maxTimestamp
        /// The first offset whose record timestamp is >= the given one (ms since the epoch).
        case forTimestamp(Int64)
        /// The leader's log end offset, past the high watermark while followers catch up. eddy
        /// asks with Kafka's DEBUGGING_REPLICA_ID (-2), as Kafka's tools never do.
        case logEnd
        /// The first offset in the leader's local log (KIP-405; the log start offset without
        /// tiered storage). ListOffsets v8+.
        case earliestLocal
        /// The last offset in tiered storage (KIP-1005): -1 without it. ListOffsets v9+.
        case latestTiered

        var timestamp: Int64 {
            switch self {
            case .earliest: ListOffsetsRequest.earliestTimestamp
            case .latest, .logEnd: ListOffsetsRequest.latestTimestamp
            case .maxTimestamp: ListOffsetsRequest.maxTimestamp
            case .earliestLocal: ListOffsetsRequest.earliestLocalTimestamp
            case .latestTiered: ListOffsetsRequest.latestTieredTimestamp
            case let .forTimestamp(ts): ts
            }
        }
    }

    /// Kafka's `ListOffsetsResultInfo`.
    public struct ListOffsetsResultInfo: Sendable, Equatable {
        /// -1 when no record matches (a timestamp after every record's, or an empty log for
        /// `maxTimestamp`).
        public var offset: Int64
        /// The record's timestamp for timestamp lookups, else -1.
        public var timestamp: Int64
        public var leaderEpoch: Int32?

        public init(offset: Int64, timestamp: Int64, leaderEpoch: Int32?) {
            self.offset = offset
            self.timestamp = timestamp
            self.leaderEpoch = leaderEpoch
        }
    }

    /// Kafka's `DEBUGGING_REPLICA_ID`: a ListOffsets "latest" answered with the log end offset.
    static let debuggingReplicaId: Int32 = -2

    // MARK: List offsets

    /// ListOffsets to each partition's leader (one request per leader and replica id, all at
    /// once), retried after a metadata refresh when a leader moved. A topic or partition that
    /// does not exist fails the call with UNKNOWN_TOPIC_OR_PARTITION. On a cluster eddy did not
    /// make, "latest" and log-end answers are checked with one Fetch per leader
    /// (`checkedLatestOffsets`).
    public func listOffsets(_ specs: [TopicPartition: OffsetSpec],
                            isolationLevel: IsolationLevel = .readUncommitted) async throws(ClientError) -> [TopicPartition: ListOffsetsResultInfo] {
        let deadline = deadline()
        var out: [TopicPartition: ListOffsetsResultInfo] = [:]
        // The log end needs another replica id, so it goes in requests of its own.
        for logEnd in [false, true] {
            let group = specs.filter { ($0.value == .logEnd) == logEnd }
            guard !group.isEmpty else { continue }
            let found = try await leaderCall(Array(group.keys), deadline: deadline,
                                             listOffsetsOnLeader(group, isolationLevel: isolationLevel, deadline: deadline))
            out.merge(found) { _, b in b }
        }
        return out
    }

    /// ListOffsets with each partition's own result, as Kafka's `ListOffsetsResult.partitionResult`
    /// futures give them (`kafka-get-offsets` prints them): a partition's failure (no leader, a
    /// leader that does not answer, an unknown partition) does not fail the others. Throws
    /// only when no broker answers Metadata.
    public func listOffsetsByPartition(_ specs: [TopicPartition: OffsetSpec],
                                       isolationLevel: IsolationLevel = .readUncommitted) async throws(ClientError)
        -> [TopicPartition: Result<ListOffsetsResultInfo, ClientError>] {
        let deadline = deadline()
        var out: [TopicPartition: Result<ListOffsetsResultInfo, ClientError>] = [:]
        for logEnd in [false, true] {
            let group = specs.filter { ($0.value == .logEnd) == logEnd }
            guard !group.isEmpty else { continue }
            let answers = try await leaderCallBestEffort(Array(group.keys), deadline: deadline,
                                                         listOffsetsOnLeader(group, isolationLevel: isolationLevel, deadline: deadline))
            for (tp, error) in answers.failures { out[tp] = .failure(error) }
            for (tp, info) in answers.values { out[tp] = .success(info) }
        }
        return out
    }

    /// One ListOffsets request to a leader for `specs`' partitions it leads (all `.logEnd` or
    /// none: the log end is asked with another replica id).
    private func listOffsetsOnLeader(_ specs: [TopicPartition: OffsetSpec], isolationLevel: IsolationLevel, deadline: Int64)
        -> @Sendable (Int32, [TopicPartition]) async throws(ClientError) -> [TopicPartition: PartitionOutcome<ListOffsetsResultInfo>] {
        let replicaId = specs.values.contains(.logEnd) ? Self.debuggingReplicaId : ListOffsetsRequest.consumerReplicaId
        return { [client] (leader, tps) async throws(ClientError) -> [TopicPartition: PartitionOutcome<ListOffsetsResultInfo>] in
            let request = ListOffsetsRequest(
                replicaId: replicaId, isolationLevel: isolationLevel,
                topics: Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map { topic, tps in
                    .init(name: topic, partitions: tps.map { .init(partitionIndex: $0.partition, timestamp: specs[$0]!.timestamp) })
                })
            let response = try await client.send(.listOffsets(request), to: leader)
            guard case let .listOffsets(r) = response else { throw Self.unexpected(response, expected: "ListOffsets") }
            var outcomes: [TopicPartition: PartitionOutcome<ListOffsetsResultInfo>] = [:]
            for tp in tps {
                guard let p = r.partition(topic: tp.topic, partition: tp.partition) else { continue }
                outcomes[tp] = p.errorCode != .none ? .failure(p.errorCode)
                    : .success(ListOffsetsResultInfo(offset: p.offset, timestamp: p.timestamp,
                                                     leaderEpoch: p.leaderEpoch >= 0 ? p.leaderEpoch : nil))
            }
            // A cluster eddy did not make may answer "latest" below the high watermark (see
            // `checkedLatestOffsets`).
            guard isolationLevel == .readUncommitted else { return outcomes }
            var latest: [TopicPartition: Int64] = [:]
            for tp in tps where specs[tp] == .latest || specs[tp] == .logEnd {
                if case let .success(info)? = outcomes[tp] { latest[tp] = info.offset }
            }
            for (tp, offset) in await Self.checkedLatestOffsets(latest, leader: leader, client: client,
                                                                timeoutMs: max(1, deadline - ClientTime.monotonicMs())) {
                if case var .success(info)? = outcomes[tp], offset > info.offset {
                    info.offset = offset
                    outcomes[tp] = .success(info)
                }
            }
            return outcomes
        }
    }

    /// The same spec for every partition; the offsets only.
    public func listOffsets(_ partitions: [TopicPartition], _ spec: OffsetSpec,
                            isolationLevel: IsolationLevel = .readUncommitted) async throws(ClientError) -> [TopicPartition: Int64] {
        let specs = Dictionary(partitions.map { ($0, spec) }, uniquingKeysWith: { a, _ in a })
        return try await listOffsets(specs, isolationLevel: isolationLevel).mapValues(\.offset)
    }

    // MARK: Delete records

    /// DeleteRecords: advances each partition's log start offset to the given offset (records
    /// below it are deleted; `DeleteRecordsRequest.highWatermark` means up to the high
    /// watermark). Returns each partition's new low watermark. OFFSET_OUT_OF_RANGE when an
    /// offset is beyond the high watermark.
    public func deleteRecords(_ beforeOffsets: [TopicPartition: Int64]) async throws(ClientError) -> [TopicPartition: Int64] {
        try await leaderCall(Array(beforeOffsets.keys), deadline: deadline(), deleteRecordsOnLeader(beforeOffsets))
    }

    /// DeleteRecords with each partition's own result, as Kafka's
    /// `DeleteRecordsResult.lowWatermarks` gives them (`kafka-delete-records` prints them): one
    /// request per leader; a partition's failure (OFFSET_OUT_OF_RANGE, no leader, an unknown
    /// partition, ...) does not fail the others. Throws only when no broker answers Metadata.
    public func deleteRecordsByPartition(_ beforeOffsets: [TopicPartition: Int64]) async throws(ClientError)
        -> [TopicPartition: Result<Int64, ClientError>] {
        let answers = try await leaderCallBestEffort(Array(beforeOffsets.keys), deadline: deadline(), deleteRecordsOnLeader(beforeOffsets))
        var out = answers.failures.mapValues { Result<Int64, ClientError>.failure($0) }
        for (tp, low) in answers.values { out[tp] = .success(low) }
        return out
    }

    /// One leader's DeleteRecords of its share of `beforeOffsets`.
    private func deleteRecordsOnLeader(_ beforeOffsets: [TopicPartition: Int64])
        -> @Sendable (Int32, [TopicPartition]) async throws(ClientError) -> [TopicPartition: PartitionOutcome<Int64>] {
        let timeoutMs = Int32(clamping: config.defaultApiTimeoutMs)
        return { [client] (leader, tps) async throws(ClientError) -> [TopicPartition: PartitionOutcome<Int64>] in
            let request = DeleteRecordsRequest(
                topics: Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map { topic, tps in
                    .init(name: topic, partitions: tps.map { .init(partitionIndex: $0.partition, offset: beforeOffsets[$0]!) })
                },
                timeoutMs: timeoutMs)
            let response = try await client.send(.deleteRecords(request), to: leader)
            guard case let .deleteRecords(r) = response else { throw Self.unexpected(response, expected: "DeleteRecords") }
            var outcomes: [TopicPartition: PartitionOutcome<Int64>] = [:]
            for tp in tps {
                guard let p = r.partition(topic: tp.topic, partition: tp.partition) else { continue }
                outcomes[tp] = p.errorCode != .none ? .failure(p.errorCode) : .success(p.lowWatermark)
            }
            return outcomes
        }
    }
}
