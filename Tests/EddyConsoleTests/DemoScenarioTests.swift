import EddyProtocol
import Testing
@testable import EddyConsole

@Suite struct DemoScenarioTests {
    static let keys = DemoScenario.Keys(stopBroker: "<stop {broker}>", startBroker: "<start {broker}>", addMember: "<add {group}>",
                                        removeMember: "<remove {group}>", resetOffsets: "<reset {group}>", setRate: "<rate>",
                                        groups: "<groups {group}>", topics: "<topics>")

    typealias O = DemoScenario.Observation
    typealias P = DemoScenario.PartitionState

    static func brokers(_ states: [BrokerInsight.State]) -> [Int32: BrokerInsight.State] {
        Dictionary(uniqueKeysWithValues: states.enumerated().map { (Int32($0.offset), $0.element) })
    }

    static func group(_ spread: [Int], committed: Int64 = 0, lag: Int64 = 0, capacity: Double? = nil) -> DemoScenario.GroupState {
        group("Stable", spread, committed: committed, lag: lag, capacity: capacity)
    }

    static func group(_ state: String, _ spread: [Int], committed: Int64 = 0, lag: Int64 = 0,
                      capacity: Double? = nil) -> DemoScenario.GroupState {
        .init(state: state, partitionsPerMember: Dictionary(uniqueKeysWithValues: spread.enumerated().map { ("m-\($0.offset)", $0.element) }),
              committedTotal: committed, lag: lag, capacityPerMember: capacity)
    }

    @Test func failoverFollowsTheStoppedBrokerUntilItRejoinsTheISR() {
        var s = DemoScenario(.failover, keys: Self.keys)
        let healthy = O(brokers: Self.brokers([.running, .running, .running]),
                        partitions: [0: P(leader: 1, replicas: [1, 2, 0], isr: [1, 2, 0]), 1: P(leader: 2, replicas: [2, 0, 1], isr: [2, 0, 1])])
        s.observe(healthy)
        #expect(s.step == 0)
        #expect(s.caption == "[failover 1/3] orders-0 is led by broker 1, ISR [1,2,0]. Stop it: type <stop 1>. Watch <topics>.")
        s.observe(O(brokers: Self.brokers([.running, .stopped, .running]),
                    partitions: [0: P(leader: 2, replicas: [1, 2, 0], isr: [2, 0]), 1: P(leader: 2, replicas: [2, 0, 1], isr: [2, 0])]))
        #expect(s.step == 1)
        #expect(s.caption == "[failover 2/3] Broker 1 is down: orders-0 led by 2, ISR [2,0], HW still moving. Start it: type <start 1>.")
        // Running again but still catching up: not yet.
        s.observe(O(brokers: Self.brokers([.running, .running, .running]),
                    partitions: [0: P(leader: 2, replicas: [1, 2, 0], isr: [2, 0, 1]), 1: P(leader: 2, replicas: [2, 0, 1], isr: [2, 0])]))
        #expect(s.step == 1)
        s.observe(O(brokers: Self.brokers([.running, .running, .running]),
                    partitions: [0: P(leader: 2, replicas: [1, 2, 0], isr: [2, 0, 1]), 1: P(leader: 2, replicas: [2, 0, 1], isr: [2, 0, 1])]))
        #expect(s.step == 2)
        #expect(s.isFinished)
        #expect(s.caption.hasPrefix("[failover 3/3] Broker 1 caught up and is back in the ISR (orders-0: [2,0,1])"), "\(s.caption)")
    }

    @Test func failoverCountsAKilledBrokerToo() {
        var s = DemoScenario(.failover, keys: Self.keys)
        s.observe(O(brokers: Self.brokers([.running, .running, .running]), partitions: [0: P(leader: 0, replicas: [0, 1, 2], isr: [0, 1, 2])]))
        s.observe(O(brokers: Self.brokers([.running, .running, .killed]), partitions: [0: P(leader: 0, replicas: [0, 1, 2], isr: [0, 1, 2])]))
        #expect(s.step == 1)
        #expect(s.caption.contains("Broker 2 is down"))
    }

    @Test func rebalanceWaitsForAStableGroupWithAnotherMember() {
        var s = DemoScenario(.rebalance, keys: Self.keys)
        #expect(s.group == "shipping")
        s.observe(O(group: Self.group([2, 2, 2])))
        #expect(s.caption == "[rebalance 1/3] shipping: 3 members own 2,2,2 partitions. Add one: type <add shipping>, watch <groups shipping>.")
        s.observe(O(group: Self.group("PreparingRebalance", [2, 2, 2, 0])))
        #expect(s.step == 0, "not while rebalancing")
        s.observe(O(group: Self.group([2, 2, 1, 1])))
        #expect(s.step == 1)
        #expect(s.caption == "[rebalance 2/3] shipping rebalanced: 4 members own 2,2,1,1 partitions. Remove one: type <remove shipping>.")
        s.observe(O(group: Self.group("CompletingRebalance", [2, 2, 2])))
        #expect(s.step == 1)
        s.observe(O(group: Self.group([2, 2, 2])))
        #expect(s.step == 2)
        #expect(s.isFinished)
    }

