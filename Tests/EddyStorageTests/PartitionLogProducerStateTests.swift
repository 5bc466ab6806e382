import EddyProtocol
@testable import EddyStorage
import Foundation
import Logging
import Synchronization
import Testing

/// A producer's batch of `count` records with sequences seq..<seq+count (values "p<pid>e<epoch>s<seq>").
private func idempotent(_ pid: Int64, epoch: Int16 = 0, seq: Int32, count: Int = 2, timestamp: Int64 = 1_000,
                        baseOffset: Int64 = 0, leaderEpoch: Int32 = -1) -> [UInt8] {
    var b = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch, producerId: pid,
                               producerEpoch: epoch, baseSequence: seq)
    for i in 0 ..< count {
        let s = Int(seq) + i
        b.append(timestamp: timestamp + Int64(i), key: Array("k\(pid)-\(s)".utf8), value: Array("p\(pid)e\(epoch)s\(s)".utf8))
    }
    return b.build().bytes
}

/// The producer state replayed from every batch readable in `log` (what a rebuild from offset 0 gives).
private func stateFromLog(_ log: PartitionLog) throws -> ProducerState {
    var state = ProducerState()
    for h in try batchHeaders(log) { state.replay(h) }
    return state
}

private func snapshotFiles(_ dir: TempDir) -> [String] { segmentFiles(dir, suffix: "snapshot") }

private func producerError(_ body: () throws -> Void) -> ProducerStateError? {
    do { try body() } catch let StorageError.producer(e) { return e } catch { return nil }
    return nil
}

@Suite struct PartitionLogProducerStateTests {
    // MARK: Leader append

