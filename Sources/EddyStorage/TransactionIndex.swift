import EddyProtocol
import Foundation

/// One entry of a segment's `.txnindex` file (Kafka's `AbortedTxn` in its `TransactionIndex`),
/// 34 bytes, big-endian:
///
///     offset  size  field
///          0     2  version           0
///          2     8  producerId        the producer whose transaction was aborted
///         10     8  firstOffset       the transaction's first offset in this partition
///         18     8  lastOffset        the offset of its ABORT marker (in this segment)
///         26     8  lastStableOffset  the partition's last stable offset once the marker was
///                                     written: the first offset of the oldest transaction then
///                                     still open, else lastOffset + 1
///
/// A segment's index lists the transactions whose abort markers it holds, in marker order
/// (`lastOffset` strictly increasing). A read_committed fetch from offset F up to U collects the
/// entries with `lastOffset >= F` and `firstOffset < U`, segment by segment from the one holding
/// F, and may stop after a segment holding an entry with `lastStableOffset >= U`: every
/// transaction with data below U had ended by then, so its marker was already seen
/// (`PartitionLog.abortedTransactions`). The file exists only once the segment held an abort
/// marker (see `TransactionIndex`). Like the other indexes it is rebuilt from the log for the
/// segments recovery scans (see `PartitionLog+ProducerState.swift`).
public struct AbortedTxnEntry: Sendable, Hashable {
    static let size = 34
    public static let currentVersion: Int16 = 0

    public var producerId: Int64
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var lastStableOffset: Int64

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }

    /// Reads an entry; an unknown version reads as an entry whose offsets fail `isValid`
    /// (`TransactionIndex.load` rejects the file and the index is rebuilt).
    init(reading b: UnsafeRawBufferPointer, at o: Int) {
        let version = Int16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: Int16.self))
        producerId = Int64(bigEndian: b.loadUnaligned(fromByteOffset: o + 2, as: Int64.self))
        firstOffset = Int64(bigEndian: b.loadUnaligned(fromByteOffset: o + 10, as: Int64.self))
        lastOffset = Int64(bigEndian: b.loadUnaligned(fromByteOffset: o + 18, as: Int64.self))
        lastStableOffset = Int64(bigEndian: b.loadUnaligned(fromByteOffset: o + 26, as: Int64.self))
        if version != Self.currentVersion { firstOffset = -1 }
    }

    func write(into b: UnsafeMutableRawBufferPointer, at o: Int) {
        b.storeBytes(of: Self.currentVersion.bigEndian, toByteOffset: o, as: Int16.self)
        b.storeBytes(of: producerId.bigEndian, toByteOffset: o + 2, as: Int64.self)
        b.storeBytes(of: firstOffset.bigEndian, toByteOffset: o + 10, as: Int64.self)
        b.storeBytes(of: lastOffset.bigEndian, toByteOffset: o + 18, as: Int64.self)
        b.storeBytes(of: lastStableOffset.bigEndian, toByteOffset: o + 26, as: Int64.self)
    }

    func follows(_ p: AbortedTxnEntry) -> Bool { lastOffset > p.lastOffset }

    /// Whether the entry is well formed for a segment holding offsets `segment`.
    func isValid(in segment: Range<Int64>) -> Bool {
        producerId >= 0 && firstOffset >= 0 && firstOffset <= lastOffset && segment.contains(lastOffset)
            && lastStableOffset >= 0 && lastStableOffset <= lastOffset + 1
    }
}

/// A segment's transaction index (Kafka's `TransactionIndex`): its `AbortedTxnEntry`s in
/// memory, and the `.txnindex` file holding exactly them. Every change is written to the file
/// at once (no fsync); `sync` fsyncs it, which the partition log does before the recovery
/// point passes the segment. So the file never lists an entry that is no longer in memory
/// (a truncation rewrites it before it returns), and a segment recovery trusts (below the
/// recovery point) has a durable, current file. The file is created with the first entry and
/// stays (empty) after a truncation removed them all.
///
/// Not thread-safe: the owning segment's partition log serialises access with its lock.
struct TransactionIndex: Sendable {
    let path: String
    private(set) var entries: [AbortedTxnEntry] = []
    /// The file was written since the last `sync`.
    private var unsynced = false

    init(path: String) { self.path = path }

    var last: AbortedTxnEntry? { entries.last }

    /// Appends `entry` (its marker must follow the last entry's) and writes it to the file.
    mutating func append(_ entry: AbortedTxnEntry) throws {
        if let last = entries.last, !entry.follows(last) { return }
        var bytes = [UInt8](repeating: 0, count: AbortedTxnEntry.size)
        bytes.withUnsafeMutableBytes { entry.write(into: $0, at: 0) }
        let f = try File(path: path)
        defer { f.close() }
        try f.write(bytes, at: Int64(entries.count * AbortedTxnEntry.size))
        entries.append(entry)
        unsynced = true
    }

    /// Drops the entries from the first that `keep` refuses on (`keep` must be monotone
    /// true…false), cutting the file to match.
    mutating func truncate(keepWhile keep: (AbortedTxnEntry) -> Bool) throws {
        let n = entries.firstIndex(where: { !keep($0) }) ?? entries.count
        guard n < entries.count else { return }
        entries.removeSubrange(n...)
        guard FileSystem.exists(path) else { return }
        let f = try File(path: path, create: false)
        defer { f.close() }
        try f.truncate(to: Int64(n * AbortedTxnEntry.size))
        unsynced = true
    }

    /// Drops every entry (before a recovery rebuilds them), cutting any file to nothing.
    mutating func removeAll() throws {
        entries.removeAll()
        guard FileSystem.exists(path) else { return }
        let f = try File(path: path, create: false)
        defer { f.close() }
        try f.truncate(to: 0)
        unsynced = true
    }

    /// fsyncs the file if it changed since the last call.
    mutating func sync() throws {
        guard unsynced else { return }
        try Self.sync(path: path)
        unsynced = false
    }

    /// fsyncs the file at `path` through a descriptor of its own, if it exists (for the
    /// background flusher, which does not hold the log's lock).
    static func sync(path: String) throws {
        let f: File
        do { f = try File(path: path, create: false, readOnly: true) } catch let StorageError.io(_, _, code) where code == ENOENT {
            return
        }
        defer { f.close() }
        try f.sync()
    }

    /// Loads the index file: empty when there is none; nil when it is not a whole number of
    /// entries, or an entry fails `isValid` or does not follow the one before (the caller then
    /// recovers the segment, which rebuilds the index).
    static func load(path: String, isValid: (AbortedTxnEntry) -> Bool) -> TransactionIndex? {
        var index = TransactionIndex(path: path)
        guard FileSystem.exists(path) else { return index }
        guard let bytes = try? FileSystem.readAll(path), bytes.count % AbortedTxnEntry.size == 0 else { return nil }
        var ok = true
        bytes.withUnsafeBytes { b in
            for i in stride(from: 0, to: b.count, by: AbortedTxnEntry.size) {
                let e = AbortedTxnEntry(reading: b, at: i)
                guard isValid(e), index.entries.last.map({ e.follows($0) }) ?? true else { ok = false; return }
                index.entries.append(e)
            }
        }
        return ok ? index : nil
    }
}
