import EddyProtocol
import Foundation

/// One segment of a partition log: three files named by the segment's base offset as a
/// 20-digit zero-padded number, e.g. `00000000000000001234.log`:
///
/// - `.log`: RecordBatch v2 batches back to back, byte for byte as produced (with the
///   leader's baseOffset and partitionLeaderEpoch stamped in). No other framing. Batch offsets
///   strictly increase; in a log that was never compacted they are also contiguous.
/// - `.index`: sparse offset → position index, see `OffsetIndexEntry`.
/// - `.timeindex`: sparse timestamp → offset index, see `TimeIndexEntry`.
/// - `.txnindex`: the transactions aborted by markers in this segment, see `AbortedTxnEntry`;
///   only once there is one.
///
/// Not thread-safe: the owning `PartitionLog` serializes access with its lock. Only the last
/// segment of a log (the active one) is appended to; the others are immutable except for
/// truncation, deletion and replacement by the cleaner.
final class LogSegment: @unchecked Sendable {
    let baseOffset: Int64
    let directory: String
    /// The log file, on the segment's one descriptor; nil once the segment is closed. The
    /// descriptor is closed when the last holder lets go: the segment, or records in flight
    /// (`openLogFile`), so a segment costs one descriptor however many fetches read it.
    private var openLog: File?
    /// The open log file; EBADF once the segment is closed.
    var log: File {
        get throws(StorageError) {
            guard let openLog else { throw StorageError.io(operation: "use", path: path("log"), errno: EBADF) }
            return openLog
        }
    }
    /// The log file for `FileRecords` (see `openLogFile`), shared by every fetch of this
    /// segment; dropped when the segment closes (the records in flight keep it open).
    private var sharedLogFile: SegmentFile?
    private(set) var size: Int64
    var offsetIndex: SparseIndex<OffsetIndexEntry>
    var timeIndex: SparseIndex<TimeIndexEntry>
    /// The aborted transactions whose markers this segment holds (`AbortedTxnEntry`). Filled by
    /// the partition log as it appends or replays abort markers, not by the segment itself.
    var txnIndex: TransactionIndex
    /// One past the last offset stored (== baseOffset when empty).
    private(set) var nextOffset: Int64
    /// Largest record timestamp in the segment, -1 when empty.
    private(set) var maxTimestamp: Int64 = -1
    private(set) var offsetOfMaxTimestamp: Int64 = -1
    /// maxTimestamp of the first batch: segment.ms counts from here (Kafka's rollingBasedTimestamp).
    private(set) var firstBatchTimestamp: Int64?
    /// Wall-clock creation time, used for segment.ms while the segment is empty of timestamps.
    let createdMs: Int64
    private var bytesSinceLastIndexEntry = 0
    private let indexIntervalBytes: Int
    /// The last batches appended to this segment while it is active, oldest first, ending at
    /// the end of the file: `locate` and `slice` find a batch among them without reading the
    /// file, as most fetches ask for what was just appended (followers, caught-up consumers).
    /// Invariant: the entries are exactly the last `recentBatches.count` batches of the file,
    /// back to back, the last one ending at `size`. So only `append` (and recovery, which
    /// `track`s every batch in file order) adds to it; every other change of the file or of the
    /// segment's role empties it (`forgetRecentBatches`), and reads fall back to the index and
    /// a scan. At most `2 × recentBatchLimit` entries.
    private(set) var recentBatches: [(position: Int64, header: RecordBatchHeader)] = []
    static let recentBatchLimit = 32

    /// The files of a segment, by suffix.
    static let fileKinds = ["log", "index", "timeindex", "txnindex"]

    static func fileName(_ baseOffset: Int64, _ suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "." + suffix
    }

    /// Parses `00000000000000001234.log` → 1234.
    static func baseOffset(fromFileName name: String, suffix: String) -> Int64? {
        guard name.hasSuffix("." + suffix) else { return nil }
        let stem = name.dropLast(suffix.count + 1)
        guard stem.count == 20, stem.allSatisfy(\.isASCII), let v = Int64(stem), v >= 0 else { return nil }
        return v
    }

