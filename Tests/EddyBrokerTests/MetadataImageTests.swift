import EddyStorage
import Testing
@testable import EddyBroker

@Suite struct MetadataImageTests {
    static let a = Uuid(mostSignificantBits: 1, leastSignificantBits: 10)
    static let b = Uuid(mostSignificantBits: 2, leastSignificantBits: 20)

    static func partition(_ id: Uuid, _ p: Int32, replicas: [Int32] = [0]) -> MetadataRecord {
        .partition(PartitionRecord(partitionId: p, topicId: id, replicas: replicas, isr: replicas, leader: replicas[0]))
    }

    func expectCorrupt(_ image: MetadataImage, _ record: MetadataRecord, _ fragment: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        var copy = image
        do {
            try copy.apply(record)
            Issue.record("applied \(record)", sourceLocation: sourceLocation)
        } catch {
            guard case .corruptMetadata = error else { Issue.record("\(error)", sourceLocation: sourceLocation); return }
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func replayBuildsTopicsPartitionsAndConfigs() throws {
        var image = MetadataImage()
        try image.apply(.topic(TopicRecord(name: "orders", topicId: Self.a)))
        try image.apply(Self.partition(Self.a, 0))
        try image.apply(Self.partition(Self.a, 1))
        try image.apply(.config(ConfigRecord(resourceName: "orders", name: "retention.ms", value: "1000")), offset: 3)
        #expect(image.topicNames == ["orders"])
        #expect(image.topic(id: Self.a)?.name == "orders")
        #expect(image.topic(named: "orders")?.partitionIds == [0, 1])
        #expect(image.topic(named: "orders")?.replicationFactor == 1)
        #expect(image.partition(.init("orders", 1)) == PartitionRegistration(replicas: [0], isr: [0], leader: 0))
        #expect(image.topicConfigs("orders") == ["retention.ms": "1000"])
        #expect(image.logConfig(forTopic: "orders").config.retentionMs == 1000)
        #expect(image.offset == 3)
        #expect(image.invariantViolation == nil)
    }

    @Test func configNullValueRemovesTheOverride() throws {
        var image = MetadataImage()
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: "5")))
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "segment.ms", value: "7")))
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: nil)))
        #expect(image.topicConfigs("t") == ["segment.ms": "7"])
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "segment.ms", value: nil)))
        #expect(image.configs.isEmpty)
        #expect(image.isEmpty)
    }

    @Test func removeTopicDropsPartitionsNameAndConfigs() throws {
        var image = MetadataImage()
        try image.apply(.topic(TopicRecord(name: "t", topicId: Self.a)))
        try image.apply(Self.partition(Self.a, 0))
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: "5")))
        try image.apply(.topic(TopicRecord(name: "u", topicId: Self.b)))
        try image.apply(.config(ConfigRecord(resourceName: "u", name: "retention.ms", value: "6")))
        try image.apply(.removeTopic(RemoveTopicRecord(topicId: Self.a)))
        #expect(image.topicNames == ["u"])
        #expect(image.topic(id: Self.a) == nil)
        #expect(image.topicConfigs("t").isEmpty)
        #expect(image.topicConfigs("u") == ["retention.ms": "6"])
        // The name is free again, under a new ID.
        try image.apply(.topic(TopicRecord(name: "t", topicId: Uuid(mostSignificantBits: 3, leastSignificantBits: 3))))
        #expect(image.topic(named: "t")?.partitionCount == 0)
    }

    @Test func partitionChangeBumpsEpochsLikeKafka() throws {
        var image = MetadataImage()
        try image.apply(.topic(TopicRecord(name: "t", topicId: Self.a)))
        try image.apply(Self.partition(Self.a, 0, replicas: [1, 2, 3]))
        // ISR shrink: partition epoch only.
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.a, isr: [1, 2])))
        #expect(image.partition(.init("t", 0)) == PartitionRegistration(replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1))
        // New leader: both epochs.
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.a, isr: [2], leader: 2)))
        #expect(image.partition(.init("t", 0)) == PartitionRegistration(replicas: [1, 2, 3], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 2))
        // The same leader again is not a leader change.
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.a, leader: 2)))
        #expect(image.partition(.init("t", 0))?.leaderEpoch == 1)
        #expect(image.partition(.init("t", 0))?.partitionEpoch == 3)
        // Offline: no leader.
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.a, leader: -1)))
        #expect(image.partition(.init("t", 0))?.hasLeader == false)
        #expect(image.partition(.init("t", 0))?.leaderEpoch == 2)
    }

    @Test func inconsistentRecordsAreRejectedAndLeaveTheImageUnchanged() throws {
        var image = MetadataImage()
        try image.apply(.topic(TopicRecord(name: "t", topicId: Self.a)))
        try image.apply(Self.partition(Self.a, 0, replicas: [0, 1]))
        let before = image
        expectCorrupt(image, .topic(TopicRecord(name: "t", topicId: Self.b)), "already belongs to topic ID")
        expectCorrupt(image, .topic(TopicRecord(name: "u", topicId: Self.a)), "already belongs to 't'")
        expectCorrupt(image, .topic(TopicRecord(name: "u", topicId: .zero)), "reserved")
        expectCorrupt(image, Self.partition(Self.b, 0), "unknown topic ID")
        expectCorrupt(image, Self.partition(Self.a, -1), "negative partition")
        expectCorrupt(image, .partition(PartitionRecord(partitionId: 1, topicId: Self.a, replicas: [], isr: [], leader: -1)), "no replicas")
        expectCorrupt(image, .partition(PartitionRecord(partitionId: 1, topicId: Self.a, replicas: [0, 0], isr: [0], leader: 0)), "duplicate replicas")
        expectCorrupt(image, .partition(PartitionRecord(partitionId: 1, topicId: Self.a, replicas: [0], isr: [1], leader: 0)), "not a subset")
        expectCorrupt(image, .partition(PartitionRecord(partitionId: 1, topicId: Self.a, replicas: [0, 1], isr: [0], leader: 1)), "not in the ISR")
        expectCorrupt(image, .partitionChange(PartitionChangeRecord(partitionId: 5, topicId: Self.a, leader: 0)), "unknown partition")
        expectCorrupt(image, .partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.a, isr: [1])), "leader 0 is not in the ISR")
        expectCorrupt(image, .removeTopic(RemoveTopicRecord(topicId: Self.b)), "unknown topic ID")
        #expect(image == before)
    }

    @Test func recordsRebuildAnEqualImage() throws {
        var image = MetadataImage()
        try image.apply(.topic(TopicRecord(name: "zeta", topicId: Self.b)))
        try image.apply(.topic(TopicRecord(name: "alpha", topicId: Self.a)))
        for p: Int32 in [2, 0, 1] { try image.apply(Self.partition(Self.a, p, replicas: [0, 1])) }
        try image.apply(Self.partition(Self.b, 0))
        try image.apply(.partitionChange(PartitionChangeRecord(partitionId: 1, topicId: Self.a, isr: [0])))
        try image.apply(.config(ConfigRecord(resourceName: "zeta", name: "segment.ms", value: "9")))
        try image.apply(.config(ConfigRecord(resourceName: "alpha", name: "retention.ms", value: "1")))
        try image.apply(.config(ConfigRecord(resourceType: .broker, resourceName: "0", name: "log.retention.ms", value: "2")))
        let records = image.records()
        // Deterministic order: topics by name, partitions by index, then configs.
        #expect(records.first == .topic(TopicRecord(name: "alpha", topicId: Self.a)))
        #expect(records[1] == Self.partition(Self.a, 0, replicas: [0, 1]))
        var rebuilt = MetadataImage()
        for r in records { try rebuilt.apply(r) }
        #expect(rebuilt == image)
        // Epochs survive: the change above is carried by the partition record.
        #expect(rebuilt.partition(.init("alpha", 1))?.partitionEpoch == 1)
    }

    @Test func staleOverridesAreLeftOutOfTheLogConfig() throws {
        var image = MetadataImage()
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: "42")))
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "retention.bytes", value: "lots")))
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "no.such.key", value: "1")))
        let (config, rejected) = image.logConfig(forTopic: "t")
        #expect(config.retentionMs == 42)
        #expect(config.retentionBytes == LogConfig().retentionBytes)
        #expect(Set(rejected.keys) == ["retention.bytes", "no.such.key"])
    }
}
