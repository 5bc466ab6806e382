import EddyProtocol
@testable import EddyStorage
import Testing

/// A record to put in a test batch.
struct TestRecord: Equatable {
    var key: String?
    var value: String?
    var timestamp: Int64
    var headers: [RecordHeader] = []
}

extension TestRecord {
    static func kv(_ key: String?, _ value: String?, ts: Int64, headers: [RecordHeader] = []) -> TestRecord {
        TestRecord(key: key, value: value, timestamp: ts, headers: headers)
    }
}

enum CleanerFixtures {
    static func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }

    /// One uncompressed batch at `baseOffset`.
    static func batch(_ base: Int64, _ records: [TestRecord], epoch: Int32 = 0,
                      attributes: RecordBatchAttributes = RecordBatchAttributes(),
                      producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1) -> [UInt8] {
        var b = RecordBatchBuilder(baseOffset: base, partitionLeaderEpoch: epoch, attributes: attributes,
                                   producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence)
        for r in records { b.append(timestamp: r.timestamp, key: bytes(r.key), value: bytes(r.value), headers: r.headers) }
        return b.build().bytes
    }

    static func largestTimestamp(_ bytes: [UInt8]) -> Int64 {
        ((try? MemoryRecords.batches(in: bytes)) ?? []).map(\.header.maxTimestamp).max() ?? -1
    }

    static func segment(_ base: Int64, _ bytes: [UInt8]) -> CleanerSegment {
        CleanerSegment(baseOffset: base, bytes: bytes, largestTimestamp: largestTimestamp(bytes))
    }

    static func headers(_ bytes: [UInt8]) throws -> [RecordBatchHeader] {
        try MemoryRecords.batches(in: bytes).map(\.header)
    }

    /// Every record of every batch, checking each batch's CRC on the way.
    static func records(_ bytes: [UInt8]) throws -> [Record] {
        var out: [Record] = []
        for loc in try MemoryRecords.batches(in: bytes) {
            let batch = try RecordBatch(bytes: Array(bytes[loc.range]))
            try batch.validate(records: false)
            out += try batch.records()
        }
        return out
    }

    static func config(_ overrides: [String: String] = [:]) throws -> LogConfig {
        var o = ["cleanup.policy": "compact"]
        o.merge(overrides) { $1 }
        return try LogConfig(overrides: o)
    }
}

/// A partition log held in memory, for driving the cleaner the way PartitionLog will: appends
/// roll segments on segment.bytes, the last segment is active, and a cleaning round replaces
/// groups of inactive segments.
struct InMemoryLog {
    struct Segment {
        var baseOffset: Int64
        var bytes: [UInt8]
    }

    var topicPartition: TopicPartition
    var config: LogConfig
    var segments: [Segment] = [Segment(baseOffset: 0, bytes: [])]
    var logEndOffset: Int64 = 0
    var logStartOffset: Int64 = 0

    init(config: LogConfig, topicPartition: TopicPartition = TopicPartition("t", 0)) {
        self.config = config
        self.topicPartition = topicPartition
    }

    @discardableResult
    mutating func append(_ records: [TestRecord], producerId: Int64 = -1) -> Int64 {
        let bytes = CleanerFixtures.batch(logEndOffset, records, producerId: producerId,
                                          producerEpoch: producerId >= 0 ? 0 : -1,
                                          baseSequence: producerId >= 0 ? 0 : -1)
        if !segments[segments.count - 1].bytes.isEmpty, segments[segments.count - 1].bytes.count + bytes.count > config.segmentBytes {
            roll()
        }
        segments[segments.count - 1].bytes += bytes
        let first = logEndOffset
        logEndOffset += Int64(records.count)
        return first
    }

    mutating func roll() {
        guard !segments[segments.count - 1].bytes.isEmpty else { return }
        segments.append(Segment(baseOffset: logEndOffset, bytes: []))
    }

    var allBytes: [UInt8] { segments.flatMap(\.bytes) }

    func snapshot(upperBound: Int64? = nil) -> CleanerLogSnapshot {
        CleanerLogSnapshot(topicPartition: topicPartition, config: config, logStartOffset: logStartOffset,
                           logEndOffset: logEndOffset, upperBoundOffset: upperBound ?? logEndOffset,
                           segments: segments.map {
                               let first = (try? MemoryRecords.batches(in: $0.bytes))?.first?.header.maxTimestamp
                               return .init(baseOffset: $0.baseOffset, sizeInBytes: Int64($0.bytes.count),
                                            largestTimestamp: CleanerFixtures.largestTimestamp($0.bytes),
                                            firstBatchTimestamp: first)
                           })
    }

    /// The inactive segments below `bound`, as the cleaner's driver would hand them over.
    func cleanerSegments(below bound: Int64) -> [CleanerSegment] {
        segments.dropLast().filter { $0.baseOffset < bound }.map { CleanerFixtures.segment($0.baseOffset, $0.bytes) }
    }

    /// Swaps cleaned segments in: each replaces the segments listed in its info.
    mutating func replace(with cleaned: [CleanedSegment]) {
        for c in cleaned {
            let old = Set(c.info.replacedBaseOffsets)
            let i = segments.firstIndex { $0.baseOffset == c.baseOffset }!
            #expect(segments[i ..< i + old.count].allSatisfy { old.contains($0.baseOffset) })
            segments.replaceSubrange(i ..< i + old.count, with: [Segment(baseOffset: c.baseOffset, bytes: c.bytes)])
        }
    }

    /// One full cleaner cycle: ask the manager, compact, swap, report. Returns the round's
    /// result, or nil when the manager chose nothing.
    mutating func runCleaner(_ manager: inout LogCleanerManager, now: Int64,
                             options: LogCompactor.Options = .init(), upperBound: Int64? = nil,
                             producers: [Int64: ProducerLastRecord] = [:]) throws -> LogCompactor.Result? {
        let actions = manager.grabFilthiestCompactedLog([snapshot(upperBound: upperBound)], now: now)
        guard case let .clean(ltc) = actions.last else { return nil }
        let compactor = LogCompactor(config: config, now: now, producers: producers, options: options)
        let result = try compactor.clean(segments: cleanerSegments(below: ltc.firstUncleanableOffset),
                                         firstDirtyOffset: ltc.firstDirtyOffset,
                                         firstUncleanableOffset: ltc.firstUncleanableOffset)
        replace(with: result.segments)
        let done = try manager.doneCleaning(topicPartition, endOffset: result.endOffset)
        #expect(done == [.writeCheckpoint(manager.checkpoints)])
        return result
    }
}
