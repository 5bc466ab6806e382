import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// A transactional batch of `count` records ("p<pid>s<seq>") from producer `pid`.
private func transactional(_ pid: Int64, epoch: Int16 = 0, seq: Int32, count: Int = 1, baseOffset: Int64 = 0,
                           leaderEpoch: Int32 = -1) -> [UInt8] {
    var b = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch,
                               attributes: RecordBatchAttributes(isTransactional: true), producerId: pid,
                               producerEpoch: epoch, baseSequence: seq)
    for i in 0 ..< count { b.append(timestamp: 1_000, key: Array("k".utf8), value: Array("p\(pid)s\(Int(seq) + i)".utf8)) }
    return b.build().bytes
}

/// The log's aborted-transaction index entries, segment by segment.
private func txnIndexEntries(_ log: PartitionLog) -> [AbortedTxnEntry] {
    log.reading { log.segmentList.flatMap(\.txnIndex.entries) }
}

@Suite struct TransactionLogTests {
    @Test func theLastStableOffsetWaitsForTheOpenTransactionAndItsMarker() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 2))                        // 0-1
        try log.append(transactional(7, seq: 0, count: 2))                   // 2-3
        try log.append(makeBatch(first: 2, count: 1))                        // 4
        log.maybeIncrementHighWatermark(5)
        #expect(log.highWatermark == 5 && log.lastStableOffset == 2, "the open transaction at 2 holds it back")
        let info = try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: true)
        #expect(info.firstOffset == 5)
        #expect(log.lastStableOffset == 2, "the marker is not below the high watermark yet")
        log.maybeIncrementHighWatermark(6)
        #expect(log.lastStableOffset == 6)
        #expect(log.abortedTransactions(from: 0, upTo: 6).isEmpty)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func anAbortIsListedForReadCommittedFetches() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(transactional(7, seq: 0, count: 2))                   // 0-1
        try log.append(transactional(8, seq: 0))                             // 2
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false)   // 3
        try log.append(transactional(7, seq: 2))                             // 4
        try log.appendMarker(producerId: 8, producerEpoch: 0, coordinatorEpoch: 0, committed: true)    // 5
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false)   // 6
        log.maybeIncrementHighWatermark(7)
        #expect(log.lastStableOffset == 7)
        #expect(txnIndexEntries(log) == [
            AbortedTxnEntry(producerId: 7, firstOffset: 0, lastOffset: 3, lastStableOffset: 2),
            AbortedTxnEntry(producerId: 7, firstOffset: 4, lastOffset: 6, lastStableOffset: 7),
        ])
        #expect(log.abortedTransactions(from: 0, upTo: 7) == [.init(producerId: 7, firstOffset: 0), .init(producerId: 7, firstOffset: 4)])
        #expect(log.abortedTransactions(from: 4, upTo: 7) == [.init(producerId: 7, firstOffset: 4)])
        #expect(log.abortedTransactions(from: 0, upTo: 2) == [.init(producerId: 7, firstOffset: 0)])
        #expect(log.abortedTransactions(from: 7, upTo: 7).isEmpty)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func clientsCannotWriteControlBatchesOrTransactionalOnesWithoutAProducer() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        let control = EndTransactionMarker(committed: true, coordinatorEpoch: 0).batch(timestamp: 1_000, producerId: 7, producerEpoch: 0)
        #expect(storageError { try log.append(control.bytes) }?.errorCode == .invalidRecord)
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true))
        b.append(timestamp: 1_000, key: nil, value: Array("x".utf8))
        #expect(storageError { try log.append(b.build().bytes) }?.errorCode == .invalidRecord)
        #expect(log.logEndOffset == 0)
    }

    /// A coordinator's transactional batch (TxnOffsetCommit records) carries no sequence: with
    /// the coordinator's origin only its epoch is checked, as Kafka checks sequences for clients
    /// only; from a client the same batch is refused.
    @Test func aCoordinatorsTransactionalBatchNeedsNoSequence() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        #expect(throws: StorageError.self) { try log.append(transactional(7, epoch: 1, seq: -1)) }
        try log.append(transactional(7, epoch: 1, seq: -1), origin: .coordinator)                    // 0
        try log.append(transactional(7, epoch: 1, seq: -1), origin: .coordinator)                    // 1
        #expect(log.openTransactions.map(\.firstOffset) == [0])
        do {
            try log.append(transactional(7, epoch: 0, seq: -1), origin: .coordinator)
            Issue.record("an older epoch was accepted")
        } catch let StorageError.producer(e) {
            #expect(e.errorCode == .invalidProducerEpoch)
        }
        try log.appendMarker(producerId: 7, producerEpoch: 1, coordinatorEpoch: 0, committed: true)  // 2
        log.maybeIncrementHighWatermark(3)
        #expect(log.lastStableOffset == 3 && log.openTransactions.isEmpty)
    }

    @Test func aMarkerFromAFencedProducerOrCoordinatorIsRefused() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(transactional(7, epoch: 3, seq: 0))
        try log.appendMarker(producerId: 7, producerEpoch: 3, coordinatorEpoch: 2, committed: true)
        #expect(storageError { try log.appendMarker(producerId: 7, producerEpoch: 2, coordinatorEpoch: 2, committed: false) }?.errorCode
            == .invalidProducerEpoch)
        #expect(storageError { try log.appendMarker(producerId: 7, producerEpoch: 3, coordinatorEpoch: 1, committed: false) }?.errorCode
            == .transactionCoordinatorFenced)
        #expect(log.logEndOffset == 2)
        // A zombie of the fenced epoch cannot write once an abort bumped the epoch.
        try log.appendMarker(producerId: 7, producerEpoch: 4, coordinatorEpoch: 2, committed: false)
        #expect(storageError { try log.append(transactional(7, epoch: 3, seq: 1)) }?.errorCode == .invalidProducerEpoch)
    }

    @Test func reopeningKeepsOpenTransactionsTheIndexAndTheLastStableOffset() throws {
        for clean in [true, false] {
            let dir = TempDir(); defer { dir.cleanup() }
            var log = try openLog(dir, config: config(["segment.bytes": "300"]))
            for i in 0 ..< 6 {
                try log.append(transactional(7, seq: Int32(i * 2), count: 2))
                try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: i % 2 == 0)
            }
            try log.append(transactional(9, seq: 0))       // left open
            let openAt = log.logEndOffset - 1
            log.maybeIncrementHighWatermark(log.logEndOffset)
            let entries = txnIndexEntries(log)
            #expect(entries.count == 3)
            #expect(log.reading { log.segmentList.count } > 2, "the markers span segments")
            let hw = log.highWatermark
            if clean { try log.close() } else { log.closeWithoutFlush() }
            log = try openLog(dir, config: config(["segment.bytes": "300"]), recoveryPoint: 0, clean: clean)
            log.maybeIncrementHighWatermark(hw)
            #expect(txnIndexEntries(log) == entries, clean ? "loaded from the .txnindex files" : "rebuilt from the markers")
            #expect(log.lastStableOffset == openAt)
            #expect(log.openTransactions.map(\.producerId) == [9])
            #expect(log.abortedTransactions(from: 0, upTo: openAt).map(\.firstOffset) == entries.map(\.firstOffset))
            #expect(log.checkInvariants().isEmpty)
            try log.close()
        }
    }

    @Test func theTxnIndexFileExistsOnlyForSegmentsWithAborts() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(transactional(7, seq: 0))
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: true)
        try log.flush()
        #expect(segmentFiles(dir, suffix: "txnindex").isEmpty)
        try log.append(transactional(7, seq: 1))
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false)
        try log.flush()
        let files = segmentFiles(dir, suffix: "txnindex")
        #expect(files == ["00000000000000000000.txnindex"])
        let size = (try FileManager.default.attributesOfItem(atPath: dir.file("t-0/" + files[0]))[.size] as? Int) ?? -1
        #expect(size == AbortedTxnEntry.size)
        try log.close()
    }

    @Test func truncatingAMarkerReopensItsTransaction() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(transactional(7, seq: 0, count: 2))                   // 0-1
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false)   // 2
        #expect(txnIndexEntries(log).count == 1 && log.openTransactions.isEmpty)
        try log.truncate(to: 2)
        #expect(txnIndexEntries(log).isEmpty)
        #expect(log.openTransactions.map(\.firstOffset) == [0], "without its marker the transaction is open again")
        log.maybeIncrementHighWatermark(2)
        #expect(log.lastStableOffset == 0)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func aFollowerCopiesMarkersAndEndsTransactionsAsTheLeaderDid() throws {
        let leaderDir = TempDir(), followerDir = TempDir()
        defer { leaderDir.cleanup(); followerDir.cleanup() }
        let leader = try openLog(leaderDir), follower = try openLog(followerDir)
        try leader.append(transactional(7, seq: 0, count: 2), leaderEpoch: 1)
        try leader.append(transactional(8, seq: 0), leaderEpoch: 1)
        try leader.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false, leaderEpoch: 1)
        try leader.append(makeBatch(first: 0, count: 1), leaderEpoch: 1)
        let read = try leader.read(from: 0, maxBytes: 1 << 20)
        try follower.appendAsFollower(read.bytes)
        #expect(txnIndexEntries(follower) == txnIndexEntries(leader))
        #expect(follower.openTransactions.map(\.producerId) == [8])
        follower.maybeIncrementHighWatermark(5)
        #expect(follower.lastStableOffset == 2)
        #expect(follower.checkInvariants().isEmpty)
    }

    @Test func compactionKeepsMarkersAndTheIndex() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 1_000_000)
        let lm = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        let log = try lm.getOrCreateLog(TopicPartition("t", 0), config: config([
            "cleanup.policy": "compact", "segment.bytes": "300", "min.cleanable.dirty.ratio": "0.01",
        ]))
        try log.append(transactional(7, seq: 0))
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false)
        for round in 0 ..< 4 {
            for k in 0 ..< 3 {
                var b = RecordBatchBuilder()
                b.append(timestamp: clock.nowMs(), key: Array("a\(k)".utf8), value: Array("v\(round)".utf8))
                try log.append(b.build().bytes)
            }
        }
        try log.roll()
        log.maybeIncrementHighWatermark(log.logEndOffset)
        let before = txnIndexEntries(log)
        #expect(before.count == 1)
        let sizeBefore = log.sizeInBytes
        #expect(lm.cleaner.cleanOnce())
        #expect(log.sizeInBytes < sizeBefore, "the cleaner did compact")
        #expect(txnIndexEntries(log) == before)
        #expect(log.abortedTransactions(from: 0, upTo: log.logEndOffset) == [.init(producerId: 7, firstOffset: 0)])
        #expect(log.checkInvariants().isEmpty)
        try lm.shutdown()
    }
}

