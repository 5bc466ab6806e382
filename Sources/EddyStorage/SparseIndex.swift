/// A fixed-size entry of a segment index file.
protocol IndexEntry: Sendable, Equatable {
    static var size: Int { get }
    init(reading buf: UnsafeRawBufferPointer, at offset: Int)
    func write(into buf: UnsafeMutableRawBufferPointer, at offset: Int)
    /// Whether `self` may follow `previous` in a valid index.
    func follows(_ previous: Self) -> Bool
}

/// An in-memory sparse index backed by a file of fixed-size big-endian entries.
///
/// Entries live in memory; `persist` appends the ones not yet on disk and fsyncs. The file
/// is therefore a prefix of the in-memory index, which is enough: an index that may be stale
/// (any segment not covered by the recovery point) is rebuilt from the log on open, so the
/// index never needs to be durable before the log data it describes.
struct SparseIndex<Entry: IndexEntry>: Sendable {
    let path: String
    private(set) var entries: [Entry] = []
    /// Entries already written to the file.
    private var persisted = 0
    /// The file's content is not a prefix of `entries` (a new index over an unknown file, or
    /// after truncation): the next persist rewrites it from `persisted` on.
    private var needsRewrite = true
    let maxEntries: Int

    init(path: String, maxEntries: Int) {
        self.path = path
        self.maxEntries = max(1, maxEntries)
    }

    var isFull: Bool { entries.count >= maxEntries }
    var last: Entry? { entries.last }
    var count: Int { entries.count }

    mutating func append(_ e: Entry) {
        if let l = entries.last, !e.follows(l) { return }
        entries.append(e)
    }

    /// Index of the last entry `e` with `isBefore(e)` true, given that predicate is monotone (true…false).
    func lastIndex(where isBefore: (Entry) -> Bool) -> Int? {
        var lo = 0, hi = entries.count // answer in [lo-1, hi-1]
        while lo < hi {
            let mid = (lo + hi) / 2
            if isBefore(entries[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// Drops every entry for which `keep` is false at the tail (keep must be monotone true…false).
    mutating func truncate(keepWhile keep: (Entry) -> Bool) {
        let n = (lastIndex(where: keep) ?? -1) + 1
        guard n < entries.count else { return }
        entries.removeSubrange(n...)
        if n < persisted { persisted = n; needsRewrite = true }
    }

    mutating func removeAll() {
        entries.removeAll()
        if persisted > 0 { needsRewrite = true }
        persisted = 0
    }

    /// Writes entries not yet on disk (or rewrites the file after a truncation) and fsyncs.
    mutating func persist() throws {
        guard persisted < entries.count || needsRewrite || !FileSystem.exists(path) else { return }
        let f = try File(path: path)
        defer { f.close() }
        if needsRewrite { try f.truncate(to: Int64(persisted * Entry.size)) }
        let pending = entries[persisted...]
        if !pending.isEmpty {
            var bytes = [UInt8](repeating: 0, count: pending.count * Entry.size)
            bytes.withUnsafeMutableBytes { b in
                for (i, e) in pending.enumerated() { e.write(into: b, at: i * Entry.size) }
            }
            try f.write(bytes, at: Int64(persisted * Entry.size))
        }
        try f.sync()
        persisted = entries.count
        needsRewrite = false
    }

    /// Loads the index file. Returns nil if it is missing, not a whole number of entries,
    /// out of order, or fails `isValid` (e.g. a position past the end of the log), in which
    /// case the caller rebuilds it from the log.
    static func load(path: String, maxEntries: Int, isValid: (Entry) -> Bool) -> SparseIndex? {
        guard FileSystem.exists(path), let bytes = try? FileSystem.readAll(path),
              bytes.count % Entry.size == 0 else { return nil }
        var idx = SparseIndex(path: path, maxEntries: max(maxEntries, bytes.count / Entry.size))
        var ok = true
        bytes.withUnsafeBytes { b in
            var i = 0
            while i < b.count {
                let e = Entry(reading: b, at: i)
                if let l = idx.entries.last, !e.follows(l) { ok = false; return }
                if !isValid(e) { ok = false; return }
                idx.entries.append(e)
                i += Entry.size
            }
        }
        guard ok else { return nil }
        idx.persisted = idx.entries.count
        idx.needsRewrite = false
        return idx
    }

    func deleteFile() throws { try FileSystem.remove(path) }
}

/// One entry of a `.index` file (Kafka's OffsetIndex), 8 bytes:
///
///     relativeOffset  int32  offset - segment baseOffset (the last offset of an indexed batch)
///     position        int32  byte position of that batch's first byte in the .log file
///
/// The index is sparse (an entry each time more than index.interval.bytes were appended
/// since the last one), and strictly increasing in both fields. To find offset O, take the
/// last entry with relativeOffset ≤ O - base and scan batches forward from its position.
struct OffsetIndexEntry: IndexEntry {
    static let size = 8
    var relativeOffset: Int32
    var position: Int32

    init(relativeOffset: Int32, position: Int32) {
        self.relativeOffset = relativeOffset
        self.position = position
    }

    init(reading b: UnsafeRawBufferPointer, at o: Int) {
        relativeOffset = Int32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: Int32.self))
        position = Int32(bigEndian: b.loadUnaligned(fromByteOffset: o + 4, as: Int32.self))
    }

    func write(into b: UnsafeMutableRawBufferPointer, at o: Int) {
        b.storeBytes(of: relativeOffset.bigEndian, toByteOffset: o, as: Int32.self)
        b.storeBytes(of: position.bigEndian, toByteOffset: o + 4, as: Int32.self)
    }

    func follows(_ p: OffsetIndexEntry) -> Bool { relativeOffset > p.relativeOffset && position > p.position }
}

/// One entry of a `.timeindex` file (Kafka's TimeIndex), 12 bytes:
///
///     timestamp       int64  the largest timestamp seen in the segment up to this entry
///     relativeOffset  int32  offset of the record carrying that timestamp - segment baseOffset
///
/// Timestamps strictly increase and offsets never decrease. To find the first record with a
/// timestamp ≥ T, start from the offset of the last entry with timestamp < T and scan forward.
/// When a segment becomes inactive a final entry records its largest timestamp, so the last
/// entry of an inactive segment's time index is the segment's largest timestamp.
struct TimeIndexEntry: IndexEntry {
    static let size = 12
    var timestamp: Int64
    var relativeOffset: Int32

    init(timestamp: Int64, relativeOffset: Int32) {
        self.timestamp = timestamp
        self.relativeOffset = relativeOffset
    }

    init(reading b: UnsafeRawBufferPointer, at o: Int) {
        timestamp = Int64(bigEndian: b.loadUnaligned(fromByteOffset: o, as: Int64.self))
        relativeOffset = Int32(bigEndian: b.loadUnaligned(fromByteOffset: o + 8, as: Int32.self))
    }

    func write(into b: UnsafeMutableRawBufferPointer, at o: Int) {
        b.storeBytes(of: timestamp.bigEndian, toByteOffset: o, as: Int64.self)
        b.storeBytes(of: relativeOffset.bigEndian, toByteOffset: o + 8, as: Int32.self)
    }

    func follows(_ p: TimeIndexEntry) -> Bool { timestamp > p.timestamp && relativeOffset >= p.relativeOffset }
}
