import EddyProtocol
@testable import EddyStorage

/// A batch as a leader stored it: records "v<base+delta>" at offsets base + deltas (contiguous
/// unless `deltas` says otherwise, as in a compacted batch), stamped with `epoch`.
func leaderBatch(base: Int64, count: Int, epoch: Int32, timestamp: Int64 = 1_000, deltas: [Int32]? = nil,
                 lastOffsetDelta: Int32? = nil, valueSize: Int = 0) -> [UInt8] {
    var b = RecordBatchBuilder(baseOffset: base, partitionLeaderEpoch: epoch)
    for (i, delta) in (deltas ?? (0 ..< Int32(count)).map { $0 }).enumerated() {
        var v = Array("v\(base + Int64(delta))".utf8)
        if valueSize > v.count { v += [UInt8](repeating: UInt8(ascii: "x"), count: valueSize - v.count) }
        b.append(offsetDelta: delta, timestamp: timestamp + Int64(i), key: Array("k\(base + Int64(delta))".utf8), value: v)
    }
    return b.build(lastOffsetDelta: lastOffsetDelta).bytes
}

/// The leader epoch cache rebuilt from the batches the log holds (what a corrupt checkpoint
/// would be replaced with), for comparing with the maintained one.
func epochsFromBatches(_ log: PartitionLog) throws -> [LeaderEpochEntry] {
    var cache = LeaderEpochCache()
    for h in try batchHeaders(log) { cache.assign(epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset) }
    cache.truncateFromStart(log.logStartOffset)
    return cache.entries
}

/// Offsets and values of every record readable from `log`.
func offsetsAndValues(_ log: PartitionLog) throws -> [String] {
    try readAll(log).map { "\($0.offset):" + String(decoding: $0.value ?? [], as: UTF8.self) }
}