/// Random histories of transactional and plain writes, commits and aborts, with flushes,
/// truncations, clean closes and power losses: after every reopen (with the high watermark a
/// broker would have checkpointed) and truncation the producer state equals a replay of the
/// surviving log from its start, the transaction indexes list exactly the aborts a model of
/// the surviving writes predicts (kept by the test, independently of `ProducerState`), and the
/// log's invariants hold.
@Suite struct TransactionRecoveryTests {
    /// What a replay of the whole log gives: the state and the aborted transactions by segment.
    private func replayed(_ log: PartitionLog) throws -> (ProducerState, [Int64: [AbortedTxnEntry]]) {
        try log.reading {
            var state = ProducerState()
            var entries: [Int64: [AbortedTxnEntry]] = [:]
            try log.replayProducerBatchesLocked(into: &state, from: Int64.min) { completed, lso, seg in
                guard completed.aborted else { return }
                entries[seg.baseOffset, default: []].append(AbortedTxnEntry(producerId: completed.producerId, firstOffset: completed.firstOffset,
                                                                            lastOffset: completed.lastOffset, lastStableOffset: lso))
            }
            state.truncateHead(logStartOffset: log._logStartOffset)
            return (state, entries)
        }
    }

    private func indexes(_ log: PartitionLog) -> [Int64: [AbortedTxnEntry]] {
        log.reading { Dictionary(uniqueKeysWithValues: log.segmentList.filter { !$0.txnIndex.entries.isEmpty }.map { ($0.baseOffset, $0.txnIndex.entries) }) }
    }

