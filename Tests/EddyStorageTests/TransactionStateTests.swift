import EddyProtocol
@testable import EddyStorage
import Testing

private func txnBatch(pid: Int64 = 7, epoch: Int16 = 0, seq: Int32, count: Int32 = 1, offset: Int64,
                      transactional: Bool = true) -> ProducerBatch {
    var b = producerBatch(pid: pid, epoch: epoch, seq: seq, count: count, offset: offset)
    b.isTransactional = transactional
    return b
}

private func marker(pid: Int64 = 7, epoch: Int16 = 0, offset: Int64, commit: Bool, coordinatorEpoch: Int32 = 0,
                    timestamp: Int64 = 2_000) -> ProducerMarker {
    ProducerMarker(producerId: pid, producerEpoch: epoch, offset: offset, timestamp: timestamp, coordinatorEpoch: coordinatorEpoch,
                   committed: commit)
}

@Suite struct TransactionStateTests {
    @Test func aTransactionalBatchOpensATransactionThatItsMarkerEnds() throws {
        var state = ProducerState()
        #expect(state.firstUnstableOffset == nil)
        try leaderAppend(&state, txnBatch(seq: 0, count: 2, offset: 10))
        try leaderAppend(&state, txnBatch(seq: 2, offset: 15))
        #expect(state.entry(for: 7)?.currentTxnFirstOffset == 10, "the first batch opens it, later ones do not move it")
        #expect(state.firstUnstableOffset == 10)
        try state.check(marker(offset: 20, commit: false))
        let completed = state.apply(marker(offset: 20, commit: false))
        #expect(completed == CompletedTransaction(producerId: 7, firstOffset: 10, lastOffset: 20, aborted: true))
        #expect(state.firstUnstableOffset == nil && state.entry(for: 7)?.currentTxnFirstOffset == nil)
        #expect(state.lastStableOffset(after: completed) == 21)
        #expect(state.entry(for: 7)?.lastMarkerOffset == 20 && state.entry(for: 7)?.lastTimestamp == 2_000)
        #expect(state.checkInvariants())
    }

