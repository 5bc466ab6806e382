import EddyProtocol
import EddyStorage

extension Broker {
    /// Appends producer batches (RecordBatch v2, laid end to end) to a partition, as a leader
    /// handling Produce with acks=1: the log validates and assigns offsets, and since this node
    /// is the only in-sync replica the high watermark moves to the new log end.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION, or the storage error (CORRUPT_MESSAGE,
    ///   MESSAGE_TOO_LARGE, INVALID_RECORD, KAFKA_STORAGE_ERROR).
    @discardableResult
    public func produce(_ tp: TopicPartition, records: [UInt8]) throws(BrokerError) -> LogAppendInfo {
        let (log, registration) = try localLog(tp)
        let info = try BrokerError.storage { try log.append(records, leaderEpoch: registration.leaderEpoch) }
        if registration.isr == [nodeId] { log.maybeIncrementHighWatermark(log.logEndOffset) }
        return info
    }

    /// Reads whole batches from `offset`, up to `maxBytes` (at least one batch when any is
    /// available) and never past the high watermark, as a consumer's Fetch does.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION; OFFSET_OUT_OF_RANGE below the log start offset or
    ///   above the log end offset.
    public func fetch(_ tp: TopicPartition, offset: Int64, maxBytes: Int) throws(BrokerError) -> FetchData {
        let (log, _) = try localLog(tp)
        return try BrokerError.storage { try log.read(from: offset, maxBytes: max(1, maxBytes), upTo: log.highWatermark) }
    }

    /// ListOffsets for a consumer: `.earliest` is the log start offset, `.latest` the high
    /// watermark, `.timestamp(t)` the first record at or after t below the high watermark
    /// (`ListedOffset.unknown` if none).
    public func listOffsets(_ tp: TopicPartition, _ spec: OffsetSpec) throws(BrokerError) -> ListedOffset {
        let (log, _) = try localLog(tp)
        switch spec {
        case .earliest:
            return ListedOffset(offset: log.logStartOffset, timestamp: -1)
        case .latest:
            return ListedOffset(offset: log.highWatermark, timestamp: -1)
        case let .timestamp(t):
            let hw = log.highWatermark
            guard let found = try BrokerError.storage({ try log.offset(forTimestamp: t) }), found.offset < hw else {
                return .unknown
            }
            return ListedOffset(offset: found.offset, timestamp: found.timestamp)
        }
    }

    /// DeleteRecords: makes `offset` the partition's log start offset; -1 means the high
    /// watermark (Kafka's `DeleteRecordsRequest.HIGH_WATERMARK`).
    /// - Returns: the new low watermark (log start offset).
    /// - Throws: OFFSET_OUT_OF_RANGE when `offset` is above the high watermark or below -1.
    @discardableResult
    public func deleteRecords(_ tp: TopicPartition, before offset: Int64) throws(BrokerError) -> Int64 {
        let (log, _) = try localLog(tp)
        let target = offset == -1 ? log.highWatermark : offset
        return try BrokerError.storage { try log.deleteRecords(before: target) }
    }

    /// The open log of a partition this node hosts, with its registration.
    private func localLog(_ tp: TopicPartition) throws(BrokerError) -> (PartitionLog, PartitionRegistration) {
        try lock.withLock { () throws(BrokerError) -> (PartitionLog, PartitionRegistration) in
            guard !isShutDown else { throw .brokerClosed }
            guard let topic = metadataLog.image.topic(named: tp.topic) else { throw Controller.unknownTopic(tp.topic) }
            guard let registration = topic.partitions[tp.partition] else {
                throw .unknownTopicOrPartition("Partition \(tp.partition) of topic '\(tp.topic)' does not exist (the topic has \(topic.partitionCount) partitions).")
            }
            guard let log = logManager.log(for: tp) else {
                throw .unknownTopicOrPartition("This server does not host partition \(tp) (its log could not be opened; see the log for why).")
            }
            return (log, registration)
        }
    }
}
