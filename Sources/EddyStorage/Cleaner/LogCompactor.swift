import EddyProtocol

/// One cleaning round over one log, as pure logic over segment bytes (Kafka's `Cleaner`).
/// It does no file I/O of its own: it reads through each `CleanerSegment.read` and hands every
/// output batch to the caller, so the caller decides where cleaned segments are written.
///
/// A round:
/// 1. `plan`: index the dirty section [firstDirtyOffset, firstUncleanableOffset) into an
///    `OffsetMap` (key → latest offset), stopping early if the map's memory fills; the round
///    then covers offsets below `endOffset` = map.latestOffset + 1, which becomes the log's new
///    cleaner checkpoint once the round is swapped in. The segments overlapping [0, endOffset)
///    are grouped so each group's inputs fit segment.bytes and segment.index.bytes and span
///    fewer than 2^31 offsets (relative offsets in an index entry are 4 bytes).
/// 2. `cleanGroup`, once per group: filter every batch of the group's segments (see
///    `BatchFilter`) into one replacement segment based at the group's first base offset.
///    Offsets never change. Output is at most the input's size, except that re-based
///    timestamp deltas may grow a re-encoded batch by a few bytes per record.
///
/// Concurrency contract: the segments given are inactive and immutable for the round. Nothing
/// here needs the log's lock; only the caller's final swap of each group does. `checkAborted`
/// is called between chunks and segments so that retention, truncation or deletion can stop a
/// round quickly (it should throw, e.g. `LogCleanerError.aborted`).
public struct LogCompactor: Sendable {
    public struct Options: Sendable {
        /// Memory for the offset map (Kafka's log.cleaner.dedupe.buffer.size, 128 MiB shared by all threads).
        public var offsetMapMemoryLimit: Int
        /// Bytes read from a segment at a time (Kafka's log.cleaner.io.buffer.size).
        public var ioBufferSize: Int

        public init(offsetMapMemoryLimit: Int = 64 << 20, ioBufferSize: Int = 1 << 20) {
            self.offsetMapMemoryLimit = offsetMapMemoryLimit
            self.ioBufferSize = ioBufferSize
        }
    }

    /// What `plan` decided.
    public struct Plan: Sendable {
        public var map: OffsetMap
        public var firstDirtyOffset: Int64
        public var firstUncleanableOffset: Int64
        /// First offset this round does not clean: the new cleaner checkpoint after the round.
        public var endOffset: Int64
        /// Segments to rewrite, each inner list becoming one segment.
        public var groups: [[CleanerSegment]]
        /// Base offset → exclusive end of that segment's offsets (the next segment's base offset).
        var segmentEnds: [Int64: Int64]
        /// The producers whose transactional data batches this round has read since their last
        /// marker (carried from group to group: a transaction's data precedes its marker).
        var transactionsRead: Set<Int64> = []
    }

    public var config: LogConfig
    /// The time of the round (delete horizons are now + delete.retention.ms, and expire at now).
    public var now: Int64
    /// Producer id → last record of each active producer (empty until producer state exists).
    public var producers: [Int64: ProducerLastRecord]
    /// The log's aborted transactions (`CleanableLog.abortedTransactionsForCleaning`).
    public var aborted: AbortedTransactions
    public var options: Options

    public init(config: LogConfig, now: Int64, producers: [Int64: ProducerLastRecord] = [:], aborted: [AbortedTxnEntry] = [],
                options: Options = Options()) {
        self.config = config
        self.now = now
        self.producers = producers
        self.aborted = AbortedTransactions(aborted)
        self.options = options
    }

