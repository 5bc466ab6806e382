import EddyProtocol
import Foundation

extension PartitionLog {
    /// Closes the log as a power cut would (for the broker "kill" and simulations): after
    /// pending background fsyncs finish, every byte at or after the recovery point — the data
    /// that was never fsynced — is removed from disk. The segment holding the recovery point is
    /// cut before its first batch with baseOffset ≥ the recovery point, later segments' files
    /// are deleted. Index files and the leader-epoch checkpoint are left as they are: reopening
    /// the log (with `hadCleanShutdown: false`) rebuilds what the lost data made stale, and
    /// drops leader epoch entries past the new end.
    ///
    /// Returns the offset the surviving data ends at: the reopened log's end offset is at most
    /// this. Works on a log already closed with `closeWithoutFlush`. Further calls on this
    /// object fail with `logClosed`.
    @discardableResult
    public func simulatePowerLoss() throws -> Int64 {
        awaitBackgroundFlushes()
        return try locked { () throws -> Int64 in
            for s in segmentList { s.close() }
            closed = true
            let flushed = _recoveryPoint
            let i = segmentIndex(for: flushed)
            let seg = segmentList[i]
            // Start from an indexed batch that is wholly below the recovery point.
            let hint = seg.offsetIndex.lastIndex(where: { seg.baseOffset + Int64($0.relativeOffset) < flushed })
                .map { Int64(seg.offsetIndex.entries[$0].position) } ?? 0
            let cut = try PartitionLog.positionOfFirstBatch(atOrAfter: flushed, in: seg.path("log"), from: hint)
            let file = try File(path: seg.path("log"), create: false)
            defer { file.close() }
            if try file.size() > cut { try file.truncate(to: cut) }
            for later in segmentList[(i + 1)...] {
                for kind in LogSegment.fileKinds { try FileSystem.remove(later.path(kind)) }
            }
            try FileSystem.syncDirectory(directory)
            return max(seg.baseOffset, min(flushed, seg.nextOffset))
        }
    }

    /// File position of the first batch in the segment file at `path` whose base offset is
    /// ≥ `offset`, scanning batch headers from `position` (a batch boundary); the end of the
    /// readable batches if there is none.
    static func positionOfFirstBatch(atOrAfter offset: Int64, in path: String, from position: Int64) throws -> Int64 {
        let f = try File(path: path, create: false, readOnly: true)
        defer { f.close() }
        let size = try f.size()
        var pos = position
        let chunk = 64 << 10
        while pos < size {
            let buf = try f.read(at: pos, count: Int(min(Int64(chunk), size - pos)))
            var i = 0
            var advanced = false
            let found: Bool = buf.withUnsafeBytes { b in
                while let (base, len) = RecordBatchHeader.peekSize(b, at: i) {
                    if base >= offset || len < 0 { return true }
                    let total = RecordBatchHeader.logOverhead + Int(len)
                    guard pos + Int64(i) + Int64(total) <= size else { return true } // torn tail
                    guard i + total <= b.count else { return false }
                    i += total
                    advanced = true
                }
                return false
            }
            if found { return pos + Int64(i) }
            if !advanced {
                // A batch longer than the chunk: skip it using its header alone.
                guard let (_, len) = buf.withUnsafeBytes({ RecordBatchHeader.peekSize($0, at: 0) }) else { return pos }
                i = RecordBatchHeader.logOverhead + Int(len)
            }
            pos += Int64(i)
        }
        return min(pos, size)
    }
}
