/// Key → latest offset over the dirty section of one log: the cleaner's dedupe map
/// (Kafka's `OffsetMap` / `SkimpyOffsetMap`).
///
/// Kafka stores a 16-byte MD5 of each key and accepts that two keys may collide (one of them
/// would then lose its latest record). This map stores the key bytes and compares them
/// exactly, so a collision can never drop data.
///
/// Layout and memory bound: key bytes live back to back in one arena; an open-addressing
/// table (linear probing, power-of-two size, at most 3/4 full) holds `slotSize` bytes per
/// slot: the key's hash, its arena position and length, and its offset. The table plus the
/// arena never exceed `memoryLimit` bytes of capacity. When a new key does not fit, `put`
/// returns false and leaves the map unchanged; the cleaner then stops indexing, and the round
/// cleans only up to `latestOffset` (Kafka's behaviour when the dedupe buffer fills).
public struct OffsetMap: Sendable {
    struct Slot {
        var hash: Int
        var keyStart: Int
        /// -1 marks an empty slot.
        var keyLength: Int32
        var offset: Int64
        static let empty = Slot(hash: 0, keyStart: 0, keyLength: -1, offset: -1)
    }

    public static let slotSize = MemoryLayout<Slot>.stride
    static let minimumSlots = 8

    private var slots: [Slot] = []
    private var arena: [UInt8] = []
    /// Distinct keys stored.
    public private(set) var count = 0
    /// The largest offset indexed so far (the last offset of the last fully indexed batch, or
    /// the end of the last fully indexed segment), -1 when nothing was indexed. Records above
    /// it were not looked at, so the cleaner keeps them.
    public private(set) var latestOffset: Int64 = -1
    public let memoryLimit: Int

    public init(memoryLimit: Int) {
        self.memoryLimit = max(0, memoryLimit)
    }

    /// Bytes of capacity in use (table plus arena).
    public var memoryUsed: Int { slots.count * OffsetMap.slotSize + arena.capacity }
    /// Fraction of `memoryLimit` in use, for stats (Kafka's buffer utilization).
    public var utilization: Double { memoryLimit == 0 ? 0 : Double(memoryUsed) / Double(memoryLimit) }

    /// Memory a map needs to hold `keyCount` keys of `totalKeyBytes` bytes in all.
    public static func memoryNeeded(keyCount: Int, totalKeyBytes: Int) -> Int {
        slotsNeeded(for: keyCount) * slotSize + totalKeyBytes
    }

    static func slotsNeeded(for keys: Int) -> Int {
        var n = minimumSlots
        while keys * 4 > n * 3 { n *= 2 }
        return n
    }

    private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: key)
        return h.finalize()
    }

    /// Finds the slot holding `key`, or the empty slot where it would go.
    private func find(_ key: UnsafeRawBufferPointer, hash: Int) -> (index: Int, found: Bool) {
        let mask = slots.count - 1
        var i = hash & mask
        while true {
            let s = slots[i]
            if s.keyLength < 0 { return (i, false) }
            if s.hash == hash, Int(s.keyLength) == key.count, keyEquals(s, key) { return (i, true) }
            i = (i + 1) & mask
        }
    }

    private func keyEquals(_ s: Slot, _ key: UnsafeRawBufferPointer) -> Bool {
        guard key.count > 0 else { return true }
        return arena.withUnsafeBytes { a in
            memcmp(a.baseAddress! + s.keyStart, key.baseAddress!, key.count) == 0
        }
    }

    /// The latest offset recorded for `key`, nil if the key was not indexed.
    public func get(_ key: UnsafeRawBufferPointer) -> Int64? {
        guard !slots.isEmpty else { return nil }
        let (i, found) = find(key, hash: OffsetMap.hash(key))
        return found ? slots[i].offset : nil
    }

    public func get(_ key: [UInt8]) -> Int64? { key.withUnsafeBytes { get($0) } }

    /// Records `offset` as the latest for `key`. Returns false, changing nothing, when `key` is
    /// new and does not fit in `memoryLimit`. Offsets must be put in increasing order.
    public mutating func put(_ key: UnsafeRawBufferPointer, offset: Int64) -> Bool {
        let h = OffsetMap.hash(key)
        if !slots.isEmpty {
            let (i, found) = find(key, hash: h)
            if found {
                slots[i].offset = offset
                return true
            }
        }
        guard key.count <= Int(Int32.max) else { return false }
        let slotCount = OffsetMap.slotsNeeded(for: count + 1)
        let arenaNeeded = arena.count + key.count
        let slotBytes = slotCount * OffsetMap.slotSize
        guard slotBytes <= memoryLimit, arenaNeeded <= memoryLimit - slotBytes else { return false }
        if slotCount != slots.count { rehash(to: slotCount) }
        if arenaNeeded > arena.capacity {
            // Grow geometrically, but never past what the limit leaves for the arena.
            arena.reserveCapacity(min(max(arena.capacity * 2, arenaNeeded), memoryLimit - slotBytes))
        }
        let start = arena.count
        arena.append(contentsOf: key)
        let (i, _) = find(key, hash: h)
        slots[i] = Slot(hash: h, keyStart: start, keyLength: Int32(key.count), offset: offset)
        count += 1
        return true
    }

    @discardableResult
    public mutating func put(_ key: [UInt8], offset: Int64) -> Bool { key.withUnsafeBytes { put($0, offset: offset) } }

    private mutating func rehash(to n: Int) {
        let old = slots
        slots = Array(repeating: .empty, count: n)
        let mask = n - 1
        for s in old where s.keyLength >= 0 {
            var i = s.hash & mask
            while slots[i].keyLength >= 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }

    /// Raises `latestOffset` (it never goes down).
    public mutating func updateLatestOffset(_ offset: Int64) {
        latestOffset = max(latestOffset, offset)
    }

    public mutating func clear() {
        slots = []
        arena = []
        count = 0
        latestOffset = -1
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