    /// The demo's own members joining one by one at start-up (a stable group of 1, then 2, of
    /// the workload's 3) are not an added member: the baseline is the stable group holding
    /// every member the workload runs. A member added through the workload (its count rises
    /// first) or from outside is.
    @Test func rebalanceIgnoresTheDemosOwnMembersJoiningAtStartUp() {
        var s = DemoScenario(.rebalance, keys: Self.keys)
        s.observe(O(group: Self.group([6]), workloadMembers: 3))
        s.observe(O(group: Self.group([3, 3]), workloadMembers: 3))
        s.observe(O(group: Self.group([2, 2, 2]), workloadMembers: 3))
        #expect(s.step == 0, "the demo's three members joined: nothing was added")
        s.observe(O(group: Self.group([2, 2, 2]), workloadMembers: 4))
        #expect(s.step == 0)
        s.observe(O(group: Self.group([2, 2, 1, 1]), workloadMembers: 4))
        #expect(s.step == 1)

        var outside = DemoScenario(.rebalance, keys: Self.keys)
        outside.observe(O(group: Self.group([2, 2, 2]), workloadMembers: 3))
        outside.observe(O(group: Self.group([2, 2, 1, 1]), workloadMembers: 3))
        #expect(outside.step == 1, "a member from outside the workload")
    }

    @Test func replayAdvancesWhenCommitsDropThenWhenTheLagDrains() {
        var s = DemoScenario(.replay, keys: Self.keys)
        #expect(s.group == "audit")
        s.observe(O(group: Self.group([6], committed: 1_000, lag: 50)))
        s.observe(O(group: Self.group([6], committed: 1_400, lag: 60)))
        #expect(s.step == 0)
        #expect(s.caption == "[replay 1/3] audit consumed 1400 records of orders. Replay them: type <reset audit>, watch <groups audit>.")
        s.observe(O(group: Self.group("Empty", [], committed: 0, lag: 1_500)))
        #expect(s.step == 1)
        s.observe(O(group: Self.group([6], committed: 300, lag: 3_000)))
        s.observe(O(group: Self.group([6], committed: 2_000, lag: 600)))
        #expect(s.step == 1, "600 is more than a tenth of the 3000 peak")
        s.observe(O(group: Self.group([6], committed: 2_400, lag: 250)))
        #expect(s.step == 2)
        #expect(s.caption.hasPrefix("[replay 3/3] audit caught up again (lag 250)"), "\(s.caption)")
    }

    @Test func lagNeedsAFasterProducerThenAMemberThenDraining() {
        var s = DemoScenario(.lag, keys: Self.keys)
        s.observe(O(group: Self.group([6], lag: 100, capacity: 240), producerRates: [DemoScenario.producer: 120]))
        #expect(s.step == 0)
        #expect(s.caption == "[lag 1/4] audit processes 240 records/s per member; orders gets 120/s. Speed it up: type <rate>.")
        s.observe(O(group: Self.group([6], lag: 100, capacity: 240), producerRates: [DemoScenario.producer: 400]))
        #expect(s.step == 1)
        s.observe(O(group: Self.group([6], lag: 5_000, capacity: 240), producerRates: [DemoScenario.producer: 400]))
        #expect(s.step == 1)
        #expect(s.caption.contains("lag 5000"))
        s.observe(O(group: Self.group([3, 3], lag: 6_000, capacity: 240), producerRates: [DemoScenario.producer: 400]))
        #expect(s.step == 2)
        s.observe(O(group: Self.group([3, 3], lag: 2_000, capacity: 240), producerRates: [DemoScenario.producer: 400]))
        #expect(s.step == 2)
        s.observe(O(group: Self.group([3, 3], lag: 400, capacity: 240), producerRates: [DemoScenario.producer: 400]))
        #expect(s.step == 3)
        #expect(s.isFinished)
    }

    @Test func drainedLagIsATenthOfThePeakWithinBounds() {
        #expect(DemoScenario.drainedLag(peak: 0) == 100)
        #expect(DemoScenario.drainedLag(peak: 3_000) == 300)
        #expect(DemoScenario.drainedLag(peak: 1_000_000) == 500)
    }

    /// With the console's real keys and large numbers, every step's caption fits the 120
    /// columns of the end-to-end terminal (one row, after a leading space).
    @Test func captionsFitA120ColumnLine() {
        let big = O(brokers: Self.brokers([.running, .stopped, .running]),
                    partitions: [0: P(leader: 12, replicas: [10, 11, 12], isr: [10, 11, 12])],
                    group: Self.group("Stable", [2, 2, 1, 1], committed: 123_456_789, lag: 98_765_432, capacity: 1_240),
                    producerRates: [DemoScenario.producer: 12_345])
        for name in DemoScenario.Name.allCases {
            var s = DemoScenario(name, keys: .console)
            var captions = [String]()
            for step in 0 ..< s.stepCount {
                s.forceStep(step, observing: big)
                captions.append(s.caption)
            }
            #expect(Set(captions).count == s.stepCount, "each step says something else: \(captions)")
            for c in captions { #expect(c.count <= 118, "\(c.count): \(c)") }
        }
    }
}
