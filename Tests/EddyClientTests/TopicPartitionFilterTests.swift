import EddyClient
import EddyProtocol
import Testing

/// kafka-get-offsets' partition filters: `--topic` regex with `--partitions`, and
/// `--topic-partitions` rules.
@Suite struct TopicPartitionFilterTests {
    static let cluster: [String: [Int32]] = [
        "orders": [0, 1, 2], "orders-v2": [0], "audit": [0, 1], "__consumer_offsets": [0, 1], "wide": Array(0 ... 11),
    ]

    func names(_ tps: [TopicPartition]) -> [String] { tps.map { "\($0.topic)-\($0.partition)" } }

    @Test func aTopicRegexMustMatchTheWholeName() throws {
        let exact = try TopicPartitionFilter(topic: "orders", partitions: nil)
        #expect(names(exact.select(Self.cluster)) == ["orders-0", "orders-1", "orders-2"])
        #expect(exact.allowsTopic("orders") && !exact.allowsTopic("orders-v2"))
        let prefix = try TopicPartitionFilter(topic: "ord.*", partitions: "0")
        #expect(names(prefix.select(Self.cluster)) == ["orders-0", "orders-v2-0"])
        // Commas separate alternatives, and surrounding quotes and spaces go, as Kafka's IncludeList.
        let both = try TopicPartitionFilter(topic: " 'audit,orders-v2' ", partitions: nil)
        #expect(names(both.select(Self.cluster)) == ["audit-0", "audit-1", "orders-v2-0"])
        // No topic: every topic (internal ones included; the command leaves them out on request).
        #expect(try TopicPartitionFilter(topic: nil, partitions: "1").select(Self.cluster).count == 4)
    }

    @Test func rulesSelectPartitionsByNumberAndRange() throws {
        let filter = try TopicPartitionFilter(topicPartitions: "orders:1,audit,wide:3-5,wide:10-,:0")
        #expect(names(filter.select(Self.cluster)) == [
            "__consumer_offsets-0", "audit-0", "audit-1", "orders-0", "orders-1", "orders-v2-0",
            "wide-0", "wide-10", "wide-11", "wide-3", "wide-4",
        ])
        let below = try TopicPartitionFilter(topicPartitions: "wide:-2")
        #expect(names(below.select(Self.cluster)) == ["wide-0", "wide-1"])
        // An empty partition part is every partition, as an absent one.
        #expect(try TopicPartitionFilter(topicPartitions: "audit:").select(Self.cluster).count == 2)
        #expect(try TopicPartitionFilter(topicPartitions: "audit:-").select(Self.cluster).count == 2)
    }

    /// Kafka's tools sort by `topic-partition` as text.
    @Test func theOrderIsKafkasTextOrder() throws {
        let wide = try TopicPartitionFilter(topic: "wide", partitions: nil).select(Self.cluster)
        #expect(wide.map(\.partition) == [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test func malformedFiltersAreRefusedWithTheReason() {
        #expect(throws: TopicPartitionFilterError.invalid("--partitions expects a comma-separated list of partition ids, got '0,x'")) {
            try TopicPartitionFilter(topic: "t", partitions: "0,x")
        }
        #expect(throws: TopicPartitionFilterError.invalid("--topic: '(' is not a valid regular expression")) {
            try TopicPartitionFilter(topic: "(", partitions: nil)
        }
        for rule in ["t:a", "t:1:2", "t:1-x", "t:-1-2"] {
            #expect(throws: TopicPartitionFilterError.invalid("--topic-partitions: invalid rule '\(rule)': expected TOPIC-REGEX[:N|N-M|N-|-M]")) {
                try TopicPartitionFilter(topicPartitions: rule)
            }
        }
        #expect(throws: TopicPartitionFilterError.invalid("--topic-partitions: '[' is not a valid regular expression")) {
            try TopicPartitionFilter(topicPartitions: "[:1")
        }
    }
}