    /// Phase 1: builds the offset map and groups the segments to rewrite.
    ///
    /// - Parameters:
    ///   - segments: every segment of the log whose base offset is below
    ///     `firstUncleanableOffset`, in order (never the active segment).
    ///   - firstUncleanableOffset: the base offset of the first segment not given (the active
    ///     segment, or the first one the high watermark or min.compaction.lag.ms excludes);
    ///     the last given segment's offsets end below it.
    public func plan(segments: [CleanerSegment], firstDirtyOffset: Int64, firstUncleanableOffset: Int64,
                     stats: inout CleanerStats, checkAborted: () throws -> Void = {}) throws -> Plan {
        guard !segments.isEmpty else { throw LogCleanerError.invalidInput("no segments") }
        guard firstDirtyOffset < firstUncleanableOffset else {
            throw LogCleanerError.invalidInput("empty dirty range [\(firstDirtyOffset), \(firstUncleanableOffset))")
        }
        for i in segments.indices {
            let end = i + 1 < segments.count ? segments[i + 1].baseOffset : firstUncleanableOffset
            guard segments[i].baseOffset < end else {
                throw LogCleanerError.invalidInput("segment base offsets must increase and stay below \(firstUncleanableOffset)")
            }
        }

        var map = OffsetMap(memoryLimit: options.offsetMapMemoryLimit)
        var full = false
        for i in segments.indices where !full {
            let end = i + 1 < segments.count ? segments[i + 1].baseOffset : firstUncleanableOffset
            guard end > firstDirtyOffset else { continue }
            full = try index(segments[i], endOffset: end, from: firstDirtyOffset, into: &map, stats: &stats,
                             checkAborted: checkAborted)
        }
        stats.mapUtilization = map.utilization
        let endOffset = map.latestOffset + 1
        guard endOffset > firstDirtyOffset else {
            throw LogCleanerError.invalidInput("offset map memory (\(options.offsetMapMemoryLimit) bytes) cannot hold the keys of one batch")
        }
        let toClean = segments.filter { $0.baseOffset < endOffset }
        let groups = LogCompactor.groupSegmentsBySize(toClean, maxSize: config.segmentBytes,
                                                      maxIndexSize: config.segmentIndexBytes,
                                                      firstUncleanableOffset: firstUncleanableOffset)
        var ends: [Int64: Int64] = [:]
        for i in segments.indices {
            ends[segments[i].baseOffset] = i + 1 < segments.count ? segments[i + 1].baseOffset : firstUncleanableOffset
        }
        return Plan(map: map, firstDirtyOffset: firstDirtyOffset, firstUncleanableOffset: firstUncleanableOffset,
                    endOffset: endOffset, groups: groups, segmentEnds: ends)
    }

    /// Adds the keys of one dirty segment at or above `start`; returns true if the map filled.
    private func index(_ segment: CleanerSegment, endOffset: Int64, from start: Int64, into map: inout OffsetMap,
                       stats: inout CleanerStats, checkAborted: () throws -> Void) throws -> Bool {
        var full = false
        let reader = SegmentBatchReader(segment: segment, endOffset: endOffset, ioBufferSize: options.ioBufferSize)
        try reader.forEachBatch(checkAborted: checkAborted) { batch, h, position in
            stats.mapBytesRead += batch.count
            guard h.lastOffset >= start else { return true }
            do throws(RecordBatchError) { try RecordBatch.validate(batch, header: h, records: false) } catch {
                throw LogCleanerError.corruptBatch(segmentBaseOffset: segment.baseOffset, position: position, error)
            }
            // Control batches have no data keys. Committed transactional records are indexed
            // like any (everything cleaned lies below the last stable offset, so every
            // transaction there has ended); aborted ones are not: they must not make the cleaner
            // drop the value before them, and they are removed themselves. A compressed batch's
            // records are decompressed; one whose codec library is missing cannot be indexed,
            // which only means older records of its keys are kept.
            if !h.attributes.isControl, !(h.attributes.isTransactional && aborted.contains(h)) {
                do {
                    try RecordBatch.withRecords(in: batch, header: h) { section in
                        var r = ByteReader(section)
                        while r.remaining > 0 {
                            let v = try RecordView.parse(&r)
                            guard v.offsetDelta >= 0, v.offsetDelta <= h.lastOffsetDelta else {
                                throw RecordBatchError.invalidOffsetDelta(expected: h.lastOffsetDelta, found: v.offsetDelta)
                            }
                            let offset = h.baseOffset + Int64(v.offsetDelta)
                            if let key = v.key, offset >= start {
                                guard map.put(key, offset: offset) else {
                                    full = true
                                    return
                                }
                            }
                            stats.mapRecordsRead += 1
                        }
                    }
                } catch let RecordBatchError.compression(e) where LogCompactor.isUnavailable(e) {
                    // Not indexed; the filter copies the batch as it is.
                } catch let e as RecordBatchError {
                    throw LogCleanerError.corruptBatch(segmentBaseOffset: segment.baseOffset, position: position, e)
                }
                if full { return false }
            }
            map.updateLatestOffset(h.lastOffset)
            return true
        }
        // Offsets in a gap at the end of the segment (whole batches removed by an earlier round)
        // are covered too.
        if !full { map.updateLatestOffset(endOffset - 1) }
        return full
    }