    static func difference(_ a: [Int64: [AbortedTxnEntry]], _ b: [Int64: [AbortedTxnEntry]]) -> String {
        let x = Set(a.flatMap { k, v in v.map { "\(k):\($0.producerId)/\($0.firstOffset)-\($0.lastOffset)/\($0.lastStableOffset)" } })
        let y = Set(b.flatMap { k, v in v.map { "\(k):\($0.producerId)/\($0.firstOffset)-\($0.lastOffset)/\($0.lastStableOffset)" } })
        return "indexed only \(x.subtracting(y).sorted()), replayed only \(y.subtracting(x).sorted())"
    }

    @Test(arguments: 0 ..< 40) func reopeningRebuildsExactlyWhatTheLogHolds(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "400"])
        var log = try openLog(dir, config: cfg)
        var sequences: [Int64: Int32] = [:]
        var epochs: [Int64: Int16] = [:]
        /// What was written, in offset order: transactional data (first offset) or a marker.
        enum Write { case data(pid: Int64, offset: Int64), marker(pid: Int64, offset: Int64, commit: Bool) }
        var history: [Write] = []
        /// The aborts the surviving writes below `end` imply (Kafka's rules, computed here).
        func expectedAborts(below end: Int64) -> [AbortedTxnEntry] {
            var open: [Int64: Int64] = [:]
            var out: [AbortedTxnEntry] = []
            for w in history {
                switch w {
                case let .data(pid, offset) where offset < end:
                    if open[pid] == nil { open[pid] = offset }
                case let .marker(pid, offset, commit) where offset < end:
                    let first = open.removeValue(forKey: pid) ?? offset
                    if !commit { out.append(AbortedTxnEntry(producerId: pid, firstOffset: first, lastOffset: offset,
                                                           lastStableOffset: open.values.min() ?? offset + 1)) }
                default: break
                }
            }
            return out
        }
        /// After a reopen or truncation: the writers resume from what survived, and the log's
        /// state equals a replay of it.
        func resumeAndCompare(_ step: Int) throws {
            // Writes past the surviving end are gone (and their offsets will be reused).
            let end = log.logEndOffset
            history.removeAll { w in
                switch w { case let .data(_, o), let .marker(_, o, _): o >= end }
            }
            for (p, e) in log.producerStateSnapshot.producers {
                sequences[p] = e.batches.isEmpty ? 0 : ProducerState.nextSequence(after: e.lastSequence)
                epochs[p] = e.producerEpoch
            }
            for p in sequences.keys where log.producerEntry(p) == nil { sequences[p] = nil; epochs[p] = nil }
            let (state, entries) = try replayed(log)
            #expect(log.producerStateSnapshot == state, "seed \(seed) step \(step)")
            #expect(indexes(log) == entries, "seed \(seed) step \(step): \(Self.difference(indexes(log), entries))")
            let listed = indexes(log).values.flatMap { $0 }.sorted { $0.lastOffset < $1.lastOffset }
            #expect(listed == expectedAborts(below: log.logEndOffset), "seed \(seed) step \(step): the model disagrees")
        }
        for step in 0 ..< 120 {
            let pid = Int64.random(in: 1 ... 3, using: &rng)
            let action = Int.random(in: 0 ..< 20, using: &rng)
            switch action {
            case 0 ..< 8:
                let seq = sequences[pid] ?? 0
                let count = Int.random(in: 1 ... 3, using: &rng)
                let info = try log.append(transactional(pid, epoch: epochs[pid] ?? 0, seq: seq, count: count))
                history.append(.data(pid: pid, offset: info.firstOffset))
                sequences[pid] = seq + Int32(count)
            case 8 ..< 11:
                try log.append(makeBatch(first: step, count: 1))
            case 11 ..< 15:
                let commit = Bool.random(using: &rng)
                let info = try log.appendMarker(producerId: pid, producerEpoch: epochs[pid] ?? 0, coordinatorEpoch: 0, committed: commit)
                history.append(.marker(pid: pid, offset: info.firstOffset, commit: commit))
            case 15:
                // A fencing abort: the producer's epoch moves on, its sequences restart.
                let epoch = (epochs[pid] ?? 0) + 1
                let info = try log.appendMarker(producerId: pid, producerEpoch: epoch, coordinatorEpoch: 0, committed: false)
                history.append(.marker(pid: pid, offset: info.firstOffset, commit: false))
                epochs[pid] = epoch
                sequences[pid] = 0
            case 16:
                try log.flush()
            case 17:
                log.maybeIncrementHighWatermark(Int64.random(in: log.highWatermark ... log.logEndOffset, using: &rng))
            case 18:
                // Reopen: cleanly, or after a power loss.
                let hw = log.highWatermark
                let clean = Bool.random(using: &rng)
                let rp = log.recoveryPoint
                if clean { try log.close() } else { try log.simulatePowerLoss() }
                log = try openLog(dir, config: cfg, recoveryPoint: clean ? log.logEndOffset : rp, clean: clean, highWatermark: hw)
                try resumeAndCompare(step)
            default:
                // A follower's truncation to a random offset at or above the high watermark.
                let to = Int64.random(in: log.highWatermark ... log.logEndOffset, using: &rng)
                try log.truncate(to: to)
                try resumeAndCompare(step)
            }
            #expect(log.checkInvariants().isEmpty, "seed \(seed) step \(step): \(log.checkInvariants())")
        }
        try log.close()
    }
}

