import EddyClient
import EddyProtocol
import Testing
@testable import EddyConsole

/// `ConsoleModel`: rates and sparkline series derived from consecutive samples.
@Suite struct ModelTests {
    static func partition(_ p: Int32, end: Int64?, size: Int64? = nil) -> PartitionSnapshot {
        PartitionSnapshot(partition: p, leader: 1, replicas: [1], isr: [1], logStartOffset: 0, logEndOffset: end, highWatermark: end, sizeBytes: size)
    }

    static func sample(at ms: Int64, ends: [Int64?], sizes: [Int64?]? = nil, committed: [Int64?] = [], positions: [Int64?] = [],
                       brokerIn: Int64? = nil, topic: String = "t") -> ConsoleSnapshot {
        let parts = ends.enumerated().map { partition(Int32($0.offset), end: $0.element, size: sizes?[$0.offset]) }
        let rows = committed.indices.map { i in
            GroupPositions.Row(topicPartition: TopicPartition(topic, Int32(i)), logStartOffset: 0, logEndOffset: ends[i], highWatermark: ends[i],
                               position: i < positions.count ? positions[i] : nil, committedOffset: committed[i])
        }
        return ConsoleSnapshot(takenAtMs: ms, brokers: [BrokerSnapshot(id: 1, state: .running, isController: true, bytesIn: brokerIn, bytesOut: brokerIn.map { $0 * 2 })],
                               topics: [TopicSnapshot(name: topic, partitions: parts)],
                               groups: committed.isEmpty ? [] : [GroupSnapshot(groupId: "g", state: .stable, rows: rows)])
    }

    @Test func recordsInAreLogEndDeltasOverTheTimeBetweenSamples() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 10_000, ends: [100, 200]))
        #expect(model.topicIn["t"] == nil, "one sample has no rate")
        model.append(Self.sample(at: 12_000, ends: [300, 260]))
        #expect(model.partitionIn[TopicPartition("t", 0)]?.last == 100)
        #expect(model.partitionIn[TopicPartition("t", 1)]?.last == 30)
        #expect(model.topicIn["t"]?.last == 130)
        #expect(model.clusterIn.last == 130)
        #expect(model.previous?.takenAtMs == 10_000 && model.latest?.takenAtMs == 12_000)
    }

    @Test func countersThatGoDownOrAreUnknownCountAsZero() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 0, ends: [500, nil], sizes: [9_000, 100]))
        model.append(Self.sample(at: 1_000, ends: [400, 50], sizes: [1_000, 612]))
        #expect(model.partitionIn[TopicPartition("t", 0)]?.last == 0, "a truncating leader change is not negative throughput")
        #expect(model.partitionIn[TopicPartition("t", 1)]?.last == 0, "unknown before: no rate")
        #expect(model.topicBytesIn["t"]?.last == 512, "only the growing partition's bytes count")
    }

    @Test func consumptionUsesThePositionWhenKnownInBothSamplesElseTheCommittedOffset() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 0, ends: [1000, 1000], committed: [100, 100], positions: [150, nil]))
        model.append(Self.sample(at: 2_000, ends: [1000, 1000], committed: [120, 300], positions: [350, 400]))
        // Partition 0: position 150 -> 350 = 100/s; partition 1: no position before, committed 100 -> 300 = 100/s.
        #expect(model.groupConsumed["g"]?.last == 200)
        #expect(model.topicConsumed["t"]?.last == 200)
        #expect(model.clusterConsumed.last == 200)
        // A reset back to earliest is not negative consumption.
        model.append(Self.sample(at: 3_000, ends: [1000, 1000], committed: [0, 0], positions: [0, 0]))
        #expect(model.groupConsumed["g"]?.last == 0)
    }

    @Test func totalLagIsASeriesOfValuesNotARate() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 0, ends: [1000, 500], committed: [900, 500]))
        model.append(Self.sample(at: 1_000, ends: [1100, 600], committed: [950, nil], positions: [nil, 580]))
        // 1100-950 plus, without a commit, the position lag 600-580.
        #expect(model.groupLag["g"]?.values == [100, 170])
        #expect(model.latest?.group("g")?.totalLag == 170)
    }

    @Test func brokerBytesRatesComeFromTheTrafficCounters() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 0, ends: [0], brokerIn: 1_000))
        model.append(Self.sample(at: 500, ends: [0], brokerIn: 3_048))
        #expect(model.brokerBytesIn[1]?.last == 4_096)
        #expect(model.brokerBytesOut[1]?.last == 8_192)
    }

    @Test func seriesKeepTheNewestValuesUpToTheHistoryLimit() {
        var model = ConsoleModel(historyLimit: 5)
        for i in 0..<12 { model.append(Self.sample(at: Int64(i) * 1000, ends: [Int64(i * i)])) }
        let values = model.topicIn["t"]?.values ?? []
        #expect(values == [13, 15, 17, 19, 21])
        #expect(model.clusterIn.values.count == 5)
        #expect(model.sampleCount == 12)
        #expect(model.topicIn["t"]?.sparkline.values == values)
    }

    @Test func aSampleNotNewerThanTheLastReplacesItWithoutARate() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 5_000, ends: [10]))
        model.append(Self.sample(at: 6_000, ends: [20]))
        model.append(Self.sample(at: 6_000, ends: [90]))
        #expect(model.topicIn["t"]?.values == [10])
        #expect(model.latest?.topics.first?.partitions.first?.logEndOffset == 90)
    }

    @Test func seriesOfTopicsGroupsAndBrokersThatWentAwayAreDropped() {
        var model = ConsoleModel()
        model.append(Self.sample(at: 0, ends: [1, 2], committed: [1, 1], brokerIn: 0, topic: "old"))
        model.append(Self.sample(at: 1_000, ends: [5, 6], committed: [2, 2], brokerIn: 10, topic: "old"))
        #expect(model.topicIn["old"] != nil && model.groupLag["g"] != nil)
        model.append(ConsoleSnapshot(takenAtMs: 2_000, topics: [TopicSnapshot(name: "new", partitions: [Self.partition(0, end: 3)])]))
        #expect(model.topicIn["old"] == nil)
        #expect(model.partitionIn[TopicPartition("old", 0)] == nil)
        #expect(model.topicIn["new"]?.values == [0])
        #expect(model.groupLag.isEmpty && model.groupConsumed.isEmpty)
        #expect(model.brokerBytesIn.isEmpty)
    }

    @Test func aFailedSampleIsKeptUntilTheNextOne() {
        var model = ConsoleModel()
        model.lastError = "REQUEST_TIMED_OUT"
        model.append(Self.sample(at: 0, ends: [1]))
        #expect(model.lastError == nil)
    }

    @Test func brokerLoadCountsLeadersAndReplicas() {
        let model = ConsoleFixture.model(samples: 2)
        let load = model.brokerLoad()
        // orders: 5 led partitions; payments 3; customers 1; __consumer_offsets 1.
        let leaders: Int = load.values.map(\.leaders).reduce(0, +)
        let replicas: Int = load.values.map(\.replicas).reduce(0, +)
        #expect(leaders == 10)
        #expect(replicas == 28, "orders 18, payments 6, customers 2, __consumer_offsets 2")
        #expect(model.demoConsumers(of: "audit").map(\.name) == ["audit-1"])
    }

    @Test func snapshotDerivedCounts() throws {
        let snapshot = ConsoleFixture.snapshot(step: 3)
        let orders = try #require(snapshot.topic("orders"))
        #expect(orders.replicationFactor == 3)
        #expect(orders.offlineCount == 1)
        #expect(orders.underReplicatedCount == 4, "partitions 1, 3 and 4 lost broker 3; 5 is offline with ISR [3]")
        #expect(orders.sizeBytes == nil, "the offline partition's size is unknown")
        #expect(snapshot.partition(TopicPartition("orders", 4))?.outOfISR == [3])
        #expect(snapshot.topic("missing") == nil)
        #expect(snapshot.partitionCount == 11)
    }
}

