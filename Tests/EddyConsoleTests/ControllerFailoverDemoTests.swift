@testable import EddyConsole
import EddyProtocol
import Testing

/// `eddy demo --scenario controller-failover` as a state machine: kill the active controller,
/// watch the election, make a metadata change under the new one, start the old one again.
@Suite struct ControllerFailoverDemoTests {
    static func quorum(leader: Int32, epoch: Int32, lagOf lagging: Int32? = nil, by lag: Int64 = 0) -> DescribeQuorumResponse.Quorum {
        let hw: Int64 = 100
        return DescribeQuorumResponse.Quorum(
            errorCode: leader < 0 ? .notLeaderOrFollower : .none, leaderId: leader, leaderEpoch: leader < 0 ? -1 : epoch,
            highWatermark: leader < 0 ? -1 : hw,
            voters: [0, 1, 2].map { .init(replicaId: $0, logEndOffset: leader < 0 ? -1 : ($0 == lagging ? hw - lag : hw)) }, observers: [])
    }

    @Test func killsTheActiveControllerAndFollowsTheElectionThrough() {
        var s = ControllerFailoverScenario(killDelayMs: 5000, topic: "after")
        #expect(s.observe(nil, events: [], nowMs: 0).isEmpty)
        #expect(s.caption == "[controller-failover] waiting for the controller quorum to elect an active controller")
        #expect(s.observe(Self.quorum(leader: 1, epoch: 3), events: [], nowMs: 1000).isEmpty)
        #expect(s.caption.hasSuffix("the active controller is node 1 (epoch 3), leading voters 0,1,2; it will be killed in 5 s"))
        #expect(s.observe(Self.quorum(leader: 1, epoch: 3), events: [], nowMs: 3500).isEmpty)
        #expect(s.caption.hasSuffix("it will be killed in 3 s"))
        #expect(s.observe(Self.quorum(leader: 1, epoch: 3), events: [], nowMs: 6000) == [.kill(1)])
        #expect(s.caption.contains("node 1, active controller in epoch 3, was killed: no metadata can change"))
        // No leader yet, then the old epoch still reported (a stale answer): still electing.
        #expect(s.observe(Self.quorum(leader: -1, epoch: 0), events: [], nowMs: 7000).isEmpty)
        #expect(s.observe(Self.quorum(leader: 1, epoch: 3), events: [], nowMs: 7200).isEmpty)
        let events = [QuorumEventInsight(timeMs: 8000, nodeId: 2, epoch: 4, role: .candidate),
                      QuorumEventInsight(timeMs: 8001, nodeId: 0, epoch: 4, role: .voted(2)),
                      QuorumEventInsight(timeMs: 8002, nodeId: 2, epoch: 4, role: .leader),
                      QuorumEventInsight(timeMs: 7000, nodeId: 0, epoch: 3, role: .voted(2))]
        #expect(s.observe(Self.quorum(leader: 2, epoch: 4), events: events, nowMs: 9100) == [.createTopic("after")])
        let election = ControllerFailoverScenario.Election(killed: 1, oldEpoch: 3, leader: 2, epoch: 4, tookMs: 3100, votes: [0, 2], voters: 3)
        #expect(s.phase == .elected(election))
        #expect(s.caption.hasSuffix("node 2 won epoch 4 3.1 s after the kill, with the votes of 0,2 (a majority of 3); creating topic after under it"))
        #expect(s.created(error: nil) == [.start(1)])
        #expect(s.caption.hasSuffix("topic after was created under it; starting node 1 again"))
        s.started(error: nil)
        #expect(s.observe(Self.quorum(leader: 2, epoch: 4, lagOf: 1, by: 7), events: events, nowMs: 9500).isEmpty)
        #expect(s.caption.hasSuffix("node 1 is back as a follower, 7 records behind"))
        #expect(s.observe(Self.quorum(leader: 2, epoch: 4), events: events, nowMs: 9800).isEmpty)
        #expect(s.phase == .done(election, error: nil))
        #expect(s.caption == "[controller-failover] done: node 2 took over in epoch 4 after 3.1 s; topic after was created under it; "
            + "node 1 rejoined as a follower and caught up. Nothing committed before the kill was lost.")
    }

    @Test func failuresAreShownNotHidden() {
        var s = ControllerFailoverScenario(killDelayMs: 0, topic: "after")
        _ = s.observe(Self.quorum(leader: 0, epoch: 1), events: [], nowMs: 0)
        #expect(s.observe(Self.quorum(leader: 0, epoch: 1), events: [], nowMs: 1) == [.kill(0)])
        #expect(s.observe(Self.quorum(leader: 1, epoch: 2), events: [], nowMs: 2) == [.createTopic("after")])
        #expect(s.created(error: "NOT_CONTROLLER") == [.start(0)])
        s.started(error: "BROKER_NOT_AVAILABLE")
        guard case let .done(_, error) = s.phase else { Issue.record("not done: \(s.phase)"); return }
        #expect(error == "NOT_CONTROLLER")
        #expect(s.caption.contains("creating after failed: NOT_CONTROLLER"))
    }
}
