import EddyProtocol
import EddyStorage
import Testing
@testable import EddyBroker

@Suite struct ReplicationFollowerFetchTests {
    typealias PartitionData = FetchResponse.PartitionData
    typealias EpochEndOffset = FetchResponse.EpochEndOffset

    /// A replica's log reduced to the leader epoch of each offset, with its epoch cache.
    struct EpochLog {
        var epochs: [Int32]
        /// An epoch the replica started leading without writing to it yet.
        var currentEpoch: Int32?

        var logEndOffset: Int64 { Int64(epochs.count) }
        var lastEpoch: Int32 { epochs.last ?? -1 }

        var cache: LeaderEpochCache {
            var c = LeaderEpochCache()
            for (offset, epoch) in epochs.enumerated() { c.assign(epoch: epoch, startOffset: Int64(offset)) }
            if let currentEpoch { c.assign(epoch: currentEpoch, startOffset: logEndOffset) }
            return c
        }

        func endOffset(forEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64) {
            cache.endOffset(for: epoch, logEndOffset: logEndOffset)
        }
    }

    func decide(_ response: PartitionData, _ follower: EpochLog, requestFetchOffset: Int64? = nil) -> FollowerFetch.Action {
        FollowerFetch.decide(response, requestFetchOffset: requestFetchOffset ?? follower.logEndOffset,
                             logEndOffset: follower.logEndOffset, endOffsetForEpoch: follower.endOffset(forEpoch:))
    }

    // MARK: Follower decisions