    /// Appended to every file name: "" for a live segment, ".cleaned" for one the cleaner is writing.
    let fileSuffix: String

    func path(_ kind: String) -> String { directory + "/" + LogSegment.fileName(baseOffset, kind) + fileSuffix }

    /// Opens or creates the segment's files. Its indexes start empty: call `loadTrusted` (for
    /// a flushed segment) or `recover` (otherwise) to fill them from disk.
    init(directory: String, baseOffset: Int64, config: LogConfig, nowMs: Int64, fileSuffix: String = "") throws {
        self.directory = directory
        self.baseOffset = baseOffset
        self.fileSuffix = fileSuffix
        let log = try File(path: directory + "/" + LogSegment.fileName(baseOffset, "log") + fileSuffix)
        openLog = log
        size = try log.size()
        nextOffset = baseOffset
        createdMs = nowMs
        indexIntervalBytes = config.indexIntervalBytes
        let maxOffsetEntries = config.segmentIndexBytes / OffsetIndexEntry.size
        let maxTimeEntries = config.segmentIndexBytes / TimeIndexEntry.size
        offsetIndex = SparseIndex(path: directory + "/" + LogSegment.fileName(baseOffset, "index") + fileSuffix, maxEntries: maxOffsetEntries)
        timeIndex = SparseIndex(path: directory + "/" + LogSegment.fileName(baseOffset, "timeindex") + fileSuffix, maxEntries: maxTimeEntries)
        txnIndex = TransactionIndex(path: directory + "/" + LogSegment.fileName(baseOffset, "txnindex") + fileSuffix)
    }

    /// Loads the index files and derives nextOffset/maxTimestamp from them plus a short scan
    /// of the tail. Used for segments below the recovery point. Returns false if an index is
    /// missing or insane (a missing transaction index is an empty one), in which case the caller
    /// runs `recover` instead, and rebuilds the transaction index.
    func loadTrusted(config: LogConfig) throws -> Bool {
        forgetRecentBatches()
        let logSize = size
        guard let oi = SparseIndex<OffsetIndexEntry>.load(path: offsetIndex.path, maxEntries: offsetIndex.maxEntries,
                                                         isValid: { Int64($0.position) < logSize }),
              let ti = SparseIndex<TimeIndexEntry>.load(path: timeIndex.path, maxEntries: timeIndex.maxEntries,
                                                       isValid: { _ in true })
        else { return false }
        guard let xi = TransactionIndex.load(path: txnIndex.path, isValid: { [baseOffset] in $0.isValid(in: baseOffset ..< Int64.max) })
        else { return false }
        if size > 0, oi.count == 0, ti.count == 0 {
            // A non-empty segment always has a final time index entry once inactive or closed.
            return false
        }
        offsetIndex = oi
        timeIndex = ti
        txnIndex = xi
        // Walk the batches after the last indexed position to find the true end.
        let start = Int64(oi.last?.position ?? 0)
        var next = baseOffset
        var ok = true
        try scanBatches(from: start) { _, h in
            guard h.baseOffset >= next || next == baseOffset else { ok = false; return false }
            next = h.nextOffset
            return true
        }
        guard ok else { return false }
        nextOffset = max(next, baseOffset + Int64(oi.last?.relativeOffset ?? -1) + 1)
        guard xi.last.map({ $0.lastOffset < nextOffset }) ?? true else { return false }
        if let t = ti.last {
            maxTimestamp = t.timestamp
            offsetOfMaxTimestamp = baseOffset + Int64(t.relativeOffset)
            firstBatchTimestamp = ti.entries.first?.timestamp
        }
        return true
    }

    // MARK: Append