    @Test func aDuplicateWithinTheLastFiveIsAcknowledgedWithItsOriginalOffsets() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        var firsts: [Int64] = []
        for i in 0 ..< 5 {
            try log.append(makeBatch(first: 100 + i, count: 1))  // another, non-idempotent producer
            firsts.append(try log.append(idempotent(7, seq: Int32(i * 2))).firstOffset)
        }
        let end = log.logEndOffset, size = log.sizeInBytes
        for i in [0, 2, 4] {
            let info = try log.append(idempotent(7, seq: Int32(i * 2)))
            #expect(info.isDuplicate)
            #expect(info.firstOffset == firsts[i] && info.lastOffset == firsts[i] + 1)
            #expect(info.recordCount == 0 && info.batchCount == 0)
        }
        #expect(log.logEndOffset == end && log.sizeInBytes == size, "a duplicate is not written again")
        #expect(log.producerEntry(7)?.lastSequence == 9)
        let next = try log.append(idempotent(7, seq: 10))
        #expect(!next.isDuplicate && next.firstOffset == end)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func aRetryOlderThanTheLastFiveIsOutOfOrder() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 6 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        let end = log.logEndOffset
        let error = producerError { try log.append(idempotent(7, seq: 0)) }
        #expect(error == .outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 12, found: 0))
        #expect(StorageError.producer(error!).kafkaErrorName == "OUT_OF_ORDER_SEQUENCE_NUMBER")
        #expect(log.logEndOffset == end)
        #expect(try log.append(idempotent(7, seq: 2)).isDuplicate, "the second batch is still among the last five")
    }

    @Test func aGapIsOutOfOrderAndWritesNothing() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, seq: 0))
        let error = producerError { try log.append(idempotent(7, seq: 3)) }
        #expect(error == .outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 2, found: 3))
        #expect(log.logEndOffset == 2 && log.producerEntry(7)?.lastSequence == 1)
        // An unknown producer may start anywhere (KIP-360).
        #expect(try log.append(idempotent(8, seq: 40)).firstOffset == 2)
    }

    @Test func anOldEpochIsFencedAndANewEpochStartsAtZero() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, epoch: 1, seq: 0))
        let fenced = producerError { try log.append(idempotent(7, epoch: 0, seq: 2)) }
        #expect(fenced == .invalidProducerEpoch(producerId: 7, found: 0, current: 1))
        #expect(StorageError.producer(fenced!).kafkaErrorName == "INVALID_PRODUCER_EPOCH")
        let notZero = producerError { try log.append(idempotent(7, epoch: 2, seq: 2)) }
        #expect(notZero == .outOfOrderSequence(producerId: 7, producerEpoch: 2, expected: 0, found: 2))
        let info = try log.append(idempotent(7, epoch: 2, seq: 0))
        #expect(!info.isDuplicate && info.firstOffset == 2)
        let entry = try #require(log.producerEntry(7))
        #expect(entry.producerEpoch == 2 && entry.batches.count == 1 && entry.batches[0].firstOffset == 2)
    }

    @Test func anIdempotentBatchWithoutSequenceIsAnInvalidRecord() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        var b = RecordBatchBuilder(producerId: 7, producerEpoch: 0, baseSequence: -1)
        b.append(timestamp: 1, key: Array("k".utf8), value: Array("v".utf8))
        let error = producerError { try log.append(b.build().bytes) }
        #expect(error == .invalidSequence(producerId: 7, sequence: -1))
        #expect(StorageError.producer(error!).kafkaErrorName == "INVALID_RECORD")
        #expect(log.logEndOffset == 0)
    }

    @Test func batchesOfOneRequestChainAndARetriedRequestIsOneDuplicate() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 3))
        let request = idempotent(7, seq: 0) + idempotent(7, seq: 2, count: 3) + idempotent(8, seq: 5)
        let info = try log.append(request)
        #expect(info.firstOffset == 3 && info.lastOffset == 9 && !info.isDuplicate)
        #expect(log.producerEntry(7)?.batches.map(\.firstOffset) == [3, 5])
        let retry = try log.append(request)
        #expect(retry.isDuplicate && retry.firstOffset == 3 && retry.lastOffset == 9)
        #expect(log.logEndOffset == 10)
        // The second batch must follow the first, not the stored state.
        let broken = producerError { try log.append(idempotent(7, seq: 5) + idempotent(7, seq: 9)) }
        #expect(broken == .outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 7, found: 9))
        #expect(log.logEndOffset == 10 && log.producerEntry(7)?.lastSequence == 4)
    }

    @Test func aRequestMixingDuplicatesWithNewBatchesIsRefused() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, seq: 0))
        for request in [idempotent(7, seq: 0) + idempotent(7, seq: 2),
                        idempotent(7, seq: 0) + makeBatch(first: 0, count: 1),
                        idempotent(8, seq: 0) + idempotent(7, seq: 0)] {
            #expect(throws: StorageError.self) { try log.append(request) }
            do { try log.append(request) } catch let e as StorageError { #expect(e.kafkaErrorName == "INVALID_RECORD") }
        }
        #expect(log.logEndOffset == 2 && log.producerEntry(8) == nil)
    }

    @Test func aDuplicateUnderLogAppendTimeReportsTheOriginalAppendTime() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 50_000)
        let log = try openLog(dir, config: config(["message.timestamp.type": "LogAppendTime"]), clock: clock)
        let first = try log.append(idempotent(7, seq: 0))
        #expect(first.logAppendTime == 50_000)
        clock.advance(ms: 1_000)
        let retry = try log.append(idempotent(7, seq: 0))
        #expect(retry.isDuplicate && retry.logAppendTime == 50_000 && retry.maxTimestamp == 50_000)
    }

    // MARK: Follower

    @Test func followerAppendsUpdateTheStateUnchecked() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(idempotent(7, seq: 0, baseOffset: 0, leaderEpoch: 1)
            + idempotent(7, seq: 10, baseOffset: 2, leaderEpoch: 1))  // a gap the leader accepted
        try log.appendAsFollower(idempotent(9, epoch: 3, seq: 4, count: 3, baseOffset: 6, leaderEpoch: 1))
        #expect(log.producerEntry(7)?.batches.map(\.firstOffset) == [0, 2])
        #expect(log.producerEntry(7)?.lastSequence == 11)
        #expect(log.producerEntry(9)?.batches.first?.lastOffset == 8)
        #expect(log.producerStateSnapshot == (try stateFromLog(log)))
        // Became leader: a retry of the replicated batch is a duplicate.
        #expect(try log.append(idempotent(7, seq: 10)).firstOffset == 2)
    }

    // MARK: Snapshots and reopening

    @Test func stateSurvivesACleanCloseThroughASnapshotAtTheLogEnd() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 3 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        try log.append(idempotent(8, epoch: 4, seq: 0, count: 5))
        let before = log.producerStateSnapshot
        try log.close()
        #expect(snapshotFiles(dir) == [ProducerState.snapshotFileName(offset: 11)])
        let reopened = try openLog(dir, clean: true)
        #expect(reopened.producerStateSnapshot == before)
        #expect(try reopened.append(idempotent(7, seq: 2)).firstOffset == 2)
        // Nothing changed: closing again keeps the same single snapshot.
        try reopened.close()
        #expect(snapshotFiles(dir) == [ProducerState.snapshotFileName(offset: 11)])
    }

    @Test func aCleanOpenTakesTheSnapshotAtTheLogEndWithoutReplaying() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, seq: 0))
        try log.close()
        // Replace the snapshot by one naming a producer the log does not hold: only a load that
        // trusts the snapshot and replays nothing can know it.
        let fake = ProducerState(entries: [ProducerStateEntry(producerId: 99, producerEpoch: 1, batches: [
            ProducerBatchMetadata(firstSequence: 0, lastSequence: 0, firstOffset: 1, lastOffset: 1, timestamp: 5)])])
        try Data(fake.encodeSnapshot(offset: 2)).write(to: URL(fileURLWithPath: dir.file("t-0/" + ProducerState.snapshotFileName(offset: 2))))
        let reopened = try openLog(dir, clean: true)
        #expect(reopened.producerStateSnapshot == fake)
    }

    @Test func stateIsRebuiltFromTheLogAfterACrash() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 7 { try log.append(idempotent(Int64(i % 2), seq: Int32(i / 2 * 2))) }
        let before = log.producerStateSnapshot
        log.closeWithoutFlush()
        #expect(snapshotFiles(dir).isEmpty)
        let reopened = try openLog(dir)
        #expect(reopened.producerStateSnapshot == before)
        #expect(try reopened.append(idempotent(0, seq: 4)).isDuplicate)
        #expect(reopened.checkInvariants().isEmpty)
    }

    @Test func rollsWriteSnapshotsAndACrashReopenReplaysOnlyAfterTheNewest() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "400"])
        let log = try openLog(dir, config: cfg)
        var seq: [Int64: Int32] = [:]
        for i in 0 ..< 30 {
            let pid = Int64(i % 3)
            try log.append(idempotent(pid, seq: seq[pid, default: 0]))
            seq[pid, default: 0] += 2
        }
        log.awaitBackgroundFlushes()
        let bases = log.segments.map(\.baseOffset)
        #expect(bases.count >= 4)
        let files = snapshotFiles(dir)
        #expect((2 ... 3).contains(files.count), "two newest plus the newest at or below the recovery point")
        #expect(files.last == ProducerState.snapshotFileName(offset: bases.last!))
        let before = log.producerStateSnapshot
        log.closeWithoutFlush()
        // Recovery scans the active segment; the rest of the state comes from the roll snapshot.
        let reopened = try openLog(dir, config: cfg, recoveryPoint: bases.last!)
        #expect(reopened.producerStateSnapshot == before)
        reopened.closeWithoutFlush()
        // Without any recovery point every segment is scanned; same state.
        let scanned = try openLog(dir, config: cfg)
        #expect(scanned.producerStateSnapshot == before)
        #expect(scanned.producerStateSnapshot == (try stateFromLog(scanned)))
    }

    @Test func aCorruptSnapshotIsDeletedAndTheStateRebuilt() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "400"])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 12 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        let before = log.producerStateSnapshot
        try log.close()
        let newest = try #require(snapshotFiles(dir).last)
        let path = dir.file("t-0/" + newest)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reopened = try openLog(dir, config: cfg, clean: true)
        #expect(reopened.producerStateSnapshot == before)
        #expect(!snapshotFiles(dir).contains(newest))
    }

    @Test func aSnapshotAboveTheLogEndIsDeletedOnOpen() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, seq: 0))
        try log.close()
        let stale = ProducerState(entries: [ProducerStateEntry(producerId: 99, producerEpoch: 0, batches: [
            ProducerBatchMetadata(firstSequence: 0, lastSequence: 0, firstOffset: 5, lastOffset: 5, timestamp: 5)])])
        try Data(stale.encodeSnapshot(offset: 6)).write(to: URL(fileURLWithPath: dir.file("t-0/" + ProducerState.snapshotFileName(offset: 6))))
        let reopened = try openLog(dir, clean: true)
        #expect(reopened.producerEntry(99) == nil)
        #expect(!snapshotFiles(dir).contains(ProducerState.snapshotFileName(offset: 6)))
        for i in 1 ..< 5 { try reopened.append(idempotent(7, seq: Int32(i * 2))) }
        reopened.closeWithoutFlush()
        #expect(try openLog(dir).producerEntry(99) == nil)
    }

    // MARK: Power loss

    @Test func afterAPowerLossTheStateMatchesTheSurvivingLog() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 3 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        try log.flush()
        for i in 3 ..< 6 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        try log.append(idempotent(8, seq: 0))
        #expect(try log.simulatePowerLoss() == 6)
        let reopened = try openLog(dir, recoveryPoint: 6)
        #expect(reopened.producerEntry(7)?.lastSequence == 5)
        #expect(reopened.producerEntry(8) == nil)
        #expect(reopened.checkInvariants().isEmpty)
        // The lost batch's retry is new data; a surviving one's is a duplicate.
        let retried = try reopened.append(idempotent(7, seq: 6))
        #expect(!retried.isDuplicate && retried.firstOffset == 6)
        #expect(try reopened.append(idempotent(7, seq: 4)).firstOffset == 4)
    }

    @Test func rollSnapshotsAboveThePowerCutAreDiscarded() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "400"])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 4 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        try log.flush()
        let flushed = log.logEndOffset
        log.awaitBackgroundFlushes()
        for i in 4 ..< 20 { try log.append(idempotent(7, seq: Int32(i * 2))) }
        log.closeWithoutFlush()
        // Pin the recovery point to `flushed`, as in PowerLossTests, then cut the power.
        let crashed = try openLog(dir, config: cfg, recoveryPoint: flushed)
        #expect(crashed.segmentCount > 2)
        let snapshotsAbove = snapshotFiles(dir).compactMap(ProducerState.snapshotOffset(fileName:)).filter { $0 > flushed }
        #expect(!snapshotsAbove.isEmpty)
        #expect(try crashed.simulatePowerLoss() == flushed)
        let reopened = try openLog(dir, config: cfg, recoveryPoint: flushed)
        #expect(reopened.logEndOffset == flushed)
        #expect(reopened.producerEntry(7)?.lastSequence == Int32(flushed) - 1)
        #expect(snapshotFiles(dir).compactMap(ProducerState.snapshotOffset(fileName:)).allSatisfy { $0 <= flushed })
        #expect(reopened.checkInvariants().isEmpty)
    }

    // MARK: Truncation and retention

    @Test func truncationReloadsTheStateIncludingAPreviousEpoch() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "400"])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 8 { try log.append(idempotent(7, epoch: 0, seq: Int32(i * 2))) }
        let cut = log.logEndOffset
        let epochZero = log.producerEntry(7)
        for i in 0 ..< 8 { try log.append(idempotent(7, epoch: 1, seq: Int32(i * 2))) }
        log.awaitBackgroundFlushes()
        #expect(snapshotFiles(dir).compactMap(ProducerState.snapshotOffset(fileName:)).contains { $0 > cut })
        try log.truncate(to: cut)
        #expect(log.logEndOffset == cut)
        #expect(log.producerEntry(7) == epochZero, "the epoch-0 batches come back from snapshot + log")
        #expect(snapshotFiles(dir).compactMap(ProducerState.snapshotOffset(fileName:)).allSatisfy { $0 <= cut })
        #expect(try log.append(idempotent(7, epoch: 0, seq: 14)).isDuplicate)
        #expect(log.checkInvariants().isEmpty)
        // Appending on past the deleted snapshots' offsets and reopening must not revive them.
        for i in 8 ..< 16 { try log.append(idempotent(7, epoch: 0, seq: Int32(i * 2))) }
        let before = log.producerStateSnapshot
        log.closeWithoutFlush()
        #expect(try openLog(dir, config: cfg).producerStateSnapshot == before)
    }

    @Test func truncateFullyForgetsEveryProducer() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, seq: 0))
        try log.roll()
        try log.append(idempotent(7, seq: 2))
        log.awaitBackgroundFlushes()
        #expect(!snapshotFiles(dir).isEmpty)
        try log.truncateFully(startingAt: 50)
        #expect(log.producerStateSnapshot == ProducerState())
        #expect(snapshotFiles(dir).isEmpty)
        #expect(try log.append(idempotent(7, seq: 0)).firstOffset == 50)
    }

    @Test func deleteRecordsAndRetentionForgetProducersWhollyBelowTheLogStart() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 10_000)
        let log = try openLog(dir, clock: clock)
        try log.append(idempotent(1, seq: 0))        // 0-1
        try log.append(idempotent(2, seq: 0))        // 2-3
        try log.roll()
        try log.append(idempotent(2, seq: 2))        // 4-5
        try log.append(idempotent(3, seq: 0))        // 6-7
        try log.roll()
        try log.append(makeBatch(first: 0, count: 1)) // 8
        log.awaitBackgroundFlushes()
        log.maybeIncrementHighWatermark(9)
        try log.deleteRecords(before: 2)
        #expect(log.producerEntry(1) == nil)
        #expect(log.producerEntry(2)?.batches.count == 2, "a producer with a batch above keeps its older ones")
        try log.deleteRecords(before: 6)
        #expect(log.producerEntry(2) == nil && log.producerEntry(3) != nil)
        #expect(log.segments.first?.baseOffset == 4)
        #expect(snapshotFiles(dir).compactMap(ProducerState.snapshotOffset(fileName:)).allSatisfy { $0 >= 6 })
        log.updateConfig(config(["retention.ms": "1000"]))
        clock.advance(ms: 100_000)
        #expect(try log.enforceRetention() == 1)
        #expect(log.producerStateSnapshot == ProducerState())
        #expect(log.checkInvariants().isEmpty)
        log.closeWithoutFlush()
        #expect(try openLog(dir, clock: clock, logStart: 8).producerStateSnapshot == ProducerState())
    }

    // MARK: Expiration and cleaning

    @Test func producersExpireAfterProducerIdExpirationMs() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 10_000)
        let lm = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        #expect(lm.producerIdExpirationMs == 86_400_000)
        lm.producerIdExpirationMs = 5_000
        let log = try lm.getOrCreateLog(TopicPartition("t", 0), config: LogConfig())
        try log.append(idempotent(7, seq: 0, timestamp: 10_000))
        try log.append(idempotent(8, seq: 0, timestamp: 12_000))
        clock.set(ms: 14_999)
        try lm.runMaintenance()
        #expect(log.producerEntry(7) != nil)
        clock.set(ms: 15_001)  // producer 7's newest batch (10_001) is 5_000 ms old
        try lm.runMaintenance()
        #expect(log.producerEntry(7) == nil && log.producerEntry(8) != nil)
        // Its retry is then accepted as new data, as in Kafka.
        #expect(!(try log.append(idempotent(7, seq: 0))).isDuplicate)
        #expect(log.removeExpiredProducers(nowMs: 20_000, producerIdExpirationMs: 1) == [7, 8])
        try lm.shutdown()
    }

    @Test func activeProducersForCleaningNameEachLastBatch() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(idempotent(7, epoch: 2, seq: 0))
        try log.append(idempotent(8, seq: 0, count: 3))
        try log.append(idempotent(7, epoch: 2, seq: 2))
        #expect(log.activeProducersForCleaning() == [
            7: ProducerLastRecord(lastDataOffset: 6, producerEpoch: 2),
            8: ProducerLastRecord(lastDataOffset: 4, producerEpoch: 0),
        ])
    }

    // MARK: Model check

    /// Seeded random appends (new batches, retries, gaps, epoch bumps, follower-style batches),
    /// rolls, truncations, clean closes, crashes and power cuts. The live state always equals
    /// the state replayed from the whole log, before and after every reopen.
    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func stateAlwaysMatchesTheLog(seed: UInt64) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        var rng = SplitMix64(seed: seed)
        let cfg = config(["segment.bytes": "600", "index.interval.bytes": "100"])
        var log = try openLog(dir, config: cfg)
        var next: [Int64: (epoch: Int16, seq: Int32)] = [:]
        var sent: [Int64: [(epoch: Int16, seq: Int32, count: Int)]] = [:]
        for step in 0 ..< 150 {
            let pid = Int64.random(in: 0 ..< 3, using: &rng)
            switch Int.random(in: 0 ..< 20, using: &rng) {
            case 0 ..< 11:
                var (epoch, seq) = next[pid] ?? (0, 0)
                if Int.random(in: 0 ..< 12, using: &rng) == 0 { epoch += 1; seq = 0 }
                let count = Int.random(in: 1 ... 3, using: &rng)
                do {
                    try log.append(idempotent(pid, epoch: epoch, seq: seq, count: count))
                    next[pid] = (epoch, seq + Int32(count))
                    sent[pid, default: []].append((epoch, seq, count))
                } catch StorageError.producer {
                    // A new epoch after a truncation or expiry may be fenced: fine, nothing written.
                }
            case 11 ..< 13:
                if let old = sent[pid]?.randomElement(using: &rng) {
                    _ = try? log.append(idempotent(pid, epoch: old.epoch, seq: old.seq, count: old.count))
                }
            case 13:
                try log.append(makeBatch(first: step, count: 2))
            case 14:
                let end = log.logEndOffset
                if end > 0 { try log.truncate(to: Int64.random(in: 0 ..< end, using: &rng)) }
                next = [:]
            case 15:
                log.awaitBackgroundFlushes()
                try log.close()
                log = try openLog(dir, config: cfg, clean: true)
            case 16:
                log.closeWithoutFlush()
                log = try openLog(dir, config: cfg)
            case 17:
                let rp = log.recoveryPoint
                try log.simulatePowerLoss()
                log = try openLog(dir, config: cfg, recoveryPoint: rp)
                next = [:]
            default:
                try log.roll()
            }
            let live = log.producerStateSnapshot
            let replayed = try stateFromLog(log)
            #expect(live == replayed, "seed \(seed), step \(step)")
            #expect(log.checkInvariants().isEmpty, "seed \(seed), step \(step): \(log.checkInvariants())")
            #expect(snapshotFiles(dir).count <= 3, "seed \(seed), step \(step): \(snapshotFiles(dir))")
            if live != replayed { return }
        }
        try log.close()
    }
}

