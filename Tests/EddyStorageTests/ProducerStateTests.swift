import EddyProtocol
@testable import EddyStorage
import Testing

@Suite struct ProducerStateTests {
    /// Six batches of varying sizes from one producer, applied through the leader path.
    private func sixBatches() throws -> (ProducerState, [ProducerBatch]) {
        var s = ProducerState()
        var seq: Int32 = 0
        var offset: Int64 = 100
        var batches: [ProducerBatch] = []
        for count: Int32 in [1, 3, 2, 5, 1, 4] {
            let b = producerBatch(seq: seq, count: count, offset: offset)
            #expect(try leaderAppend(&s, b) == .append)
            batches.append(b)
            seq += count
            offset += Int64(count) + 10
        }
        #expect(s.checkInvariants())
        return (s, batches)
    }

    @Test func duplicatesOfEachOfTheLastFiveBatchesReturnTheirOriginalOffsets() throws {
        let (s, batches) = try sixBatches()
        for original in batches.suffix(ProducerState.batchesToRetain) {
            var retry = original
            retry.firstOffset = 9_999   // a retry has no offsets of its own
            retry.lastOffset = 9_999 + (original.lastOffset - original.firstOffset)
            #expect(try s.check(retry) == .duplicate(firstOffset: original.firstOffset, lastOffset: original.lastOffset))
        }
        #expect(s.entry(for: 7)?.batches.count == ProducerState.batchesToRetain)
    }