    /// Whether appending `batchBytes` (whose first offset is `firstOffset`, last `lastOffset`)
    /// requires a new segment first (Kafka's `shouldRoll`).
    func shouldRoll(batchBytes: Int, lastOffset: Int64, maxTimestamp: Int64, nowMs: Int64, config: LogConfig) -> Bool {
        guard size > 0 else { return false }
        if size + Int64(batchBytes) > Int64(config.segmentBytes) { return true }
        if offsetIndex.isFull || timeIndex.isFull { return true }
        if lastOffset - baseOffset > Int64(Int32.max) { return true }
        if size + Int64(batchBytes) > Int64(Int32.max) { return true }
        let rollBase = firstBatchTimestamp ?? createdMs
        if nowMs - rollBase > config.segmentMs - jitter(config) { return true }
        return false
    }

    /// segment.jitter.ms: a per-segment amount in [0, jitter) subtracted from segment.ms, so that
    /// many partitions do not roll at once. Derived from the base offset (SplitMix64) so it is stable.
    private func jitter(_ config: LogConfig) -> Int64 {
        guard config.segmentJitterMs > 0 else { return 0 }
        var random = SplitMix64(seed: UInt64(bitPattern: baseOffset))
        return Int64(random.next() % UInt64(min(config.segmentJitterMs, config.segmentMs)))
    }

    /// Appends already-validated batches, given as write parts and their headers (with final
    /// offsets). Updates the sparse indexes every `index.interval.bytes`.
    func append(parts: [UnsafeRawBufferPointer], batches: [(header: RecordBatchHeader, size: Int)]) throws {
        let start = size
        try log.write(parts: parts, at: start)
        var pos = start
        for (h, n) in batches {
            track(h, at: pos, size: n)
            pos += Int64(n)
        }
        size = pos
    }

    /// Accounts for one batch at `position` (appended or found by recovery): the segment's end
    /// and timestamps, and a sparse index entry once more than index.interval.bytes were added
    /// since the previous one (keyed by the batch's last offset, pointing at its first byte).
    private func track(_ h: RecordBatchHeader, at position: Int64, size: Int) {
        if h.maxTimestamp > maxTimestamp {
            maxTimestamp = h.maxTimestamp
            offsetOfMaxTimestamp = h.lastOffset
        }
        if firstBatchTimestamp == nil { firstBatchTimestamp = h.maxTimestamp }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            offsetIndex.append(OffsetIndexEntry(relativeOffset: Int32(h.lastOffset - baseOffset), position: Int32(position)))
            timeIndex.append(TimeIndexEntry(timestamp: maxTimestamp, relativeOffset: Int32(offsetOfMaxTimestamp - baseOffset)))
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += size
        nextOffset = h.nextOffset
        if recentBatches.count == 2 * Self.recentBatchLimit { recentBatches.removeFirst(Self.recentBatchLimit) }
        recentBatches.append((position, h))
    }

    private func forgetRecentBatches() { recentBatches.removeAll() }

    /// The index in `recentBatches` of the first batch whose last offset is ≥ `offset`, when
    /// the recent batches cover it (`offset` at or after the first one's base offset and below
    /// the segment's end).
    func recentBatchIndex(for offset: Int64) -> Int? {
        guard let first = recentBatches.first, offset >= first.header.baseOffset, offset < nextOffset else { return nil }
        var lo = 0, hi = recentBatches.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if recentBatches[mid].header.lastOffset < offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < recentBatches.count ? lo : nil
    }

    /// Records the segment's largest timestamp as a final time index entry (on roll and close),
    /// so that retention can read it from the index after a restart.
    func onBecomeInactive() {
        forgetRecentBatches()
        guard maxTimestamp >= 0 else { return }
        timeIndex.append(TimeIndexEntry(timestamp: maxTimestamp, relativeOffset: Int32(offsetOfMaxTimestamp - baseOffset)))
    }

    // MARK: Read

