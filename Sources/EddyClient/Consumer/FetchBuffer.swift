import EddyProtocol

/// One partition's answer from a Fetch response, decoded and waiting for `poll` (Kafka's
/// `CompletedFetch`).
struct CompletedFetch {
    let topicPartition: TopicPartition
    /// The position this data continues from: it is used only while the partition's position
    /// still equals it (a `seek` or reset since the fetch makes it stale).
    var position: Int64
    var records: [ConsumerRecord]
    var nextIndex = 0
    /// Where the position goes once every record is consumed (after the last complete batch).
    let nextOffset: Int64
    let highWatermark: Int64
    let logStartOffset: Int64
    let lastStableOffset: Int64
    /// The partition's error in the response.
    let error: ErrorCode
    /// A batch that could not be decoded (CRC mismatch, malformed records).
    let decodeError: ClientError?
    /// Errors and log bounds are applied once, when `poll` first reaches this fetch.
    var initialized = false

    init(topicPartition: TopicPartition, position: Int64, records: [ConsumerRecord] = [], nextOffset: Int64,
         highWatermark: Int64 = -1, logStartOffset: Int64 = -1, lastStableOffset: Int64 = -1,
         error: ErrorCode = .none, decodeError: ClientError? = nil) {
        self.topicPartition = topicPartition
        self.position = position
        self.records = records
        self.nextOffset = nextOffset
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.lastStableOffset = lastStableOffset
        self.error = error
        self.decodeError = decodeError
    }
}

/// Fetched data not yet returned by `poll`, oldest first (Kafka's `FetchBuffer`), and the rules
/// for handing it out (Kafka's `FetchCollector`). A plain value kept under the consumer's lock.
struct FetchBuffer {
    private(set) var completed: [CompletedFetch] = []

    var isEmpty: Bool { completed.isEmpty }

    /// Whether data for `tp` is waiting: no new fetch is sent for it until it is consumed.
    func contains(_ tp: TopicPartition) -> Bool { completed.contains { $0.topicPartition == tp } }

    mutating func add(_ fetch: CompletedFetch) { completed.append(fetch) }

    /// Drops data of partitions no longer assigned.
    mutating func retain(assigned: (TopicPartition) -> Bool) { completed.removeAll { !assigned($0.topicPartition) } }

    struct Collected {
        var records: [ConsumerRecord] = []
        /// A partition's leader moved or is unknown: metadata must be refreshed.
        var metadataRefreshNeeded = false
    }

    /// Hands out up to `maxRecords` records, oldest fetch first, advancing positions in
    /// `subscriptions`:
    /// - data of unassigned partitions, or whose position moved since the fetch, is dropped;
    /// - data of paused partitions stays until they are resumed;
    /// - OFFSET_OUT_OF_RANGE resets the partition per `autoOffsetReset`, or throws
    ///   `.offsetOutOfRange` with `none`;
    /// - leadership errors ask for a metadata refresh; other partition errors and undecodable
    ///   batches throw;
    /// - a partition's position moves past the records handed out, and past the end of the
    ///   fetched batches once all its records are out.
    ///
    /// An error is thrown only when no record was collected yet in this call; otherwise the
    /// records go out and the error stays for the next call.
    mutating func collect(maxRecords: Int, subscriptions: inout SubscriptionState,
                          autoOffsetReset: AutoOffsetReset) throws(ClientError) -> Collected {
        var out = Collected()
        var i = 0
        while i < completed.count, out.records.count < maxRecords {
            let tp = completed[i].topicPartition
            guard subscriptions.isAssigned(tp), subscriptions.position(tp) == completed[i].position else {
                completed.remove(at: i)
                continue
            }
            if subscriptions.isPaused(tp) {
                i += 1
                continue
            }
            if !completed[i].initialized {
                if let failure = initializationError(completed[i], autoOffsetReset: autoOffsetReset) {
                    switch failure {
                    case let .fatal(e):
                        // Throw now, or on the next call if records are already on their way.
                        if out.records.isEmpty { throw e }
                        return out
                    case let .reset(strategy):
                        subscriptions.requestReset(tp, strategy)
                        completed.remove(at: i)
                        continue
                    case .refreshMetadata:
                        out.metadataRefreshNeeded = true
                        completed.remove(at: i)
                        continue
                    }
                }
                completed[i].initialized = true
                let f = completed[i]
                subscriptions.updateBounds(tp, highWatermark: f.highWatermark, logStartOffset: f.logStartOffset,
                                           lastStableOffset: f.lastStableOffset)
            }
            let available = completed[i].records.count - completed[i].nextIndex
            let n = min(maxRecords - out.records.count, available)
            if n > 0 {
                let start = completed[i].nextIndex
                if out.records.isEmpty, start == 0, n == completed[i].records.count {
                    // The whole fetch in one go: share its array instead of copying the records.
                    out.records = completed[i].records
                } else {
                    out.records.append(contentsOf: completed[i].records[start ..< start + n])
                }
                completed[i].nextIndex += n
                let last = completed[i].records[start + n - 1]
                subscriptions.advance(tp, to: last.offset + 1, epoch: last.leaderEpoch)
                completed[i].position = last.offset + 1
            }
            if completed[i].nextIndex == completed[i].records.count {
                if completed[i].nextOffset > completed[i].position {
                    subscriptions.advance(tp, to: completed[i].nextOffset, epoch: nil)
                }
                completed.remove(at: i)
            }
        }
        return out
    }

    private enum InitializationFailure {
        case fatal(ClientError)
        case reset(AutoOffsetReset)
        case refreshMetadata
    }

    private func initializationError(_ f: CompletedFetch, autoOffsetReset: AutoOffsetReset) -> InitializationFailure? {
        if let e = f.decodeError { return .fatal(e) }
        switch f.error {
        case .none:
            return nil
        case .offsetOutOfRange:
            guard autoOffsetReset != .none else { return .fatal(.offsetOutOfRange(f.topicPartition, offset: f.position)) }
            return .reset(autoOffsetReset)
        case .corruptMessage:
            // Retriable in Kafka's error table, but fetching again returns the same bytes: like
            // Kafka's consumer, report it to the application instead of retrying for ever.
            return .fatal(.broker(.corruptMessage, message: "the broker found a corrupt record batch when fetching \(f.topicPartition) "
                + "at offset \(f.position); seek past it to go on"))
        case .notLeaderOrFollower, .fencedLeaderEpoch, .unknownLeaderEpoch, .unknownTopicOrPartition, .leaderNotAvailable,
             .kafkaStorageError, .offsetNotAvailable, .unknownTopicId, .inconsistentTopicId, .replicaNotAvailable:
            return .refreshMetadata
        default:
            if f.error.isRetriable { return .refreshMetadata }
            return .fatal(.broker(f.error, message: "fetching \(f.topicPartition) at offset \(f.position) failed"))
        }
    }
}
