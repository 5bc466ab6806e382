import EddyProtocol
import Testing
@testable import EddyBroker

@Suite struct ReplicationLeaderStateTests {
    typealias Action = PartitionLeaderState.Action

    func leader(replicas: [Int32] = [0, 1, 2], isr: [Int32] = [0, 1, 2], logEndOffset: Int64 = 0, highWatermark: Int64 = 0,
                epochStart: Int64? = nil, now: Int64 = 0) -> PartitionLeaderState {
        PartitionLeaderState(leaderId: 0, leaderEpoch: 4, partitionEpoch: 9, replicas: replicas, isr: isr,
                             logEndOffset: logEndOffset, highWatermark: highWatermark, leaderEpochStartOffset: epochStart, now: now)
    }

    @Test func highWatermarkIsTheMinimumLogEndOffsetOverTheIsr() {
        var s = leader()
        #expect(s.onLocalAppend(logEndOffset: 10) == [])  // followers' positions are unknown
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 4, leaderLogEndOffset: 10, now: 1) == [])
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 7, leaderLogEndOffset: 10, now: 2) == [.highWatermarkAdvanced(4)])
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 10, leaderLogEndOffset: 10, now: 3) == [.highWatermarkAdvanced(7)])
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 10, leaderLogEndOffset: 10, now: 4) == [])
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 10, leaderLogEndOffset: 10, now: 5) == [.highWatermarkAdvanced(10)])
        #expect(s.highWatermark == 10 && s.checkInvariants().isEmpty)
        // Stale or bogus reports are ignored: unknown replicas, the leader itself, offsets past the log end.
        #expect(s.onFollowerFetch(replicaId: 7, fetchOffset: 10, leaderLogEndOffset: 10, now: 6) == [])
        #expect(s.onFollowerFetch(replicaId: 0, fetchOffset: 10, leaderLogEndOffset: 10, now: 6) == [])
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 11, leaderLogEndOffset: 10, now: 6) == [])
        #expect(s.onLocalAppend(logEndOffset: 9) == [] && s.logEndOffset == 10)
    }

    @Test func aLeaderAloneCommitsWhatItAppends() {
        var s = leader(replicas: [0, 1], isr: [0], logEndOffset: 5, highWatermark: 3)
        #expect(s.highWatermark == 5)  // advanced at creation; the caller applies it
        #expect(s.onLocalAppend(logEndOffset: 8) == [.highWatermarkAdvanced(8)])
        // A follower's fetch reporting a larger leader log end offset advances it too.
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 0, leaderLogEndOffset: 9, now: 1) == [.highWatermarkAdvanced(9)])
    }

    @Test func highWatermarkNeverDecreasesAndARegressedIsrMemberIsReported() {
        var s = leader(replicas: [0, 1], isr: [0, 1], logEndOffset: 10)
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 10, leaderLogEndOffset: 10, now: 1) == [.highWatermarkAdvanced(10)])
        // The follower lost records (it was not fenced first): the HW stays, and the broken
        // invariant is reported rather than hidden.
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 6, leaderLogEndOffset: 10, now: 2) == [])
        #expect(s.highWatermark == 10)
        #expect(s.checkInvariants() == ["high watermark 10 > log end offset 6 of ISR member 1"])
    }

    @Test(arguments: [0, 1, 30_000] as [Int64])
    func laggingFollowerLeavesOnlyAfterStrictlyMoreThanTheMaximumLag(maxLag: Int64) {
        var s = leader(replicas: [0, 1], isr: [0, 1], logEndOffset: 5, now: 1000)
        // An ISR follower counts as caught up when the leadership starts.
        #expect(s.followers[1]!.lastCaughtUpTimeMs == 1000)
        #expect(s.onTick(now: 1000 + maxLag, replicaLagTimeMaxMs: maxLag) == [])
        #expect(s.pendingIsrChange == nil)
        #expect(s.onTick(now: 1001 + maxLag, replicaLagTimeMaxMs: maxLag) == [.proposeIsr(isr: [0], partitionEpoch: 9)])
        #expect(s.pendingIsrChange == .init(isr: [0], partitionEpoch: 9, isExpansion: false))
        #expect(s.checkInvariants().isEmpty)
    }

    @Test func aFollowerAtTheLeadersEndIsNeverOutOfSync() {
        var s = leader(replicas: [0, 1], isr: [0, 1], logEndOffset: 5)
        _ = s.onFollowerFetch(replicaId: 1, fetchOffset: 5, leaderLogEndOffset: 5, now: 10)
        #expect(s.onTick(now: 10_000_000, replicaLagTimeMaxMs: 100) == [])
        // Once the leader has more, the old caught-up time counts.
        _ = s.onLocalAppend(logEndOffset: 6)
        #expect(s.onTick(now: 10_000_000, replicaLagTimeMaxMs: 100) == [.proposeIsr(isr: [0], partitionEpoch: 9)])
    }

    @Test func reachingThePreviousFetchsLeaderEndCountsAsCaughtUpThen() {
        // The leader always has more than the follower asks for, but the follower keeps up.
        var s = leader(replicas: [0, 1], isr: [0, 1], now: 0)
        let maxLag: Int64 = 100
        let steps: [(now: Int64, leo: Int64, fetch: Int64, caughtUp: Int64)] = [
            (50, 10, 0, 0),     // first fetch: behind; the previous fetch (none, time 0) counts
            (90, 20, 10, 50),   // reaches the leader end seen at 50
            (140, 30, 20, 90),  // reaches the leader end seen at 90
            (200, 40, 25, 90),  // falls short of 30: no credit
            (260, 50, 40, 200), // reaches 40 (seen at 200)
        ]
        for step in steps {
            _ = s.onLocalAppend(logEndOffset: step.leo)
            _ = s.onFollowerFetch(replicaId: 1, fetchOffset: step.fetch, leaderLogEndOffset: step.leo, now: step.now)
            #expect(s.followers[1]!.lastCaughtUpTimeMs == step.caughtUp, "at \(step.now)")
            #expect(s.followers[1]!.lastFetchTimeMs == step.now && s.followers[1]!.lastFetchLeaderLogEndOffset == step.leo)
        }
        #expect(s.onTick(now: 300, replicaLagTimeMaxMs: maxLag) == [])
        #expect(s.onTick(now: 301, replicaLagTimeMaxMs: maxLag) == [.proposeIsr(isr: [0], partitionEpoch: 9)])
    }

    @Test func aFollowerJoinsOnlyWithEverythingBelowTheHighWatermarkAndTheEpochStart() {
        // A new leader at log end 100 (its epoch starts there) whose HW lags at 80.
        var s = leader(replicas: [0, 1, 2], isr: [0, 1], logEndOffset: 100, highWatermark: 80)
        #expect(s.leaderEpochStartOffset == 100 && s.highWatermark == 80)
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 70, leaderLogEndOffset: 100, now: 1) == [])
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 90, leaderLogEndOffset: 100, now: 2) == [])
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 100, leaderLogEndOffset: 100, now: 3)
            == [.proposeIsr(isr: [0, 1, 2], partitionEpoch: 9)])
        #expect(s.maximalIsr == [0, 1, 2] && s.isr == [0, 1])
        // An explicit epoch start below the log end lets it join earlier.
        var t = leader(replicas: [0, 1, 2], isr: [0, 1], logEndOffset: 100, highWatermark: 80, epochStart: 85)
        #expect(t.onFollowerFetch(replicaId: 2, fetchOffset: 84, leaderLogEndOffset: 100, now: 1) == [])
        #expect(t.onFollowerFetch(replicaId: 2, fetchOffset: 85, leaderLogEndOffset: 100, now: 2)
            == [.proposeIsr(isr: [0, 1, 2], partitionEpoch: 9)])
    }

    @Test func aPendingExpansionHoldsTheHighWatermarkForTheNewMember() {
        var s = leader(replicas: [0, 1], isr: [0], logEndOffset: 20, highWatermark: 20)
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 20, leaderLogEndOffset: 20, now: 1)
            == [.proposeIsr(isr: [0, 1], partitionEpoch: 9)])
        #expect(s.onLocalAppend(logEndOffset: 30) == [])  // waits for 1, as if it were in the ISR
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 25, leaderLogEndOffset: 30, now: 2) == [.highWatermarkAdvanced(25)])
        var committed = s
        #expect(committed.onIsrCommitted(isr: [0, 1], partitionEpoch: 10) == [])
        #expect(committed.isr == [0, 1] && committed.pendingIsrChange == nil && committed.partitionEpoch == 10)
        // If the controller refuses the member, the HW no longer waits for it.
        #expect(s.onIsrChangeFailed(isr: [0, 1], partitionEpoch: 9, error: .ineligibleReplica) == [.highWatermarkAdvanced(30)])
        #expect(s.isr == [0] && s.pendingIsrChange == nil)
    }

    @Test func aPendingShrinkStillWaitsForTheMemberItRemoves() {
        var s = leader(logEndOffset: 10)
        _ = s.onFollowerFetch(replicaId: 1, fetchOffset: 10, leaderLogEndOffset: 10, now: 1)
        _ = s.onFollowerFetch(replicaId: 2, fetchOffset: 5, leaderLogEndOffset: 10, now: 1)
        #expect(s.highWatermark == 5)
        #expect(s.onTick(now: 200, replicaLagTimeMaxMs: 100) == [.proposeIsr(isr: [0, 1], partitionEpoch: 9)])
        #expect(s.maximalIsr == [0, 1, 2] && s.highWatermark == 5)
        #expect(s.onTick(now: 300, replicaLagTimeMaxMs: 100) == [])  // one change at a time
        #expect(s.onIsrCommitted(isr: [0, 1], partitionEpoch: 10) == [.highWatermarkAdvanced(10)])
        // Follower 2 catches up again and rejoins.
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 10, leaderLogEndOffset: 10, now: 301)
            == [.proposeIsr(isr: [0, 1, 2], partitionEpoch: 10)])
    }

    @Test func onlyOneIsrChangeIsInFlight() {
        var s = leader(isr: [0], logEndOffset: 3)
        #expect(s.onFollowerFetch(replicaId: 1, fetchOffset: 3, leaderLogEndOffset: 3, now: 1) == [.proposeIsr(isr: [0, 1], partitionEpoch: 9)])
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 3, leaderLogEndOffset: 3, now: 1) == [])
        #expect(s.onIsrCommitted(isr: [0, 1], partitionEpoch: 10) == [])
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 3, leaderLogEndOffset: 3, now: 2) == [.proposeIsr(isr: [0, 1, 2], partitionEpoch: 10)])
    }

    @Test func failedProposalsAreRetriedRevertedOrHeldAsKafkaDoes() {
        func pending() -> PartitionLeaderState {
            var s = leader(isr: [0, 1], logEndOffset: 3)
            _ = s.onFollowerFetch(replicaId: 2, fetchOffset: 3, leaderLogEndOffset: 3, now: 1)
            #expect(s.pendingIsrChange?.isr == [0, 1, 2])
            return s
        }
        for error in [ErrorCode.requestTimedOut, .notController, .networkException, .unknownServerError] {
            var s = pending()
            #expect(s.onIsrChangeFailed(isr: [0, 1, 2], partitionEpoch: 9, error: error) == [.proposeIsr(isr: [0, 1, 2], partitionEpoch: 9)])
            #expect(s.pendingIsrChange != nil)
        }
        for error in [ErrorCode.fencedLeaderEpoch, .invalidUpdateVersion, .invalidRequest, .unknownTopicOrPartition,
                      .unknownTopicId, .newLeaderElected] {
            var s = pending()
            #expect(s.onIsrChangeFailed(isr: [0, 1, 2], partitionEpoch: 9, error: error) == [])
            #expect(s.pendingIsrChange != nil, "\(error)")
            // New metadata clears it.
            _ = s.onIsrCommitted(isr: [0, 1], partitionEpoch: 11)
            #expect(s.pendingIsrChange == nil && s.partitionEpoch == 11)
        }
        var s = pending()
        // Answers to another proposal are ignored.
        #expect(s.onIsrChangeFailed(isr: [0, 1], partitionEpoch: 9, error: .requestTimedOut) == [])
        #expect(s.onIsrChangeFailed(isr: [0, 1, 2], partitionEpoch: 8, error: .ineligibleReplica) == [])
        #expect(s.pendingIsrChange != nil)
        // An older commit is ignored; one that drops the leader too.
        #expect(s.onIsrCommitted(isr: [0, 1, 2], partitionEpoch: 8) == [] && s.isr == [0, 1])
        #expect(s.onIsrCommitted(isr: [1, 2], partitionEpoch: 12) == [] && s.isr == [0, 1] && s.partitionEpoch == 9)
        #expect(s.onIsrCommitted(isr: [0, 5], partitionEpoch: 12) == [] && s.isr == [0, 1])
        // The same partition epoch is accepted (the controller found nothing to change).
        #expect(s.onIsrCommitted(isr: [0, 1], partitionEpoch: 9) == [] && s.pendingIsrChange == nil)
    }

    @Test func ineligibleReplicasAreNotProposed() {
        var s = leader(isr: [0, 1], logEndOffset: 3)
        s.ineligibleReplicas = [2]
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 3, leaderLogEndOffset: 3, now: 1) == [])
        s.ineligibleReplicas = []
        #expect(s.onFollowerFetch(replicaId: 2, fetchOffset: 3, leaderLogEndOffset: 3, now: 2) == [.proposeIsr(isr: [0, 1, 2], partitionEpoch: 9)])
    }

    @Test func acksAllNeedsTheMinimumIsrBeforeAndAfterAppending() {
        var s = leader(isr: [0, 1, 2], logEndOffset: 0)
        #expect(s.checkAppend(requiredAcks: -1, minInsyncReplicas: 2) == nil)
        _ = s.onLocalAppend(logEndOffset: 5)
        #expect(s.acksAllOutcome(requiredOffset: 5, minInsyncReplicas: 2) == .waiting)
        _ = s.onFollowerFetch(replicaId: 1, fetchOffset: 5, leaderLogEndOffset: 5, now: 1)
        _ = s.onTick(now: 100_000, replicaLagTimeMaxMs: 30_000)  // 2 never fetched: propose [0, 1]
        _ = s.onIsrCommitted(isr: [0, 1], partitionEpoch: 10)
        #expect(s.acksAllOutcome(requiredOffset: 5, minInsyncReplicas: 2) == .complete(.none))
        // The ISR shrinks below the minimum after the append: committed, but reported.
        _ = s.onTick(now: 200_000, replicaLagTimeMaxMs: 30_000)
        _ = s.onLocalAppend(logEndOffset: 6)
        #expect(s.acksAllOutcome(requiredOffset: 6, minInsyncReplicas: 2) == .waiting)
        _ = s.onTick(now: 300_000, replicaLagTimeMaxMs: 30_000)
        _ = s.onIsrCommitted(isr: [0], partitionEpoch: 11)
        #expect(s.acksAllOutcome(requiredOffset: 6, minInsyncReplicas: 2) == .complete(.notEnoughReplicasAfterAppend))
        #expect(s.checkAppend(requiredAcks: -1, minInsyncReplicas: 2) == .notEnoughReplicas)
        #expect(s.checkAppend(requiredAcks: 1, minInsyncReplicas: 2) == nil)
        #expect(s.checkAppend(requiredAcks: 0, minInsyncReplicas: 2) == nil)
        #expect(s.checkAppend(requiredAcks: -1, minInsyncReplicas: 1) == nil)
        // min.insync.replicas above the replication factor is capped at it.
        let single = leader(replicas: [0], isr: [0])
        #expect(single.effectiveMinIsr(3) == 1 && single.checkAppend(requiredAcks: -1, minInsyncReplicas: 3) == nil)
    }

    // MARK: Random schedules

    /// A controller and followers around one leader state: followers replicate real data (their
    /// true log end offsets never pass the leader's and never go back), proposals are answered
    /// late, lost, refused or overtaken by controller-made ISR changes, and metadata reaches the
    /// leader late.
    @Test(arguments: Array(1 ... 40) as [UInt64])
    func randomSchedulesKeepTheInvariants(seed: UInt64) {
        var g = TestRandom(seed: seed)
        let replicas: [Int32] = [0, 1, 2, 3]
        let maxLag: Int64 = 50
        var now: Int64 = 0
        var s = leader(replicas: replicas, isr: [0, 1, 2], logEndOffset: 7, highWatermark: 3, now: now)
        var trueEnd: [Int32: Int64] = [1: 5, 2: 7, 3: 0]
        var controller = (isr: [Int32]([0, 1, 2]), partitionEpoch: Int32(9))
        var outstanding: (isr: [Int32], partitionEpoch: Int32)?  // the AlterPartition not answered yet
        var lastHighWatermark = s.highWatermark

        func check(_ actions: [Action], _ step: Int) {
            for a in actions {
                switch a {
                case let .highWatermarkAdvanced(hw):
                    #expect(hw > lastHighWatermark && hw == s.highWatermark, "seed=\(seed) step=\(step)")
                    lastHighWatermark = hw
                case let .proposeIsr(isr, epoch):
                    #expect(s.pendingIsrChange?.isr == isr && epoch == s.partitionEpoch, "seed=\(seed) step=\(step)")
                    outstanding = (isr, epoch)
                }
            }
            #expect(s.checkInvariants().isEmpty, "seed=\(seed) step=\(step): \(s.checkInvariants())")
            #expect(s.highWatermark >= lastHighWatermark, "seed=\(seed) step=\(step)")
            // The HW never passes data an ISR member (committed or pending) really lacks.
            for m in s.maximalIsr where m != 0 {
                #expect(s.highWatermark <= max(trueEnd[m]!, 3), "seed=\(seed) step=\(step) member \(m)")
            }
        }

        for step in 0 ..< 400 {
            var actions: [Action] = []
            switch Int.random(in: 0 ..< 10, using: &g) {
            case 0, 1:
                actions = s.onLocalAppend(logEndOffset: s.logEndOffset + Int64.random(in: 1 ... 5, using: &g))
            case 2, 3, 4:
                let f = replicas.dropFirst().randomElement(using: &g)!
                actions = s.onFollowerFetch(replicaId: f, fetchOffset: trueEnd[f]!, leaderLogEndOffset: s.logEndOffset, now: now)
                if Int.random(in: 0 ..< 4, using: &g) > 0 {  // a stalled follower gets nothing
                    trueEnd[f] = min(s.logEndOffset, trueEnd[f]! + Int64.random(in: 0 ... 6, using: &g))
                }
            case 5:
                now += Int64.random(in: 0 ... 40, using: &g)
                actions = s.onTick(now: now, replicaLagTimeMaxMs: maxLag)
            case 6, 7:
                guard let (proposal, based) = outstanding else { break }
                outstanding = nil
                switch Int.random(in: 0 ..< 4, using: &g) {
                case 0:  // lost on the way: the leader times out and resends
                    actions = s.onIsrChangeFailed(isr: proposal, partitionEpoch: based, error: .requestTimedOut)
                case 1 where proposal.count > s.isr.count:  // the new member was fenced meanwhile
                    actions = s.onIsrChangeFailed(isr: proposal, partitionEpoch: based, error: .ineligibleReplica)
                default:
                    if based != controller.partitionEpoch {
                        actions = s.onIsrChangeFailed(isr: proposal, partitionEpoch: based, error: .invalidUpdateVersion)
                    } else {
                        controller = (proposal, controller.partitionEpoch + 1)
                        if Bool.random(using: &g) {
                            actions = s.onIsrCommitted(isr: controller.isr, partitionEpoch: controller.partitionEpoch)
                        } else {  // applied, but the answer is lost
                            actions = s.onIsrChangeFailed(isr: proposal, partitionEpoch: based, error: .requestTimedOut)
                        }
                    }
                }
            case 8:  // the controller removes a follower itself (it was fenced)
                let members = controller.isr.filter { $0 != 0 }
                guard let victim = members.randomElement(using: &g) else { break }
                controller = (controller.isr.filter { $0 != victim }, controller.partitionEpoch + 1)
            default:  // metadata reaches the leader
                actions = s.onIsrCommitted(isr: controller.isr, partitionEpoch: controller.partitionEpoch)
            }
            check(actions, step)
        }

        // Quiet phase: everyone catches up and every proposal succeeds; the ISR becomes every
        // replica and the HW reaches the log end.
        for step in 400 ..< 600 {
            now += 1
            for f in replicas.dropFirst() {
                check(s.onFollowerFetch(replicaId: f, fetchOffset: trueEnd[f]!, leaderLogEndOffset: s.logEndOffset, now: now), step)
                trueEnd[f] = s.logEndOffset
            }
            if let (proposal, based) = outstanding {
                outstanding = nil
                if based == controller.partitionEpoch {
                    controller = (proposal, controller.partitionEpoch + 1)
                }
            }
            check(s.onIsrCommitted(isr: controller.isr, partitionEpoch: controller.partitionEpoch), step)
        }
        #expect(s.isr == replicas, "seed=\(seed) isr \(s.isr)")
        #expect(s.highWatermark == s.logEndOffset, "seed=\(seed)")
    }
}