    @Test func recordsAreAppendedWithTheLeadersWatermarks() {
        let follower = EpochLog(epochs: [0, 0, 1])
        let data = PartitionData(partitionIndex: 0, highWatermark: 2, logStartOffset: 1, records: [1, 2, 3])
        #expect(decide(data, follower) == .append(records: [1, 2, 3], highWatermark: 2, logStartOffset: 1))
        #expect(decide(PartitionData(partitionIndex: 0, highWatermark: 3), follower)
            == .append(records: [], highWatermark: 3, logStartOffset: -1))
        // An answer to a fetch from an older position is dropped.
        #expect(decide(data, follower, requestFetchOffset: 2) == .ignore)
        #expect(FollowerFetch.followerHighWatermark(leaderHighWatermark: 9, logEndOffset: 5) == 5)
        #expect(FollowerFetch.followerHighWatermark(leaderHighWatermark: 4, logEndOffset: 5) == 4)
    }

    @Test func divergingEpochTruncatesLikeKafka() {
        // Follower: epoch 1 at 0-2, epoch 3 at 3-5, epoch 4 at 6-7 (log end 8).
        let follower = EpochLog(epochs: [1, 1, 1, 3, 3, 3, 4, 4])
        func diverging(_ epoch: Int32, _ end: Int64) -> PartitionData {
            PartitionData(partitionIndex: 0, divergingEpoch: EpochEndOffset(epoch: epoch, endOffset: end))
        }
        // The follower knows the epoch: the lower of both ends.
        #expect(decide(diverging(3, 4), follower) == .truncate(to: 4))
        #expect(decide(diverging(3, 7), follower) == .truncate(to: 6))
        #expect(decide(diverging(4, 20), follower) == .truncate(to: 8))
        // The follower's largest epoch ≤ 2 is 1: truncate to where its epoch 1 ends and ask again.
        #expect(decide(diverging(2, 5), follower) == .truncate(to: 3))
        // Below every epoch the follower knows: Kafka answers its first epoch's start; the
        // leader's end offset bounds it.
        #expect(decide(diverging(0, 2), follower) == .truncate(to: 0))
        #expect(decide(diverging(-1, 5), follower) == .truncate(to: 5))
        #expect(decide(diverging(3, -1), follower) == .backoff(.unknownServerError))
        // A follower with no epochs at all truncates to the leader's end offset.
        #expect(decide(diverging(2, 1), EpochLog(epochs: [])) == .truncate(to: 0))
        #expect(decide(diverging(2, 1), EpochLog(epochs: [], currentEpoch: nil)) == .truncate(to: 0))
    }

    @Test func outOfRangeRestartsBelowTheLeaderOrTruncatesAnAheadFollower() {
        let follower = EpochLog(epochs: [0, 0, 0, 0, 0])
        func oor(start: Int64, hw: Int64) -> PartitionData {
            PartitionData(partitionIndex: 0, errorCode: .offsetOutOfRange, highWatermark: hw, logStartOffset: start)
        }
        #expect(decide(oor(start: 9, hw: 12), follower) == .outOfRange(resetTo: 9))
        #expect(decide(oor(start: 0, hw: 3), follower) == .truncate(to: 3))
        #expect(decide(oor(start: 0, hw: 7), follower) == .backoff(.offsetOutOfRange))
        #expect(decide(oor(start: -1, hw: -1), follower) == .backoff(.offsetOutOfRange))
        for error in [ErrorCode.notLeaderOrFollower, .fencedLeaderEpoch, .unknownLeaderEpoch, .unknownTopicOrPartition,
                      .kafkaStorageError] {
            #expect(decide(PartitionData(partitionIndex: 0, errorCode: error), follower) == .backoff(error))
        }
    }

    // MARK: Leader validation

    @Test func leaderValidationFollowsKafkasReadRecords() {
        // Leader: epoch 0 at 0-3, epoch 2 at 4-6, current epoch 5 from 7 (log end 7).
        let leader = EpochLog(epochs: [0, 0, 0, 0, 2, 2, 2], currentEpoch: 5)
        func validate(_ offset: Int64, _ epoch: Int32, start: Int64 = 0) -> FetchOffsetValidation {
            FetchOffsetValidation.validate(fetchOffset: offset, lastFetchedEpoch: epoch, logStartOffset: start,
                                           logEndOffset: leader.logEndOffset, endOffsetForEpoch: leader.endOffset(forEpoch:))
        }
        // No last fetched epoch: only the range is checked.
        #expect(validate(0, -1) == .valid && validate(7, -1) == .valid)
        #expect(validate(8, -1) == .offsetOutOfRange && validate(1, -1, start: 2) == .offsetOutOfRange)
        // Same history.
        #expect(validate(3, 0) == .valid && validate(4, 0) == .valid && validate(7, 2) == .valid)
        // The follower has more of epoch 0 than the leader: diverges where the leader's epoch 0 ends.
        #expect(validate(6, 0) == .diverging(EpochEndOffset(epoch: 0, endOffset: 4)))
        // An epoch the leader never had: its largest epoch below.
        #expect(validate(6, 1) == .diverging(EpochEndOffset(epoch: 0, endOffset: 4)))
        #expect(validate(7, 3) == .diverging(EpochEndOffset(epoch: 2, endOffset: 7)))
        #expect(validate(7, 4) == .diverging(EpochEndOffset(epoch: 2, endOffset: 7)))
        // The current epoch ends at the log end.
        #expect(validate(7, 5) == .valid && validate(8, 5) == .diverging(EpochEndOffset(epoch: 5, endOffset: 7)))
        // Epochs the leader cannot place, and offsets below its log start, are out of range.
        #expect(validate(7, 6) == .offsetOutOfRange)
        #expect(validate(1, 0, start: 2) == .offsetOutOfRange)
        #expect(validate(9, 1, start: 10) == .offsetOutOfRange)
    }

    // MARK: Convergence

    /// Random leader/follower pairs with a common prefix and then divergent histories (each
    /// later epoch written by one of them only, the leader's current epoch the newest); the
    /// fetch protocol must make the follower identical to the leader without ever truncating
    /// into the common prefix.
    @Test(arguments: Array(1 ... 300) as [UInt64])
    func fetchAndTruncateConverges(seed: UInt64) {
        var g = TestRandom(seed: seed)
        var common: [Int32] = []
        var epoch = Int32.random(in: 0 ... 2, using: &g)
        for _ in 0 ..< Int.random(in: 0 ... 8, using: &g) {
            if Int.random(in: 0 ..< 3, using: &g) == 0 { epoch += Int32.random(in: 1 ... 2, using: &g) }
            common.append(epoch)
        }
        var leader = EpochLog(epochs: common), follower = EpochLog(epochs: common)
        // The last common epoch may continue on one side only.
        if let last = common.last {
            let n = Int.random(in: 0 ... 3, using: &g)
            if Bool.random(using: &g) { leader.epochs += Array(repeating: last, count: n) } else { follower.epochs += Array(repeating: last, count: n) }
        }
        let base = (common.last ?? -1) + 1
        for e in base ..< base + 6 {
            let n = Int.random(in: 0 ... 4, using: &g)
            switch Int.random(in: 0 ..< 3, using: &g) {
            case 0: leader.epochs += Array(repeating: e, count: n)
            case 1: follower.epochs += Array(repeating: e, count: n)
            default: break
            }
        }
        leader.currentEpoch = base + 6
        let context = "seed=\(seed) leader \(leader.epochs) follower \(follower.epochs)"

        for _ in 0 ..< 20 {
            let fetchOffset = follower.logEndOffset
            let validation = FetchOffsetValidation.validate(
                fetchOffset: fetchOffset, lastFetchedEpoch: follower.lastEpoch, logStartOffset: 0,
                logEndOffset: leader.logEndOffset, endOffsetForEpoch: leader.endOffset(forEpoch:))
            var response = PartitionData(partitionIndex: 0, highWatermark: Int64(common.count), logStartOffset: 0)
            switch validation {
            case .valid: break
            case let .diverging(d): response.divergingEpoch = d
            case .offsetOutOfRange: response.errorCode = .offsetOutOfRange
            }
            switch decide(response, follower) {
            case let .truncate(to: offset):
                #expect(offset >= Int64(common.count), "\(context)")
                #expect(offset < follower.logEndOffset || validation == .valid, "no progress: \(context)")
                follower.epochs = Array(follower.epochs.prefix(Int(offset)))
            case .append:
                #expect(validation == .valid, "\(context)")
                #expect(Array(leader.epochs.prefix(follower.epochs.count)) == follower.epochs, "appending to a diverged log: \(context)")
                follower.epochs += leader.epochs[follower.epochs.count...]
            case let action:
                Issue.record("unexpected \(action): \(context)")
                return
            }
            if follower.epochs == leader.epochs { break }
        }
        #expect(follower.epochs == leader.epochs, "\(context)")
    }
}
