import EddyProtocol

/// What a partition's log says about transactions in a range of offsets, read from its batches
/// as they are stored (a consumer never sees this: it drops control batches, and with
/// read_committed the aborted records): the transaction markers, and the fate of each
/// transactional batch.
///
/// A transactional batch of producer P belongs to P's transaction that the next marker of P
/// after it ends (Kafka's rule: a producer has at most one open transaction per partition):
/// committed or aborted by that marker, open when none follows and the batch lies at or past the
/// last stable offset, unknown when the scan stopped before finding it.
public struct PartitionTransactionLayout: Sendable, Equatable {
    /// A COMMIT or ABORT control record.
    public struct Marker: Sendable, Hashable {
        public var offset: Int64
        public var producerId: Int64
        public var producerEpoch: Int16
        public var committed: Bool
        public var coordinatorEpoch: Int32
        public var timestamp: Int64

        public init(offset: Int64, producerId: Int64, producerEpoch: Int16, committed: Bool, coordinatorEpoch: Int32, timestamp: Int64) {
            self.offset = offset
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.committed = committed
            self.coordinatorEpoch = coordinatorEpoch
            self.timestamp = timestamp
        }
    }

    public enum Fate: String, Sendable, Equatable {
        case committed, aborted, open, unknown
    }

    /// One transactional data batch: its offsets, producer and fate.
    public struct Batch: Sendable, Equatable {
        public var firstOffset: Int64
        public var lastOffset: Int64
        public var producerId: Int64
        public var fate: Fate
    }

    /// The markers in the range, by offset.
    public var markers: [Marker]
    /// The transactional data batches that overlap the range, by offset.
    public var batches: [Batch]

    public init(markers: [Marker] = [], batches: [Batch] = []) {
        self.markers = markers
        self.batches = batches
    }

    /// The transaction the record at `offset` belongs to: its producer and fate; nil when the
    /// record is not transactional (or outside the range read).
    public func transaction(at offset: Int64) -> (producerId: Int64, fate: Fate)? {
        var lo = 0, hi = batches.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if batches[mid].lastOffset < offset { lo = mid + 1 } else { hi = mid }
        }
        guard lo < batches.count, batches[lo].firstOffset <= offset else { return nil }
        return (batches[lo].producerId, batches[lo].fate)
    }

    /// Builds the layout from batch headers (and the markers' records) in log order, as read
    /// from `start`: markers and transactional batches overlapping [start, end) are kept; a
    /// marker at or past `end` still decides the batches before it. Batches left without a
    /// marker are open when they lie at or past `lastStableOffset`, else unknown. Pure.
    public static func build(_ entries: [(header: RecordBatchHeader, marker: EndTransactionMarker?)], start: Int64, end: Int64,
                             lastStableOffset: Int64?) -> PartitionTransactionLayout {
        var layout = PartitionTransactionLayout()
        var pending: [Int64: [Int]] = [:]
        for (header, marker) in entries where header.lastOffset >= start {
            guard header.attributes.isTransactional, header.producerId >= 0 else { continue }
            if header.attributes.isControl {
                guard let marker else { continue }
                for i in pending.removeValue(forKey: header.producerId) ?? [] {
                    layout.batches[i].fate = marker.committed ? .committed : .aborted
                }
                if header.baseOffset < end {
                    layout.markers.append(Marker(offset: header.baseOffset, producerId: header.producerId, producerEpoch: header.producerEpoch,
                                                 committed: marker.committed, coordinatorEpoch: marker.coordinatorEpoch,
                                                 timestamp: header.maxTimestamp))
                }
            } else if header.baseOffset < end {
                pending[header.producerId, default: []].append(layout.batches.count)
                layout.batches.append(Batch(firstOffset: header.baseOffset, lastOffset: header.lastOffset, producerId: header.producerId,
                                            fate: .unknown))
            }
        }
        for i in pending.values.joined() {
            if let lastStableOffset, layout.batches[i].firstOffset >= lastStableOffset { layout.batches[i].fate = .open }
        }
        return layout
    }

    /// Whether every transactional batch read so far has its fate.
    var isDecided: Bool { !batches.contains { $0.fate == .unknown } }
}

extension Admin {
    /// The transaction markers of `tp` in [start, end) and the fate of its transactional
    /// batches there (the console's Messages view): read_uncommitted Fetches at the leader from
    /// `start`, on past `end` while some batch waits for its producer's marker, up to the high
    /// watermark or `scanBytes` read, whichever comes first (a batch still without a marker then
    /// is `open` at or past the last stable offset, else `unknown`).
    public func transactionLayout(of tp: TopicPartition, from start: Int64, until end: Int64,
                                  scanBytes: Int = 4 << 20) async throws(ClientError) -> PartitionTransactionLayout {
        let deadline = deadline()
        var entries: [(header: RecordBatchHeader, marker: EndTransactionMarker?)] = []
        var offset = start
        var read = 0
        var lastStable: Int64?
        while true {
            let fetchOffset = offset
            let data = try await leaderCall([tp], deadline: deadline) { [client] leader, _ throws(ClientError) -> [TopicPartition: PartitionOutcome<FetchResponse.PartitionData>] in
                let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: .readUncommitted, topics: [
                    .init(topic: tp.topic, partitions: [.init(partition: tp.partition, fetchOffset: fetchOffset, partitionMaxBytes: 1 << 20)]),
                ])
                let response = try await client.send(.fetch(request), to: leader)
                guard case let .fetch(r) = response else { throw Admin.unexpected(response, expected: "Fetch") }
                guard let p = r.partition(topic: tp.topic, partition: tp.partition) else { return [tp: .failure(.unknownServerError)] }
                return [tp: p.errorCode == .none ? .success(p) : .failure(p.errorCode)]
            }[tp]
            guard let data else { break }
            if data.lastStableOffset >= 0 { lastStable = data.lastStableOffset }
            let bytes = data.records
            read += bytes.count
            let locations = (try? MemoryRecords.batches(in: bytes, allowPartialTail: true)) ?? []
            for location in locations where location.header.lastOffset >= offset {
                var marker: EndTransactionMarker?
                if location.header.attributes.isControl {
                    marker = try? EndTransactionMarker.parse(RecordBatch(bytes: Array(bytes[location.range])))
                }
                entries.append((location.header, marker))
                offset = location.header.nextOffset
            }
            // Decided means by a marker: a batch past the LSO may still find its (commit) marker
            // further on, so it is called open only once the scan has ended.
            let decided = PartitionTransactionLayout.build(entries, start: start, end: end, lastStableOffset: nil).isDecided
            let atEnd = offset == fetchOffset || offset >= data.highWatermark
            if atEnd || read >= scanBytes || (offset >= end && decided) { break }
        }
        return PartitionTransactionLayout.build(entries, start: start, end: end, lastStableOffset: lastStable)
    }
}