    /// Whether `error` says a codec cannot run in this process (its library is missing): such
    /// batches are kept as they are rather than failing the round.
    static func isUnavailable(_ error: CompressionError) -> Bool {
        if case .libraryUnavailable = error { return true }
        return false
    }

    /// Kafka's `groupSegmentsBySize`: consecutive segments whose `.log` sizes sum to at most
    /// `maxSize`, whose index sizes each sum to at most `maxIndexSize`, and whose offsets span
    /// at most Int32.max from the group's base (an empty segment joins regardless of offsets).
    public static func groupSegmentsBySize(_ segments: [CleanerSegment], maxSize: Int, maxIndexSize: Int,
                                           firstUncleanableOffset: Int64) -> [[CleanerSegment]] {
        var groups: [[CleanerSegment]] = []
        var i = 0
        while i < segments.count {
            var group = [segments[i]]
            var logSize = segments[i].sizeInBytes
            var indexSize = segments[i].offsetIndexSizeInBytes
            var timeIndexSize = segments[i].timeIndexSizeInBytes
            i += 1
            while i < segments.count {
                let s = segments[i]
                // Estimated last offset of s: the next segment's base - 1, or the round's bound - 1.
                let lastOffset = (i + 1 < segments.count ? segments[i + 1].baseOffset : firstUncleanableOffset) - 1
                guard logSize + s.sizeInBytes <= maxSize,
                      indexSize + s.offsetIndexSizeInBytes <= maxIndexSize,
                      timeIndexSize + s.timeIndexSizeInBytes <= maxIndexSize,
                      s.sizeInBytes == 0 || lastOffset - group[0].baseOffset <= Int64(Int32.max)
                else { break }
                group.append(s)
                logSize += s.sizeInBytes
                indexSize += s.offsetIndexSizeInBytes
                timeIndexSize += s.timeIndexSizeInBytes
                i += 1
            }
            groups.append(group)
        }
        return groups
    }

