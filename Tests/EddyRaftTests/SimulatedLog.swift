import EddyProtocol
@testable import EddyRaft

/// One record of a simulated node's log, with the hash of the whole log up to and including it
/// (`chain`), so that two logs' prefixes compare in O(1).
struct SimulatedEntry: Hashable {
    var offset: Int64
    var epoch: Int32
    var value: [UInt8]
    var isControl: Bool
    var chain: UInt64

    /// "epoch/value" for failure reports (a control record's value is binary).
    var label: String { "\(epoch)/" + (isControl ? "LeaderChange" : String(decoding: value, as: UTF8.self)) }
}

/// FNV-1a over an entry, continuing `previous`: the applied state of a log prefix is the chain
/// hash of its last entry, so a snapshot's state, an applied state and a committed prefix
/// compare as one number.
func chainHash(_ previous: UInt64, offset: Int64, epoch: Int32, value: [UInt8]) -> UInt64 {
    var h = previous
    func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
    withUnsafeBytes(of: offset.bigEndian) { for b in $0 { mix(b) } }
    withUnsafeBytes(of: epoch.bigEndian) { for b in $0 { mix(b) } }
    for b in value { mix(b) }
    return h
}

let emptyChain: UInt64 = 0xCBF2_9CE4_8422_2325

/// A simulated node's log on its disk: records from `startOffset` (0, or a snapshot's end), of
/// which the first `durableCount` survive a kill (the rest were not flushed). Truncation and
/// prefix deletion are durable at once.
struct SimulatedLog: Hashable {
    var startOffset: Int64 = 0
    /// The epoch of the record below `startOffset`.
    var startEpoch: Int32 = 0
    /// The chain hash of the state below `startOffset` (the snapshot's).
    var baseChain: UInt64 = emptyChain
    var entries: [SimulatedEntry] = []
    var durableCount = 0

    var endOffset: Int64 { startOffset + Int64(entries.count) }
    var durableEndOffset: Int64 { startOffset + Int64(durableCount) }

    func entry(at offset: Int64) -> SimulatedEntry? {
        guard offset >= startOffset, offset < endOffset else { return nil }
        return entries[Int(offset - startOffset)]
    }

    /// The chain hash of the log below `offset` (`startOffset` ≤ offset ≤ `endOffset`).
    func chain(below offset: Int64) -> UInt64 {
        offset == startOffset ? baseChain : entries[Int(offset - startOffset) - 1].chain
    }

    mutating func append(_ batch: RaftBatch) {
        precondition(batch.baseOffset == endOffset, "simulated append at \(batch.baseOffset), log ends at \(endOffset)")
        for (i, value) in batch.records.enumerated() {
            let offset = batch.baseOffset + Int64(i)
            let chain = chainHash(chain(below: offset), offset: offset, epoch: batch.epoch, value: value)
            entries.append(SimulatedEntry(offset: offset, epoch: batch.epoch, value: value, isControl: batch.isControl, chain: chain))
        }
    }

    mutating func truncate(to offset: Int64) {
        let keep = Int(max(0, min(offset, endOffset) - startOffset))
        entries.removeLast(entries.count - keep)
        durableCount = min(durableCount, keep)
    }

    mutating func flush() { durableCount = entries.count }

    /// A kill: what was not flushed is gone.
    mutating func loseUnflushed() { entries.removeLast(entries.count - durableCount) }

    /// Deletes the records below `offset` (covered by a snapshot whose state is `chain`).
    mutating func deletePrefix(below offset: Int64, epoch: Int32, chain: UInt64) {
        let drop = Int(offset - startOffset)
        precondition(drop >= 0 && drop <= entries.count)
        entries.removeFirst(drop)
        startEpoch = epoch
        durableCount = max(0, durableCount - drop)
        startOffset = offset
        baseChain = chain
    }

    /// The log restarts empty just after a snapshot.
    mutating func reset(at offset: Int64, epoch: Int32, chain: UInt64) {
        startOffset = offset
        startEpoch = epoch
        baseChain = chain
        entries = []
        durableCount = 0
    }

    /// Batches from `offset` on: runs of one epoch (and one kind), at most `maxRecords` records
    /// in all, as a leader's fetch response carries them.
    func batches(from offset: Int64, maxRecords: Int) -> [RaftBatch] {
        var result: [RaftBatch] = []
        var o = offset, total = 0
        while let first = entry(at: o), total < maxRecords {
            var records = [first.value]
            o += 1
            while let next = entry(at: o), next.epoch == first.epoch, next.isControl == first.isControl, total + records.count < maxRecords {
                records.append(next.value)
                o += 1
            }
            total += records.count
            result.append(RaftBatch(baseOffset: first.offset, epoch: first.epoch, records: records, isControl: first.isControl))
        }
        return result
    }

    /// The shape of this log for a `RaftNode` (with the node's snapshot id).
    func state(snapshot: OffsetAndEpoch?) -> RaftLogState {
        var epochs: [RaftLogState.EpochEntry] = []
        for e in entries where epochs.last?.epoch != e.epoch {
            epochs.append(RaftLogState.EpochEntry(epoch: e.epoch, startOffset: e.offset))
        }
        return RaftLogState(startOffset: startOffset, startEpoch: startEpoch, endOffset: endOffset, epochs: epochs, snapshot: snapshot)
    }
}