    @Test func theFirstUnstableOffsetIsTheOldestOpenTransaction() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(pid: 1, seq: 0, offset: 5))
        try leaderAppend(&state, txnBatch(pid: 2, seq: 0, offset: 6))
        try leaderAppend(&state, producerBatch(pid: 3, seq: 0, offset: 7))   // idempotent, not transactional
        #expect(state.firstUnstableOffset == 5)
        let first = state.apply(marker(pid: 1, offset: 8, commit: true))
        #expect(state.firstUnstableOffset == 6)
        #expect(state.lastStableOffset(after: first) == 6, "producer 2's transaction is still open")
        state.apply(marker(pid: 2, offset: 9, commit: true))
        #expect(state.firstUnstableOffset == nil)
        #expect(state.checkInvariants())
    }

    @Test func aMarkerWithoutAnOpenTransactionEndsAnEmptyOne() {
        var state = ProducerState()
        let completed = state.apply(marker(pid: 4, epoch: 3, offset: 30, commit: false))
        #expect(completed == CompletedTransaction(producerId: 4, firstOffset: 30, lastOffset: 30, aborted: true))
        #expect(state.entry(for: 4)?.producerEpoch == 3 && state.entry(for: 4)?.batches.isEmpty == true)
        #expect(state.checkInvariants())
    }

    @Test func markersFromAnOlderProducerOrCoordinatorEpochAreFenced() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(epoch: 2, seq: 0, offset: 0))
        state.apply(marker(epoch: 2, offset: 1, commit: true, coordinatorEpoch: 5))
        #expect(throws: ProducerStateError.invalidProducerEpoch(producerId: 7, found: 1, current: 2)) {
            try state.check(marker(epoch: 1, offset: 2, commit: false, coordinatorEpoch: 5))
        }
        #expect(throws: ProducerStateError.coordinatorFenced(producerId: 7, found: 4, current: 5)) {
            try state.check(marker(epoch: 2, offset: 2, commit: false, coordinatorEpoch: 4))
        }
        #expect(ProducerStateError.coordinatorFenced(producerId: 7, found: 4, current: 5).errorCode == .transactionCoordinatorFenced)
        try state.check(marker(epoch: 3, offset: 2, commit: false, coordinatorEpoch: 6))
    }

    @Test func anAbortAtANewEpochFencesTheZombiesBatches() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(epoch: 0, seq: 0, offset: 0))
        // The coordinator fences epoch 0 by aborting with epoch 1 (PrepareEpochFence).
        state.apply(marker(epoch: 1, offset: 1, commit: false))
        #expect(throws: ProducerStateError.invalidProducerEpoch(producerId: 7, found: 0, current: 1)) {
            try state.check(txnBatch(epoch: 0, seq: 1, offset: 2))
        }
        // The new epoch starts at sequence 0.
        #expect(try state.check(txnBatch(epoch: 1, seq: 0, offset: 2)) == .append)
    }

    @Test func aNonTransactionalBatchDuringATransactionIsInvalidTxnState() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(seq: 0, offset: 0))
        let error = #expect(throws: ProducerStateError.self) { try state.check(txnBatch(seq: 1, offset: 1, transactional: false)) }
        #expect(error?.errorCode == .invalidTxnState)
        state.apply(marker(offset: 1, commit: true))
        #expect(try state.check(txnBatch(seq: 1, offset: 2, transactional: false)) == .append)
    }

    @Test func producersWithAnOpenTransactionDoNotExpire() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(pid: 1, seq: 0, offset: 0))
        try leaderAppend(&state, producerBatch(pid: 2, seq: 0, offset: 1))
        #expect(state.removeExpiredProducers(nowMs: 1_000 + 86_400_000) == [2])
        #expect(state.firstUnstableOffset == 0)
    }

    @Test func headTruncationForgetsTransactionsWhollyBelowTheLogStart() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(pid: 1, seq: 0, offset: 0))
        try leaderAppend(&state, txnBatch(pid: 2, seq: 0, offset: 5))
        state.truncateHead(logStartOffset: 1)
        #expect(state.firstUnstableOffset == 5 && state.entry(for: 1) == nil)
        #expect(state.checkInvariants())
    }

    // MARK: Snapshots

    @Test func aSnapshotKeepsOpenTransactionsAndMarkers() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(pid: 1, seq: 0, count: 3, offset: 0))
        state.apply(marker(pid: 2, epoch: 4, offset: 3, commit: false, coordinatorEpoch: 9))
        try leaderAppend(&state, txnBatch(pid: 3, seq: 0, offset: 4))
        state.apply(marker(pid: 3, offset: 5, commit: true, coordinatorEpoch: 1))
        let (offset, decoded) = try ProducerState.decodeSnapshot(state.encodeSnapshot(offset: 6))
        #expect(offset == 6 && decoded == state)
        #expect(decoded.firstUnstableOffset == 0)
        #expect(decoded.entry(for: 2)?.coordinatorEpoch == 9 && decoded.entry(for: 2)?.batches.isEmpty == true)
    }

    @Test func aVersion1SnapshotStillDecodes() throws {
        // Written before transactions: version 1, entries without transaction fields.
        var w = ByteWriter(capacity: 64)
        w.writeInt16(1)
        w.writeUInt32(0)
        w.writeInt64(10)          // offset
        w.writeInt32(1)           // one producer
        w.writeInt64(7)           // producerId
        w.writeInt16(2)           // epoch
        w.writeInt16(1)           // one batch
        w.writeInt32(0); w.writeInt32(4); w.writeInt64(3); w.writeInt64(7); w.writeInt64(1_000)
        var bytes = w.take()
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[6...])) }
        withUnsafeBytes(of: crc.bigEndian) { bytes.replaceSubrange(2 ..< 6, with: $0) }
        let (offset, state) = try ProducerState.decodeSnapshot(bytes)
        #expect(offset == 10)
        #expect(state.entry(for: 7) == ProducerStateEntry(producerId: 7, producerEpoch: 2, batches: [
            ProducerBatchMetadata(firstSequence: 0, lastSequence: 4, firstOffset: 3, lastOffset: 7, timestamp: 1_000),
        ]))
        #expect(state.firstUnstableOffset == nil)
    }

    @Test func aSnapshotWithAnOpenTransactionAtOrPastItsOffsetIsCorrupt() throws {
        var state = ProducerState()
        try leaderAppend(&state, txnBatch(seq: 0, offset: 4))
        #expect(throws: ProducerStateError.self) { try ProducerState.decodeSnapshot(state.encodeSnapshot(offset: 4)) }
    }

    // MARK: Index entries

    @Test func anAbortedTxnEntryIs34BytesAsKafkaWritesIt() {
        let e = AbortedTxnEntry(producerId: 0x0102, firstOffset: 3, lastOffset: 9, lastStableOffset: 10)
        var bytes = [UInt8](repeating: 0, count: AbortedTxnEntry.size)
        bytes.withUnsafeMutableBytes { e.write(into: $0, at: 0) }
        #expect(AbortedTxnEntry.size == 34)
        #expect(bytes == [0, 0] + [0, 0, 0, 0, 0, 0, 1, 2] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 9]
            + [0, 0, 0, 0, 0, 0, 0, 10])
        #expect(bytes.withUnsafeBytes { AbortedTxnEntry(reading: $0, at: 0) } == e)
        bytes[1] = 1    // an unknown version does not read as a valid entry
        #expect(!bytes.withUnsafeBytes { AbortedTxnEntry(reading: $0, at: 0) }.isValid(in: 0 ..< 100))
    }
}
