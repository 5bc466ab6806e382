@testable import EddyRaft
import Testing

@Suite struct RaftLogStateTests {
    /// Epoch 1 at 0..<2, epoch 3 at 2..<5, epoch 4 at 5..<6.
    static let log = RaftLogState(batches: [
        RaftBatch(baseOffset: 0, epoch: 1, records: [[0], [1]]),
        RaftBatch(baseOffset: 2, epoch: 3, records: [[2], [3]]),
        RaftBatch(baseOffset: 4, epoch: 3, records: [[4]]),
        RaftBatch(baseOffset: 5, epoch: 4, records: [[5]]),
    ], snapshot: nil)

    @Test func theEpochCacheHasOneEntryPerEpoch() {
        #expect(Self.log.epochs.map(\.epoch) == [1, 3, 4] && Self.log.epochs.map(\.startOffset) == [0, 2, 5])
        #expect(Self.log.end == OffsetAndEpoch(offset: 6, epoch: 4))
        #expect((0 ..< 7).map { Self.log.epoch(at: $0) } == [1, 1, 3, 3, 3, 4, nil])
    }

    /// Every epoch from 0 to 5: the end of the largest epoch at or below it.
    @Test func endOffsetForEveryEpoch() {
        let expected: [Int32: OffsetAndEpoch] = [
            0: .init(offset: 0, epoch: 0), 1: .init(offset: 2, epoch: 1), 2: .init(offset: 2, epoch: 1),
            3: .init(offset: 5, epoch: 3), 4: .init(offset: 6, epoch: 4), 5: .init(offset: 6, epoch: 4),
        ]
        for epoch: Int32 in 0 ... 5 { #expect(Self.log.endOffset(forEpoch: epoch) == expected[epoch], "epoch \(epoch)") }
    }

    /// Every fetch offset from 0 to 7 with every last epoch from 0 to 5, against expectations
    /// written out by hand: valid where the replica's log can match this one (its last epoch is
    /// one of ours and it ends within that epoch's range), else where to truncate to.
    @Test func validateEveryFetchPosition() {
        let valid: [Int32: ClosedRange<Int64>] = [0: 0 ... 0, 1: 0 ... 2, 3: 0 ... 5, 4: 0 ... 6]
        let truncateTo: [Int32: OffsetAndEpoch] = [
            0: .init(offset: 0, epoch: 0), 1: .init(offset: 2, epoch: 1), 2: .init(offset: 2, epoch: 1),
            3: .init(offset: 5, epoch: 3), 4: .init(offset: 6, epoch: 4), 5: .init(offset: 6, epoch: 4),
        ]
        for epoch: Int32 in 0 ... 5 {
            for offset: Int64 in 0 ... 7 {
                let expected: RaftLogState.FetchValidation = valid[epoch]?.contains(offset) == true ? .valid : .diverging(truncateTo[epoch]!)
                #expect(Self.log.validate(fetchOffset: offset, lastFetchedEpoch: epoch) == expected, "\(offset)@\(epoch)")
            }
        }
    }

    @Test func truncationDropsWholeEpochsAndKeepsTheRest() {
        var log = Self.log
        log.truncate(to: 3)
        #expect(log.end == OffsetAndEpoch(offset: 3, epoch: 3) && log.epochs.count == 2)
        log.truncate(to: 2)
        #expect(log.end == OffsetAndEpoch(offset: 2, epoch: 1) && log.epochs.count == 1)
        log.checkInvariants()
    }

    @Test func aDeletedPrefixMovesTheStartAndItsEpoch() {
        var log = Self.log
        log.snapshotTaken(OffsetAndEpoch(offset: 3, epoch: 3), deletePrefix: true)
        #expect(log.startOffset == 3 && log.startEpoch == 3 && log.epochs.map(\.startOffset) == [3, 5])
        log.checkInvariants()
        #expect(log.validate(fetchOffset: 1, lastFetchedEpoch: 1) == .snapshot(OffsetAndEpoch(offset: 3, epoch: 3)))
        #expect(log.validate(fetchOffset: 3, lastFetchedEpoch: 3) == .valid)
        #expect(log.validate(fetchOffset: 3, lastFetchedEpoch: 2) == .snapshot(OffsetAndEpoch(offset: 3, epoch: 3)))
    }

    /// Found by the simulation (seed 287): a replica whose last epoch is older than the log
    /// start's, ahead of the start, was told to truncate to the start with the start's epoch,
    /// which it does not have: it truncated nothing and asked again forever. It needs the snapshot.
    @Test func aReplicaInAnEpochOlderThanTheLogStartGetsTheSnapshot() {
        var log = RaftLogState(batches: [RaftBatch(baseOffset: 0, epoch: 2, records: [[0]]), RaftBatch(baseOffset: 1, epoch: 3, records: [[1], [2], [3]]),
                                         RaftBatch(baseOffset: 4, epoch: 9, records: [[4]])], snapshot: nil)
        log.snapshotTaken(OffsetAndEpoch(offset: 2, epoch: 3), deletePrefix: true)
        #expect(log.validate(fetchOffset: 5, lastFetchedEpoch: 2) == .snapshot(OffsetAndEpoch(offset: 2, epoch: 3)))
    }
}