/// Compaction and transactions: an aborted value never takes a key's committed value away.
@Suite struct TransactionCompactionTests {
    @Test func anAbortedValueDoesNotShadowTheCommittedOne() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 1_000_000)
        let lm = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        let log = try lm.getOrCreateLog(TopicPartition("t", 0), config: config([
            "cleanup.policy": "compact", "segment.bytes": "200", "min.cleanable.dirty.ratio": "0.01",
        ]))
        func plain(_ key: String, _ value: String) -> [UInt8] {
            var b = RecordBatchBuilder()
            b.append(timestamp: clock.nowMs(), key: Array(key.utf8), value: Array(value.utf8))
            return b.build().bytes
        }
        try log.append(plain("K", "committed"))                          // 0
        var t = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: 7, producerEpoch: 0, baseSequence: 0)
        t.append(timestamp: clock.nowMs(), key: Array("K".utf8), value: Array("aborted".utf8))
        try log.append(t.build().bytes)                                   // 1
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: false)   // 2
        for i in 0 ..< 6 { try log.append(plain("other-\(i)", "v")) }
        try log.roll()
        log.maybeIncrementHighWatermark(log.logEndOffset)
        _ = lm.cleaner.cleanOnce()
        let values = try readAll(log).filter { $0.key == Array("K".utf8) }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        #expect(values.first == "committed", "the committed value survives: \(values)")
        // An open transaction holds the cleaner at the last stable offset.
        #expect(log.checkInvariants().isEmpty)
        try lm.shutdown()
    }
}