    /// Calls `body(position, header)` for each complete batch from `position` to the end of the
    /// segment, reading in large chunks. Stops when body returns false, at a header that does not
    /// parse, or at a batch that runs past the end of the file.
    ///
    /// Returns where it stopped short: the position of the first bytes that are not a whole batch
    /// with a header that parses (a bad header, a batch running past the end of the file, or a tail
    /// shorter than a header). Nil when it reached the end of the file or `body` stopped it.
    @discardableResult
    func scanBatches(from position: Int64, chunk: Int = 1 << 20,
                     _ body: (Int64, RecordBatchHeader) throws -> Bool) throws -> Int64? {
        var pos = position
        while pos + Int64(RecordBatchHeader.size) <= size {
            let want = Int(min(Int64(chunk), size - pos))
            let buf = try log.read(at: pos, count: want)
            var i = 0
            var stop = false
            var unparsable = false
            try buf.withUnsafeBytes { b in
                while i + RecordBatchHeader.size <= b.count {
                    guard let h = try? RecordBatchHeader(parsing: b, at: i) else { unparsable = true; return }
                    guard pos + Int64(i) + Int64(h.totalSize) <= size else { unparsable = true; return }
                    if try !body(pos + Int64(i), h) { stop = true; return }
                    i += h.totalSize
                }
            }
            if unparsable || i == 0 && buf.count < RecordBatchHeader.size { return pos + Int64(i) }
            if stop { return nil }
            pos += Int64(i)
        }
        return pos < size ? pos : nil
    }

    /// Position and header of the first batch whose last offset is ≥ `offset`: from the recent
    /// batches when they cover it, else searching the file from the index hint. Nil if the
    /// segment holds no such batch: `offset` is at or past its end (which may lie past its last
    /// batch, after a truncation into an offset gap).
    ///
    /// Bytes the scan meets on the way that are not a whole batch (damaged after the segment
    /// was loaded, or not checked when it was) throw `StorageError.corruptBatch`
    /// (CORRUPT_MESSAGE): below the segment's end they must be batches, and they never read as
    /// the end of the data.
    func locate(offset: Int64) throws -> (position: Int64, header: RecordBatchHeader)? {
        guard offset < nextOffset else { return nil }
        if let i = recentBatchIndex(for: offset) { return recentBatches[i] }
        return try locateByScan(offset: offset)
    }

    /// `locate` from the offset index's hint, reading batch headers from the file.
    func locateByScan(offset: Int64) throws -> (position: Int64, header: RecordBatchHeader)? {
        guard offset < nextOffset else { return nil }
        let target = offset - baseOffset
        let hint = offsetIndex.lastIndex(where: { Int64($0.relativeOffset) <= target }).map { offsetIndex.entries[$0] }
        var found: (Int64, RecordBatchHeader)?
        let stoppedAt = try scanBatches(from: Int64(hint?.position ?? 0), chunk: 8192) { pos, h in
            if h.lastOffset >= offset { found = (pos, h); return false }
            return true
        }
        if let stoppedAt {
            throw StorageError.corruptBatch(path: path("log"), position: stoppedAt,
                                            reason: "no whole record batch starts here, below the segment's end offset \(nextOffset)")
        }
        return found
    }

    /// Whole batches starting with the one that holds `offset`: at least one batch (even if it
    /// exceeds maxBytes), then more while they fit in maxBytes and start below `maxOffset`.
    ///
    /// From the recent batches, the header read back must be the one appended there; bytes
    /// damaged since (behind the log's back) are read again through the scan, which reports them.
    func read(offset: Int64, maxBytes: Int, maxOffset: Int64) throws -> [UInt8] {
        if let i = recentBatchIndex(for: offset) {
            let (start, first) = recentBatches[i]
            guard first.baseOffset < maxOffset else { return [] }
            let bytes = try readBatches(from: start, first: first, maxBytes: maxBytes, maxOffset: maxOffset)
            if bytes.withUnsafeBytes({ (try? RecordBatchHeader(parsing: $0, at: 0)) == first }) { return bytes }
        }
        guard let (start, first) = try locateByScan(offset: offset), first.baseOffset < maxOffset else { return [] }
        return try readBatches(from: start, first: first, maxBytes: maxBytes, maxOffset: maxOffset)
    }