/// The model remembers since when an open transaction has held each partition's last stable
/// offset where it is.
@Suite struct TransactionHoldTests {
    func sample(at ms: Int64, hw: Int64, lso: Int64?) -> ConsoleSnapshot {
        ConsoleSnapshot(takenAtMs: ms, clusterId: "c", controllerId: 1, brokers: [], topics: [
            TopicSnapshot(name: "t", partitions: [PartitionSnapshot(partition: 0, leader: 1, replicas: [1], isr: [1], logStartOffset: 0,
                                                                    logEndOffset: hw, highWatermark: hw, lastStableOffset: lso)]),
        ], groups: [])
    }

    @Test func aHoldAgesWhileTheLastStableOffsetStaysBelowTheHighWatermark() {
        var m = ConsoleModel()
        let tp = TopicPartition("t", 0)
        m.append(sample(at: 1_000, hw: 10, lso: 10))
        #expect(m.transactionHold(tp) == nil)
        m.append(sample(at: 2_000, hw: 20, lso: 12))
        #expect(m.transactionHold(tp).map { [$0.lastStableOffset, $0.ageMs] } == [12, 0])
        m.append(sample(at: 5_000, hw: 30, lso: 12))
        #expect(m.transactionHold(tp).map { [$0.lastStableOffset, $0.ageMs] } == [12, 3_000])
        m.append(sample(at: 5_500, hw: 30, lso: nil))
        #expect(m.transactionHold(tp).map { [$0.lastStableOffset, $0.ageMs] } == [12, 3_500], "an unknown sample keeps the hold's age")
        m.append(sample(at: 6_000, hw: 40, lso: 31))
        #expect(m.transactionHold(tp).map { [$0.lastStableOffset, $0.ageMs] } == [31, 0], "a new transaction holds it now")
        m.append(sample(at: 7_000, hw: 40, lso: 40))
        #expect(m.transactionHold(tp) == nil)
        m.append(sample(at: 8_000, hw: 50, lso: nil))
        #expect(m.transactionHold(tp) == nil, "unknown after no hold is no hold")
    }
}