    /// Phase 2: cleans one group of `plan` into one segment, handing each output batch (bytes
    /// valid only during the call, and its header) to `emit` in offset order.
    public func cleanGroup(_ group: [CleanerSegment], plan: inout Plan, stats: inout CleanerStats,
                           checkAborted: () throws -> Void = {},
                           emit: (UnsafeRawBufferPointer, RecordBatchHeader) throws -> Void) throws -> CleanedSegmentInfo {
        guard let first = group.first else { throw LogCleanerError.invalidInput("empty segment group") }
        let filter = BatchFilter(map: plan.map, now: now, deleteRetentionMs: config.deleteRetentionMs,
                                 producers: producers, upperBoundOffset: plan.firstUncleanableOffset, aborted: aborted)
        var transactionsRead = plan.transactionsRead
        defer { plan.transactionsRead = transactionsRead }
        var info = CleanedSegmentInfo(baseOffset: first.baseOffset, replacedBaseOffsets: group.map(\.baseOffset),
                                      sizeInBytes: 0, batchCount: 0, largestTimestamp: -1, nextOffset: nil)
        func write(_ bytes: UnsafeRawBufferPointer, _ h: RecordBatchHeader) throws {
            try emit(bytes, h)
            info.sizeInBytes += bytes.count
            info.batchCount += 1
            info.largestTimestamp = max(info.largestTimestamp, h.maxTimestamp)
            info.nextOffset = h.nextOffset
        }
        for segment in group {
            let end = plan.segmentEnds[segment.baseOffset] ?? plan.firstUncleanableOffset
            let reader = SegmentBatchReader(segment: segment, endOffset: end, ioBufferSize: options.ioBufferSize)
            try reader.forEachBatch(checkAborted: checkAborted) { batch, h, position in
                switch try filter.filter(batch, header: h, segmentBaseOffset: segment.baseOffset, position: position,
                                         transactionsRead: &transactionsRead, stats: &stats) {
                case .keepOriginal:
                    try write(batch, h)
                case let .replace(bytes):
                    try bytes.withUnsafeBytes { buf in
                        // The filter produced these bytes, so the header parses.
                        try write(buf, try RecordBatchHeader(parsing: buf))
                    }
                case .remove:
                    break
                }
                return true
            }
        }
        return info
    }

    /// The result of `clean`.
    public struct Result: Sendable {
        /// One cleaned segment per group, in offset order.
        public var segments: [CleanedSegment]
        /// The new cleaner checkpoint (first dirty offset) once every segment is swapped in.
        public var endOffset: Int64
        public var stats: CleanerStats
    }

    /// A whole round in memory: `plan`, then `cleanGroup` for every group.
    public func clean(segments: [CleanerSegment], firstDirtyOffset: Int64, firstUncleanableOffset: Int64,
                      checkAborted: () throws -> Void = {}) throws -> Result {
        var stats = CleanerStats()
        var plan = try plan(segments: segments, firstDirtyOffset: firstDirtyOffset,
                            firstUncleanableOffset: firstUncleanableOffset, stats: &stats, checkAborted: checkAborted)
        var out: [CleanedSegment] = []
        for group in plan.groups {
            var bytes: [UInt8] = []
            let info = try cleanGroup(group, plan: &plan, stats: &stats, checkAborted: checkAborted) { b, _ in
                bytes.append(contentsOf: b)
            }
            out.append(CleanedSegment(info: info, bytes: bytes))
        }
        return Result(segments: out, endOffset: plan.endOffset, stats: stats)
    }
}

/// A log's aborted transactions by producer, for the cleaner: which transactional batches
/// belong to one (Kafka's cleaner collects them from the transaction indexes the same way).
public struct AbortedTransactions: Sendable {
    /// Per producer, its aborted transactions' offset ranges, sorted (a producer has one
    /// transaction at a time in a partition, so they do not overlap).
    private var byProducer: [Int64: [ClosedRange<Int64>]] = [:]

    public init(_ entries: [AbortedTxnEntry]) {
        for e in entries where e.firstOffset <= e.lastOffset {
            byProducer[e.producerId, default: []].append(e.firstOffset ... e.lastOffset)
        }
        for pid in byProducer.keys { byProducer[pid]?.sort { $0.lowerBound < $1.lowerBound } }
    }

    /// Whether the transactional data batch `h` belongs to an aborted transaction: one of its
    /// producer's aborted transactions spans its base offset (binary search).
    func contains(_ h: RecordBatchHeader) -> Bool {
        guard let ranges = byProducer[h.producerId] else { return false }
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].lowerBound <= h.baseOffset { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && ranges[lo - 1].contains(h.baseOffset)
    }
}