    /// The batches from `start`, where `first` is, as `read` returns them.
    private func readBatches(from start: Int64, first: RecordBatchHeader, maxBytes: Int, maxOffset: Int64) throws -> [UInt8] {
        let want = Int(min(size - start, Int64(max(maxBytes, first.totalSize))))
        var bytes = try log.read(at: start, count: want)
        // Trim to whole batches below maxOffset. A damaged length ends the result early: the
        // next read, which starts there, reports the damage (see `locate`).
        var end = 0
        bytes.withUnsafeBytes { b in
            while let (base, len) = RecordBatchHeader.peekSize(b, at: end) {
                let total = RecordBatchHeader.logOverhead + Int(len)
                guard len >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead), end + total <= b.count,
                      base < maxOffset else { break }
                end += total
            }
        }
        if end < bytes.count { bytes.removeSubrange(end...) }
        return bytes
    }

    /// The batches `read` returns, as a range of the log file: where they start, how many bytes
    /// they take, and the offset after the last one; nil when there are none. Only batch
    /// headers are read, not the records: the first one's when the recent batches cover
    /// `offset`, otherwise those `scanBatches` meets.
    func slice(offset: Int64, maxBytes: Int, maxOffset: Int64) throws -> (position: Int64, count: Int, nextOffset: Int64)? {
        guard offset < nextOffset else { return nil }
        guard let i = recentBatchIndex(for: offset) else { return try sliceByScan(offset: offset, maxBytes: maxBytes, maxOffset: maxOffset) }
        // The walk of `sliceByScan` over the recent batches, which run to the end of the file,
        // once the file shows the first one's header where it was appended (as in `read`).
        let (start, first) = recentBatches[i]
        guard first.baseOffset < maxOffset else { return nil }
        let header = try log.read(at: start, count: RecordBatchHeader.size)
        guard header.withUnsafeBytes({ (try? RecordBatchHeader(parsing: $0, at: 0)) == first }) else {
            return try sliceByScan(offset: offset, maxBytes: maxBytes, maxOffset: maxOffset)
        }
        var range = SliceRange(start: start, first: first, maxBytes: maxBytes, maxOffset: maxOffset)
        for (pos, h) in recentBatches[i...] {
            guard range.take(pos, h) else { break }
        }
        return range.result
    }

    /// `slice` from the offset index's hint, reading batch headers from the file.
    func sliceByScan(offset: Int64, maxBytes: Int, maxOffset: Int64) throws -> (position: Int64, count: Int, nextOffset: Int64)? {
        guard let (start, first) = try locateByScan(offset: offset), first.baseOffset < maxOffset else { return nil }
        var range = SliceRange(start: start, first: first, maxBytes: maxBytes, maxOffset: maxOffset)
        // A damaged length ends the range early: the next read, which starts there, reports it.
        try scanBatches(from: start, chunk: 8192) { pos, h in range.take(pos, h) }
        return range.result
    }

    /// The range `slice` returns, grown batch by batch from `start` (where `first` is): whole
    /// batches that start below `maxOffset` and end within max(maxBytes, the first batch's size).
    private struct SliceRange {
        let start: Int64
        let limit: Int64
        let maxOffset: Int64
        var end: Int64
        var next: Int64

        init(start: Int64, first: RecordBatchHeader, maxBytes: Int, maxOffset: Int64) {
            self.start = start
            limit = Int64(max(maxBytes, first.totalSize))
            self.maxOffset = maxOffset
            end = start
            next = first.baseOffset
        }

        /// Takes the batch at `position` if it fits; false (taking nothing) once one does not.
        mutating func take(_ position: Int64, _ h: RecordBatchHeader) -> Bool {
            guard h.baseOffset < maxOffset, position + Int64(h.totalSize) - start <= limit else { return false }
            end = position + Int64(h.totalSize)
            next = h.nextOffset
            return true
        }

        var result: (position: Int64, count: Int, nextOffset: Int64)? { end > start ? (start, Int(end - start), next) : nil }
    }

    /// The log file for records read after the lock is released: the segment's own descriptor,
    /// kept open by the records until they are written even if the segment closes meanwhile.
    /// One per segment, shared by every fetch, so a fetch costs no descriptor (with 10,000
    /// partitions a descriptor of its own per segment read doubled the server's descriptors
    /// and exhausted `ulimit -n`). Caller holds the log's lock.
    func openLogFile() throws -> SegmentFile {
        if let sharedLogFile { return sharedLogFile }
        let file = SegmentFile(sharing: try log)
        sharedLogFile = file
        return file
    }

    // MARK: Recovery and truncation

    /// Rebuilds the indexes and state by validating every batch from the start (Kafka's
    /// `LogSegment.recover`): header, CRC and offset order. Everything from the first invalid
    /// or incomplete batch on is truncated. Returns the number of bytes truncated.
    ///
    /// Offsets must strictly increase from the segment's base offset. With `contiguous` (topics
    /// that are not compacted, whose batches only ever come from appends) each batch must start
    /// exactly where the previous one ended, which also catches damage to the baseOffset field,
    /// the one part of a batch the CRC does not cover. Compacted logs legitimately have gaps.
    ///
    /// `onBatch` sees the header of every batch kept, in order.
    func recover(contiguous: Bool, onBatch: (RecordBatchHeader) -> Void = { _ in }) throws -> Int64 {
        forgetRecentBatches()
        offsetIndex.removeAll()
        timeIndex.removeAll()
        try txnIndex.removeAll()
        maxTimestamp = -1
        offsetOfMaxTimestamp = -1
        firstBatchTimestamp = nil
        bytesSinceLastIndexEntry = 0
        nextOffset = baseOffset
        var expected = baseOffset
        let validEnd = try validBatchesEnd(from: 0) { position, h, total in
            guard contiguous ? h.baseOffset == expected : h.baseOffset >= expected else { return false }
            onBatch(h)
            track(h, at: position, size: total)
            expected = h.nextOffset
            return true
        }
        return try truncateFile(to: validEnd)
    }

    /// The cheap check of an active segment opened after a clean shutdown, after `loadTrusted`
    /// succeeded: validates, as `recover` does (header, CRC, offset order), the batches from the
    /// last offset index entry's position to the end of the file, and truncates from the first
    /// invalid or incomplete one on, e.g. bytes written to the file after the log was closed.
    /// Nothing before the last index entry is read: the tail is at most index.interval.bytes plus
    /// one batch, since appends add an entry once more than index.interval.bytes were appended
    /// since the previous one (the count resumes here, so reopening does not let it grow).
    /// Returns the number of bytes truncated.
    ///
    /// The indexed batch must end at the entry's offset; each later one must follow it as in
    /// `recover`. When the indexed batch itself is invalid, the end of the batch before it is not
    /// known from the tail alone, and the whole segment is recovered instead.
    func recoverTail(contiguous: Bool) throws -> Int64 {
        let start = Int64(offsetIndex.last?.position ?? 0)
        let indexedLastOffset = offsetIndex.last.map { baseOffset + Int64($0.relativeOffset) }
        var expected = baseOffset
        var tail: [(maxTimestamp: Int64, lastOffset: Int64)] = []
        let validEnd = try validBatchesEnd(from: start) { _, h, _ in
            if tail.isEmpty, let indexedLastOffset {
                guard h.lastOffset == indexedLastOffset, h.baseOffset >= baseOffset else { return false }
            } else {
                guard contiguous ? h.baseOffset == expected : h.baseOffset >= expected else { return false }
            }
            tail.append((h.maxTimestamp, h.lastOffset))
            expected = h.nextOffset
            return true
        }
        if tail.isEmpty, start > 0 { return try recover(contiguous: contiguous) }
        // What `track` would have counted since the last index entry (its batch included).
        bytesSinceLastIndexEntry = Int(validEnd - start)
        guard validEnd < size else { return 0 }
        let truncated = try truncateFile(to: validEnd)
        nextOffset = expected
        // The offset index ends at `start`; the time index may name offsets that are gone (the
        // final entry written at close), and the timestamps come from what is left.
        timeIndex.truncate(keepWhile: { baseOffset + Int64($0.relativeOffset) < expected })
        try txnIndex.truncate(keepWhile: { $0.lastOffset < expected })
        maxTimestamp = timeIndex.last?.timestamp ?? -1
        offsetOfMaxTimestamp = timeIndex.last.map { baseOffset + Int64($0.relativeOffset) } ?? -1
        for b in tail where b.maxTimestamp > maxTimestamp {
            maxTimestamp = b.maxTimestamp
            offsetOfMaxTimestamp = b.lastOffset
        }
        firstBatchTimestamp = timeIndex.entries.first?.timestamp ?? tail.first?.maxTimestamp
        return truncated
    }

    /// Walks the batches from `start` (a batch boundary) to the end of the file, checking what
    /// recovery requires of each: a length within the file, a header that parses, a valid CRC
    /// (the records are not decoded) and offsets that fit a segment. `accept` sees each such batch
    /// (position, header, size) in order and may refuse it (offset order is the caller's rule).
    /// Returns the end of the last accepted batch: the file size when every byte from `start` on
    /// is a whole, valid, accepted batch, else the position of the first batch that is not.
    private func validBatchesEnd(from start: Int64, accept: (Int64, RecordBatchHeader, Int) -> Bool) throws -> Int64 {
        var validEnd = start
        var pos = start
        var buffer = [UInt8](repeating: 0, count: Int(min(Int64(8 << 20), max(0, size - start))))
        scan: while pos < size {
            // The buffer grows for a batch larger than it (below), so read as much as it holds.
            let got = try buffer.withUnsafeMutableBytes { b in
                try log.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0 ..< Int(min(Int64(b.count), size - pos))]), at: pos)
            }
            var i = 0
            var needMore = false
            var corrupt = false
            buffer.withUnsafeBytes { full in
                let b = UnsafeRawBufferPointer(rebasing: full[0 ..< got])
                while i < b.count {
                    guard let (_, len) = RecordBatchHeader.peekSize(b, at: i) else { needMore = true; return }
                    let total = RecordBatchHeader.logOverhead + Int(len)
                    guard len >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead),
                          Int64(total) <= size - (pos + Int64(i)) else { corrupt = true; return }
                    guard i + total <= b.count else { needMore = true; return }
                    guard let h = try? RecordBatchHeader(parsing: b, at: i),
                          (try? RecordBatch.validate(UnsafeRawBufferPointer(rebasing: b[i ..< i + total]), header: h, records: false)) != nil,
                          h.baseOffset <= Int64.max - Int64(h.lastOffsetDelta) - 1,
                          h.lastOffset - baseOffset <= Int64(Int32.max),
                          accept(pos + Int64(i), h, total)
                    else { corrupt = true; return }
                    i += total
                    validEnd = pos + Int64(i)
                }
            }
            if corrupt { break scan }
            if needMore {
                if i == 0 {
                    // A batch longer than the buffer: grow the buffer to hold it.
                    guard let len = buffer.withUnsafeBytes({ RecordBatchHeader.peekSize(UnsafeRawBufferPointer(rebasing: $0[0 ..< got]), at: 0)?.batchLength }),
                          Int64(RecordBatchHeader.logOverhead) + Int64(len) <= size - pos else { break scan }
                    buffer = [UInt8](repeating: 0, count: RecordBatchHeader.logOverhead + Int(len))
                    continue scan
                }
                pos += Int64(i)
                continue scan
            }
            pos += Int64(i)
            if i == 0 { break }
        }
        return validEnd
    }

    /// Cuts the file at `end` (when it is longer). Returns the number of bytes removed.
    private func truncateFile(to end: Int64) throws -> Int64 {
        let truncated = size - end
        if truncated > 0 {
            forgetRecentBatches()
            try log.truncate(to: end)
            size = end
        }
        return truncated
    }

    /// Removes every batch from the one holding `offset` on (Kafka truncates whole batches, so
    /// the new end may be below `offset`). Returns bytes removed.
    @discardableResult
    func truncate(to offset: Int64) throws -> Int64 {
        guard offset < nextOffset else { return 0 }
        guard offset > baseOffset, let (pos, h) = try locate(offset: offset) else {
            return try truncateAll()
        }
        let removed = size - pos
        forgetRecentBatches()
        try log.truncate(to: pos)
        size = pos
        offsetIndex.truncate(keepWhile: { Int64($0.position) < pos })
        timeIndex.truncate(keepWhile: { baseOffset + Int64($0.relativeOffset) < h.baseOffset })
        try txnIndex.truncate(keepWhile: { $0.lastOffset < h.baseOffset })
        nextOffset = h.baseOffset
        // maxTimestamp can only be recomputed by a scan; do it (truncation is rare).
        maxTimestamp = -1
        offsetOfMaxTimestamp = -1
        firstBatchTimestamp = nil
        try scanBatches(from: 0) { _, b in
            if firstBatchTimestamp == nil { firstBatchTimestamp = b.maxTimestamp }
            if b.maxTimestamp > maxTimestamp { maxTimestamp = b.maxTimestamp; offsetOfMaxTimestamp = b.lastOffset }
            return true
        }
        bytesSinceLastIndexEntry = 0
        return removed
    }

    private func truncateAll() throws -> Int64 {
        forgetRecentBatches()
        let removed = size
        try log.truncate(to: 0)
        size = 0
        offsetIndex.removeAll()
        timeIndex.removeAll()
        try txnIndex.removeAll()
        nextOffset = baseOffset
        maxTimestamp = -1
        offsetOfMaxTimestamp = -1
        firstBatchTimestamp = nil
        bytesSinceLastIndexEntry = 0
        return removed
    }

    // MARK: Durability and lifecycle

    /// Writes pending index entries and fsyncs the index files (cheap; done under the log lock).
    func persistIndexes() throws {
        try offsetIndex.persist()
        try timeIndex.persist()
        try txnIndex.sync()
    }

    /// fsyncs the log file (may be slow). Caller holds the log's lock, or owns a segment nobody
    /// else has yet: `close()` may drop the file meanwhile. Without the lock use
    /// `syncLogIndependently`.
    func syncLog() throws {
        guard let openLog else { return }
        try openLog.sync()
    }

    /// fsyncs the log file through a descriptor of its own, for callers outside the log lock:
    /// the segment's descriptor may be closed concurrently (truncation, retention) and its
    /// number reused. A file already gone needs no fsync.
    func syncLogIndependently() throws {
        let f: File
        do { f = try File(path: path("log"), create: false, readOnly: true) } catch let StorageError.io(_, _, code) where code == ENOENT {
            return
        }
        defer { f.close() }
        try f.sync()
    }

    func close() {
        openLog = nil
        sharedLogFile = nil
    }

    /// Renames the files to `.deleted` (so a crash mid-delete leaves nothing that looks live),
    /// then removes them.
    func delete() throws {
        try renameForDeletion()
        try removeDeletedFiles()
    }

    /// First half of `delete`: closes the log and renames the files to `<name>.deleted`.
    func renameForDeletion() throws {
        openLog = nil
        sharedLogFile = nil
        for kind in LogSegment.fileKinds where FileSystem.exists(path(kind)) {
            try FileSystem.rename(path(kind), path(kind) + ".deleted")
        }
    }

    /// Second half of `delete`.
    func removeDeletedFiles() throws {
        for kind in LogSegment.fileKinds { try FileSystem.remove(path(kind) + ".deleted") }
    }

    /// Renames the files from `<name><oldSuffix>` (default: `fileSuffix`) to `<name><newSuffix>`
    /// (the cleaner's `.cleaned` → `.swap` → final name steps); missing files are skipped. The
    /// segment object keeps its paths, so it must be reopened under its final name afterwards.
    func renameFiles(from oldSuffix: String? = nil, to newSuffix: String) throws {
        for kind in LogSegment.fileKinds {
            let name = directory + "/" + LogSegment.fileName(baseOffset, kind)
            guard FileSystem.exists(name + (oldSuffix ?? fileSuffix)) else { continue }
            try FileSystem.rename(name + (oldSuffix ?? fileSuffix), name + newSuffix)
        }
    }
}
