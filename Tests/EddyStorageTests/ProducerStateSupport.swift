import EddyProtocol
@testable import EddyStorage

/// Sequence `first` advanced by `count - 1` records, wrapping at Int32.max like the producer.
func producerLastSequence(_ first: Int32, count: Int32) -> Int32 {
    let s = Int64(first) + Int64(count) - 1
    return Int32(s > Int64(Int32.max) ? s - Int64(Int32.max) - 1 : s)
}

func producerBatch(pid: Int64 = 7, epoch: Int16 = 0, seq: Int32, count: Int32 = 1,
                   offset: Int64, timestamp: Int64 = 1_000) -> ProducerBatch {
    ProducerBatch(producerId: pid, producerEpoch: epoch, firstSequence: seq,
                  lastSequence: producerLastSequence(seq, count: count),
                  firstOffset: offset, lastOffset: offset + Int64(count) - 1, maxTimestamp: timestamp)
}

func producerHeader(_ b: ProducerBatch, control: Bool = false) -> RecordBatchHeader {
    let delta = Int32(b.lastOffset - b.firstOffset)
    return RecordBatchHeader(baseOffset: b.firstOffset, batchLength: 49, partitionLeaderEpoch: 0, crc: 0,
                             attributes: RecordBatchAttributes(isControl: control), lastOffsetDelta: delta,
                             baseTimestamp: b.maxTimestamp, maxTimestamp: b.maxTimestamp, producerId: b.producerId,
                             producerEpoch: b.producerEpoch, baseSequence: b.firstSequence, recordCount: delta + 1)
}

/// Leader-path append: check, and on `.append` update with the batch; returns the verdict.
@discardableResult
func leaderAppend(_ state: inout ProducerState, _ b: ProducerBatch) throws(ProducerStateError) -> ProducerAppendCheck {
    let verdict = try state.check(b)
    if verdict == .append { state.update(with: b) }
    return verdict
}

/// A seeded random history of valid leader appends for a few producers, with epoch bumps.
func randomProducerHistory(seed: UInt64, batches: Int) -> [ProducerBatch] {
    var rng = SplitMix64(seed: seed)
    var next: [Int64: (epoch: Int16, seq: Int32)] = [:]
    var offset: Int64 = 0
    var out: [ProducerBatch] = []
    for i in 0..<batches {
        let pid = Int64.random(in: 0..<4, using: &rng) * 1000
        var (epoch, seq) = next[pid] ?? (Int16.random(in: 0..<3, using: &rng), Int32.random(in: 0..<100, using: &rng))
        if Int.random(in: 0..<10, using: &rng) == 0 { epoch += 1; seq = 0 }
        let count = Int32.random(in: 1...4, using: &rng)
        offset += Int64.random(in: 0...2, using: &rng)   // other producers' records in between
        let b = producerBatch(pid: pid, epoch: epoch, seq: seq, count: count, offset: offset, timestamp: 1_000 + Int64(i))
        out.append(b)
        offset = b.lastOffset + 1
        next[pid] = (epoch, ProducerState.nextSequence(after: b.lastSequence))
    }
    return out
}