/// Records what a component logs, for tests.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let entries = Mutex<[(Logger.Level, String)]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        entries.withLock { $0.append((event.level, event.message.description)) }
    }

    var logged: [(Logger.Level, String)] { entries.withLock { $0 } }
    var logger: Logger { Logger(label: "test") { _ in self } }
}

@Suite struct ProducerSnapshotOfADeletedLogTests {
    /// A log deleted (its directory removed) while the flusher has its snapshot to write: the
    /// write fails, and that is no error worth reporting.
    @Test func aSnapshotLeftForADeletedLogIsNotReportedAsAnError() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let captured = CapturedLog()
        let log = try PartitionLog(directory: dir.file("t-0"), topicPartition: TopicPartition("t", 0),
                                   config: config(["segment.bytes": "200"]), clock: ManualClock(nowMs: 10_000), logger: captured.logger)
        let hold = DispatchSemaphore(value: 0)
        log.flusher.async { hold.wait() }
        // Rolls: each schedules a producer-state snapshot behind the held flusher.
        for i in 0 ..< 4 { try log.append(makeBatch(first: i * 3, count: 3, valueSize: 30)) }
        #expect(log.segmentCount > 1)
        try FileManager.default.removeItem(atPath: dir.file("t-0"))
        hold.signal()
        log.flusher.sync {}
        let attempts = captured.logged.filter { $0.1.contains("producer state snapshot") }
        #expect(!attempts.isEmpty, "no snapshot was attempted")
        #expect(attempts.allSatisfy { $0.0 == .debug }, "\(attempts)")
    }
}
