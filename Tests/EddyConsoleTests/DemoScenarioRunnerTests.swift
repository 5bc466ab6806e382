import EddyBroker
import EddyClient
import EddyProtocol
import Testing
@testable import EddyConsole

/// Scenarios advancing on the state of a real cluster and workload, sampled by the runner.
@Suite(.serialized) struct DemoScenarioRunnerTests {
    typealias Harness = DemoWorkloadTests.Harness

    /// Broker states as the console's insight reports them (stopped ones included).
    static func brokers(_ cluster: Cluster) -> @Sendable () -> [BrokerInsight] {
        { cluster.describeCluster().brokers.map { BrokerInsight(id: $0.id, state: $0.state == .running ? .running : .stopped, isController: $0.id == 0) } }
    }

    /// Samples until the scenario reaches `step`.
    static func sample(_ runner: DemoScenarioRunner, until step: Int, _ h: Harness,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await h.eventually("the scenario reaches step \(step + 1)", sourceLocation: sourceLocation) {
            await runner.sampleOnce()
            return runner.current.step == step
        }
    }

    @Test func rebalanceAdvancesWithTheGroup() async throws {
        try await Harness.run { h in
            try await h.workload.start()
            let runner = DemoScenarioRunner(scenario: DemoScenario(.rebalance, keys: .console), admin: h.admin, workload: h.workload,
                                            brokers: Self.brokers(h.cluster))
            try await h.eventually("shipping is stable") { try await h.stableSpread("shipping") == [2, 2, 2] }
            await runner.sampleOnce()
            #expect(runner.caption.hasPrefix("[rebalance 1/3] shipping: 3 members own 2,2,2 partitions."), "\(runner.caption)")
            _ = try await h.workload.addMember(group: "shipping")
            try await Self.sample(runner, until: 1, h)
            #expect(runner.caption.hasPrefix("[rebalance 2/3] shipping rebalanced: 4 members own 2,2,1,1 partitions."), "\(runner.caption)")
            _ = try await h.workload.removeMember(group: "shipping")
            try await Self.sample(runner, until: 2, h)
            #expect(runner.current.isFinished)
        }
    }

    @Test func failoverAdvancesWhenTheBrokerStopsAndRejoins() async throws {
        try await Harness.run { h in
            try await h.workload.start()
            let runner = DemoScenarioRunner(scenario: DemoScenario(.failover, keys: .console), admin: h.admin, workload: h.workload,
                                            brokers: Self.brokers(h.cluster))
            await runner.sampleOnce()
            let leader = try h.cluster.describeTopic("orders").partitions[0].leader
            #expect(runner.caption.hasPrefix("[failover 1/3] orders-0 is led by broker \(leader)"), "\(runner.caption)")
            #expect(runner.caption.contains("type :stop \(leader)"))
            try h.cluster.stopBroker(leader)
            try await Self.sample(runner, until: 1, h)
            #expect(runner.caption.contains("Broker \(leader) is down"), "\(runner.caption)")
            #expect(try !h.cluster.describeTopic("orders").partitions[0].isr.contains(leader))
            try h.cluster.startBroker(leader)
            try await Self.sample(runner, until: 2, h)
            #expect(try h.cluster.describeTopic("orders").partitions[0].isr.contains(leader))
        }
    }

    @Test func replayAdvancesOnTheResetAndTheDrain() async throws {
        try await Harness.run { h in
            try await h.workload.start()
            let runner = DemoScenarioRunner(scenario: DemoScenario(.replay, keys: .console), admin: h.admin, workload: h.workload,
                                            brokers: Self.brokers(h.cluster))
            try await h.eventually("audit committed a few hundred records") {
                await runner.sampleOnce()
                return runner.current.observedCommitted > 300
            }
            let admin = h.admin
            _ = try await h.workload.withGroupPaused("audit") { () async throws(ClientError) -> String in
                do {
                    try await admin.executeOffsetReset(try await admin.planOffsetReset(group: "audit", scope: .allTopics, strategy: .toEarliest))
                } catch let e as ClientError { throw e } catch { throw .illegalState("\(error)") }
                return "reset"
            }
            try await Self.sample(runner, until: 1, h)
            try await Self.sample(runner, until: 2, h)
        }
    }
}
