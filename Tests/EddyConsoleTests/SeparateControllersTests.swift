@testable import EddyConsole
import EddyProtocol
import Testing

/// Controller-only nodes (separate mode) in the Cluster view: rows of their own after the
/// brokers, a count in the summary, and the node keys (`x`, `X`, `u`, `:stop`, the demo menu)
/// acting on them as controllers.
@Suite struct SeparateControllersTests {
    static let quorum = DescribeQuorumResponse.Quorum(
        leaderId: 3000, leaderEpoch: 4, highWatermark: 500,
        voters: [.init(replicaId: 3000, logEndOffset: 500), .init(replicaId: 3001, logEndOffset: -1),
                 .init(replicaId: 3002, logEndOffset: 497)],
        observers: [.init(replicaId: 1, logEndOffset: 500), .init(replicaId: 2, logEndOffset: 500), .init(replicaId: 3, logEndOffset: 500)])

    /// The fixture's cluster with three controller-only nodes: 3000 active, 3001 killed.
    static func snapshot(step: Int = 30) -> ConsoleSnapshot {
        var s = ConsoleFixture.snapshot(step: step)
        for b in s.brokers.indices { s.brokers[b].isController = false }
        s.brokers += [BrokerSnapshot(id: 3000, state: .running, isController: true, role: .controller),
                      BrokerSnapshot(id: 3001, state: .killed, isController: false, role: .controller),
                      BrokerSnapshot(id: 3002, state: .running, isController: false, role: .controller)]
        s.controllerId = 3000
        s.quorum = quorum
        return s
    }

    static func model() -> ConsoleModel {
        var model = ConsoleFixture.model()
        model.append(snapshot())
        return model
    }

    static func press(_ keys: [Key], _ state: inout ConsoleState) -> [ConsoleEffect] {
        var effects: [ConsoleEffect] = []
        for key in keys { effects += state.handle(key, model: model()) }
        return effects
    }

    @Test func controllersAreRowsAfterTheBrokers() {
        let size = ScreenSize(width: 100, height: 30)
        let grid = ConsoleRenderer.render(model: Self.model(), state: ConsoleFixture.state(.cluster, size: size), size: size,
                                          now: Self.snapshot().takenAtMs)
        Snapshot.assert(grid, named: "console-cluster-controllers-100x30")
        let text = grid.plainText()
        #expect(text.contains("controller node 3000"), "the active controller is no broker")
        #expect(text.contains("brokers 2 of 3 running") && text.contains("controllers 2 of 3 running"))
    }

    @Test func nodeKeysActOnControllersAsControllers() {
        var state = ConsoleFixture.state(.cluster, size: ScreenSize(width: 100, height: 30))
        // Rows: brokers 1, 2, 3, then controllers 3000, 3001, 3002.
        #expect(Self.press([.end, .character("x")], &state) == [.demo(.stopController(3002)), .refresh])
        #expect(state.status == StatusMessage("stopping controller 3002..."))
        #expect(Self.press([.up, .character("u")], &state) == [.demo(.startController(3001)), .refresh])
        #expect(Self.press([.up, .character("X")], &state) == [.demo(.killController(3000)), .refresh])
        #expect(state.status == StatusMessage("killing controller 3000..."))
        #expect(Self.press([.home, .character("X")], &state) == [.demo(.killBroker(1)), .refresh])
    }

    @Test func commandsTellControllersFromBrokers() {
        var state = ConsoleFixture.state(.cluster)
        #expect(state.runCommand("kill 3001", model: Self.model()) == [.demo(.killController(3001)), .refresh])
        #expect(state.runCommand("start 3001", model: Self.model()) == [.demo(.startController(3001)), .refresh])
        #expect(state.runCommand("stop 2", model: Self.model()) == [.demo(.stopBroker(2)), .refresh])
        #expect(state.runCommand("stop", model: Self.model()).isEmpty)
        #expect(state.status == .error("usage: :stop NODE-ID"))
    }

    @Test func theDemoMenuOffersControllers() throws {
        let brokers = Self.snapshot().brokers
        var menu = DemoMenu(workers: [], groups: [], brokers: brokers, action: .killBroker)
        #expect(menu.targets[.killBroker]?.map(\.label) == ["broker 1", "broker 2", "controller 3000 (active controller)", "controller 3002"])
        #expect(menu.targets[.startBroker]?.map(\.label) == ["broker 3 (stopped)", "controller 3001 (killed)"])
        _ = menu.handle(.tab)
        for _ in 0 ..< 2 { _ = menu.handle(.down) }
        #expect(try menu.command() == .killController(3000))
        menu = DemoMenu(workers: [], groups: [], brokers: brokers, action: .startBroker)
        #expect(try menu.command() == .startBroker(3))
    }

    @Test func remoteControllersAreRunningWhileTheyFetch() {
        // The leader's own timestamp is the time of the answer.
        let q = DescribeQuorumResponse.Quorum(
            leaderId: 3000, leaderEpoch: 2, highWatermark: 10,
            voters: [.init(replicaId: 3000, logEndOffset: 10, lastFetchTimestampMs: 100_000),
                     .init(replicaId: 3001, logEndOffset: 10, lastFetchTimestampMs: 97_000),
                     .init(replicaId: 3002, logEndOffset: 4, lastFetchTimestampMs: 96_999),
                     .init(replicaId: 3003, logEndOffset: -1),
                     .init(replicaId: 1, logEndOffset: 10, lastFetchTimestampMs: 99_000)],
            observers: [])
        let nodes = ClientSnapshotSource.remoteControllers(q, brokers: [1, 2], nowMs: 5)
        #expect(nodes.map(\.id) == [3000, 3001, 3002, 3003], "a combined voter is listed as its broker")
        #expect(nodes.map(\.state) == [.running, .running, .unreachable, .unreachable])
        #expect(nodes.map(\.isController) == [true, false, false, false] && nodes.allSatisfy { $0.role == .controller })

        // Without a leader's timestamp, the console's clock; without a leader, nobody is known to run.
        var noTime = q
        noTime.voters[0].lastFetchTimestampMs = -1
        #expect(ClientSnapshotSource.remoteControllers(noTime, brokers: [], nowMs: 99_000).map(\.state)
            == [.running, .running, .running, .unreachable, .running])
        var electing = q
        electing.leaderId = -1
        #expect(ClientSnapshotSource.remoteControllers(electing, brokers: [1], nowMs: 100_000).allSatisfy { $0.state == .unreachable })
    }
}