    @Test func theSixthOldestBatchIsNoLongerRecognisedAndIsOutOfOrder() throws {
        let (s, batches) = try sixBatches()
        let oldest = batches[0]
        #expect(throws: ProducerStateError.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 16, found: 0)) {
            try s.check(oldest)
        }
    }

    @Test func sameFirstSequenceButDifferentLastSequenceIsNotADuplicate() throws {
        let (s, batches) = try sixBatches()
        let b = batches[5]
        #expect(throws: ProducerStateError.self) {
            try s.check(producerBatch(seq: b.firstSequence, count: 2, offset: 0))
        }
    }

    @Test func aGapIsOutOfOrder() throws {
        var s = ProducerState()
        try leaderAppend(&s, producerBatch(seq: 0, count: 3, offset: 0))
        #expect(throws: ProducerStateError.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 3, found: 4)) {
            try s.check(producerBatch(seq: 4, offset: 3))
        }
        #expect(try s.check(producerBatch(seq: 3, offset: 3)) == .append)
        #expect(s.entry(for: 7)?.lastSequence == 2, "check must not change state")
    }

    @Test func anUnknownProducerIsAcceptedAtAnySequence() throws {
        let s = ProducerState()
        #expect(try s.check(producerBatch(seq: 0, offset: 0)) == .append)
        #expect(try s.check(producerBatch(epoch: 3, seq: 12_345, offset: 0)) == .append)
    }

    @Test func badSequenceOrEpochFieldsAreRejected() {
        let s = ProducerState()
        #expect(throws: ProducerStateError.invalidSequence(producerId: 7, sequence: -1)) {
            try s.check(producerBatch(seq: -1, offset: 0))
        }
        #expect(throws: ProducerStateError.invalidProducerEpoch(producerId: 7, found: -1, current: -1)) {
            try s.check(producerBatch(epoch: -1, seq: 0, offset: 0))
        }
    }

    @Test func aNewEpochMustStartAtZeroAndFencesTheOldOne() throws {
        var s = ProducerState()
        try leaderAppend(&s, producerBatch(epoch: 1, seq: 0, count: 2, offset: 0))
        try leaderAppend(&s, producerBatch(epoch: 1, seq: 2, count: 2, offset: 2))
        #expect(throws: ProducerStateError.outOfOrderSequence(producerId: 7, producerEpoch: 2, expected: 0, found: 4)) {
            try s.check(producerBatch(epoch: 2, seq: 4, offset: 4))
        }
        // Epoch 2 at sequence 0 is new data, not a duplicate of epoch 1's first batch.
        #expect(try leaderAppend(&s, producerBatch(epoch: 2, seq: 0, count: 2, offset: 4)) == .append)
        #expect(s.entry(for: 7)?.producerEpoch == 2)
        #expect(s.entry(for: 7)?.batches.count == 1, "a new epoch forgets the old epoch's batches")
        // A zombie with the old epoch, whether new data or a retry, is fenced.
        for seq: Int32 in [4, 2, 0] {
            #expect(throws: ProducerStateError.invalidProducerEpoch(producerId: 7, found: 1, current: 2)) {
                try s.check(producerBatch(epoch: 1, seq: seq, count: 2, offset: 6))
            }
        }
        #expect(try s.check(producerBatch(epoch: 2, seq: 0, count: 2, offset: 99)) == .duplicate(firstOffset: 4, lastOffset: 5))
        #expect(try s.check(producerBatch(epoch: 2, seq: 2, offset: 6)) == .append)
    }

    @Test func sequencesWrapAtInt32Max() throws {
        var s = ProducerState()
        let spanning = producerBatch(seq: Int32.max - 1, count: 4, offset: 0)
        #expect(spanning.lastSequence == 1)
        #expect(ProducerBatch(producerHeader(spanning)) == spanning, "header lastSequence agrees")
        try leaderAppend(&s, spanning)
        #expect(throws: ProducerStateError.self) { try s.check(producerBatch(seq: 3, offset: 4)) }
        #expect(try s.check(producerBatch(seq: 2, offset: 4)) == .append)

        var t = ProducerState()
        try leaderAppend(&t, producerBatch(seq: Int32.max, offset: 0))
        #expect(ProducerState.nextSequence(after: Int32.max) == 0)
        #expect(throws: ProducerStateError.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 0, found: 1)) {
            try t.check(producerBatch(seq: 1, offset: 1))
        }
        #expect(try leaderAppend(&t, producerBatch(seq: 0, offset: 1)) == .append)
        #expect(try t.check(producerBatch(seq: Int32.max, offset: 5)) == .duplicate(firstOffset: 0, lastOffset: 0))
    }

    @Test func producersExpireAfterProducerIdExpirationMs() throws {
        let clock = ManualClock(nowMs: 1_000_000)
        var s = ProducerState()
        s.update(with: producerBatch(pid: 1, seq: 0, offset: 0, timestamp: clock.nowMs()))
        clock.advance(ms: 1_000)
        s.update(with: producerBatch(pid: 2, seq: 0, offset: 1, timestamp: clock.nowMs()))
        let expiration: Int64 = 5_000
        clock.advance(ms: expiration - 1_000 - 1)
        #expect(s.removeExpiredProducers(nowMs: clock.nowMs(), producerIdExpirationMs: expiration).isEmpty)
        clock.advance(ms: 1)
        #expect(s.removeExpiredProducers(nowMs: clock.nowMs(), producerIdExpirationMs: expiration) == [1])
        #expect(s.entry(for: 1) == nil && s.entry(for: 2) != nil)
        clock.advance(ms: ProducerState.defaultProducerIdExpirationMs)
        #expect(s.removeExpiredProducers(nowMs: clock.nowMs()) == [2])
        #expect(s.producers.isEmpty)
        // An expired producer is unknown again, so any sequence is accepted.
        #expect(try s.check(producerBatch(pid: 1, seq: 42, offset: 2)) == .append)
    }

    @Test func truncateHeadRemovesProducersWhollyBelowTheLogStart() {
        var s = ProducerState()
        s.update(with: producerBatch(pid: 1, seq: 0, count: 2, offset: 0))
        s.update(with: producerBatch(pid: 2, seq: 0, count: 2, offset: 2))
        s.update(with: producerBatch(pid: 2, seq: 2, count: 2, offset: 6))
        s.truncateHead(logStartOffset: 2)
        #expect(s.entry(for: 1) == nil)
        #expect(s.entry(for: 2)?.batches.count == 2)
        s.truncateHead(logStartOffset: 7)
        #expect(s.entry(for: 2)?.batches.count == 2, "last batch 6-7 is still in the log")
        s.truncateHead(logStartOffset: 8)
        #expect(s.producers.isEmpty)
    }

    @Test(arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func rebuildingFromHeadersEqualsIncrementalState(seed: UInt64) throws {
        let history = randomProducerHistory(seed: seed, batches: 200)
        var incremental = ProducerState()
        for b in history {
            let verdict = try leaderAppend(&incremental, b)
            #expect(verdict == .append, "seed=\(seed)")
        }
        #expect(incremental.checkInvariants(), "seed=\(seed)")
        var headers = history.map { producerHeader($0) }
        headers.insert(producerHeader(producerBatch(pid: -1, epoch: -1, seq: -1, offset: 0)), at: 3)   // not idempotent
        headers.insert(producerHeader(producerBatch(pid: 0, epoch: 99, seq: 0, offset: 0), control: true), at: 7)
        #expect(ProducerState.rebuild(from: headers) == incremental, "seed=\(seed)")

        // A snapshot taken midway plus the replayed tail gives the same state.
        let mid = history.count / 2
        let atMid = ProducerState.rebuild(from: headers.prefix(mid + 2))
        let snapshotOffset = history[mid - 1].lastOffset + 1
        let (offset, loaded) = try ProducerState.decodeSnapshot(atMid.encodeSnapshot(offset: snapshotOffset))
        #expect(offset == snapshotOffset)
        #expect(ProducerState.rebuild(from: headers.dropFirst(mid + 2), startingFrom: loaded) == incremental, "seed=\(seed)")
    }
}
