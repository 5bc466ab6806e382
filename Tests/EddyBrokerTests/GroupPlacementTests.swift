import Testing
@testable import EddyBroker

@Suite("__consumer_offsets placement")
struct GroupPlacementTests {
    /// Values printed by Java 17 (`s.hashCode()`, Kafka's `Utils.abs(h) % 50`).
    @Test(arguments: [
        ("", Int32(0), Int32(0)),
        ("a", 97, 47),
        ("hello", 99_162_322, 22),
        ("polygenelubricants", Int32.min, 0),
        ("Aa", 2_112, 12),
        ("my-group", -1_906_497_762, 12),
        ("\u{1F600}", 1_772_899, 49),
        ("group\u{E9}", -1_237_460_406, 6),
        ("test-group-negative", -1_662_195_106, 6),
    ])
    func matchesJava(group: String, hash: Int32, partition: Int32) {
        #expect(OffsetsTopic.javaStringHashCode(group) == hash)
        #expect(OffsetsTopic.partitionFor(groupId: group) == partition)
    }

    @Test func kafkaAbs() {
        #expect(OffsetsTopic.kafkaAbs(.min) == 0)
        #expect(OffsetsTopic.kafkaAbs(-5) == 5)
        #expect(OffsetsTopic.kafkaAbs(.max) == .max)
    }

    @Test func coordinatorUsesTheConfiguredPartitionCount() {
        var config = GroupCoordinatorConfig()
        config.offsetsTopicNumPartitions = 7
        #expect(GroupCoordinator(config: config).partitionFor("hello") == 99_162_322 % 7)
    }
}
