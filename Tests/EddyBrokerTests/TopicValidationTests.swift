import EddyStorage
import Testing
@testable import EddyBroker

@Suite struct TopicNameTests {
    @Test func lengthLimitIs249() throws {
        try TopicName.validate(String(repeating: "a", count: 249))
        #expect(throws: BrokerError.invalidTopic("Topic name is invalid: the length of '\(String(repeating: "a", count: 250))' is longer than the max allowed length 249")) {
            try TopicName.validate(String(repeating: "a", count: 250))
        }
    }

    @Test func dotAndDotDotAndEmptyAreIllegal() {
        #expect(throws: BrokerError.invalidTopic("Topic name is invalid: '.' is not allowed")) { try TopicName.validate(".") }
        #expect(throws: BrokerError.invalidTopic("Topic name is invalid: '..' is not allowed")) { try TopicName.validate("..") }
        #expect(throws: BrokerError.invalidTopic("Topic name is invalid: the empty string is not allowed")) { try TopicName.validate("") }
        #expect(TopicName.isValid("..."))
        #expect(TopicName.isValid(".a"))
    }

    @Test func everyAsciiCharacterIsClassified() {
        for byte in UInt8(0) ... 127 {
            let c = Character(Unicode.Scalar(byte))
            let legal = c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
            #expect(TopicName.isValid("a\(c)b") == legal, "byte \(byte)")
        }
    }

    @Test func nonAsciiAndSeparatorsAreIllegal() {
        for name in ["café", "a b", "a/b", "a\\b", "a:b", "a\0b", "✓", "ａ", "a\nb"] {
            #expect(throws: BrokerError.invalidTopic("Topic name is invalid: '\(name)' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")) {
                try TopicName.validate(name)
            }
        }
        #expect(TopicName.isValid("Orders_2024-v1.x"))
    }

    @Test func lengthIsCheckedInUtf16UnitsBeforeCharacters() {
        // 125 two-byte characters are 250 UTF-8 bytes but 125 UTF-16 units: a character error.
        let name = String(repeating: "é", count: 125)
        #expect(TopicName.invalidReason(name)?.contains("characters other than") == true)
    }

    @Test func collisionsDifferOnlyByDotVersusUnderscore() {
        #expect(TopicName.collide("a.b", "a_b"))
        #expect(TopicName.collide("a.b_c", "a_b.c"))
        #expect(!TopicName.collide("a.b", "a-b"))
        #expect(!TopicName.collide("ab", "a_b"))
        #expect(TopicName.hasCollisionChars("a.b") && TopicName.hasCollisionChars("a_b") && !TopicName.hasCollisionChars("a-b"))
    }
}

@Suite struct ControllerValidationTests {
    let controller = Controller(brokerIds: [0])
    static let id = Uuid(mostSignificantBits: 7, leastSignificantBits: 7)

    func image(_ names: String...) throws -> MetadataImage {
        var image = MetadataImage()
        for (i, n) in names.enumerated() {
            try image.apply(.topic(TopicRecord(name: n, topicId: Uuid(mostSignificantBits: 100, leastSignificantBits: UInt64(i)))))
        }
        return image
    }

    func create(_ name: String = "t", partitions: Int32 = 1, rf: Int16 = 1, configs: [String: String] = [:],
                image: MetadataImage = MetadataImage()) throws(BrokerError) -> Controller.CreateTopic {
        try controller.createTopic(name: name, partitions: partitions, replicationFactor: rf, configs: configs,
                                   topicId: Self.id, image: image)
    }

    @Test func createProducesTopicPartitionAndConfigRecords() throws {
        let r = try create("orders", partitions: 3, configs: ["retention.ms": " 1000 ", "cleanup.policy": "compact"])
        #expect(r.records == [
            .topic(TopicRecord(name: "orders", topicId: Self.id)),
            .partition(PartitionRecord(partitionId: 0, topicId: Self.id, replicas: [0], isr: [0], leader: 0)),
            .partition(PartitionRecord(partitionId: 1, topicId: Self.id, replicas: [0], isr: [0], leader: 0)),
            .partition(PartitionRecord(partitionId: 2, topicId: Self.id, replicas: [0], isr: [0], leader: 0)),
            .config(ConfigRecord(resourceName: "orders", name: "cleanup.policy", value: "compact")),
            .config(ConfigRecord(resourceName: "orders", name: "retention.ms", value: "1000")),
        ])
        #expect(r.configs == ["retention.ms": "1000", "cleanup.policy": "compact"])
    }

    @Test func partitionsMustBePositiveAndDefaultIsMinusOne() throws {
        for p: Int32 in [0, -2, .min] {
            #expect(throws: BrokerError.invalidPartitions("Number of partitions was set to an invalid non-positive value.")) {
                try create(partitions: p)
            }
        }
        #expect(try create(partitions: -1).partitions == 1)
        let withDefault = Controller(brokerIds: [0], defaultPartitions: 4)
        #expect(try withDefault.createTopic(name: "t", partitions: -1, replicationFactor: 1, configs: [:], topicId: Self.id, image: MetadataImage()).partitions == 4)
    }

    @Test func tooManyPartitionsIsAPolicyViolation() throws {
        #expect(try create(partitions: 10_000).records.count == 10_001)
        #expect(throws: BrokerError.policyViolation("Excessively large number of partitions per request.")) {
            try create(partitions: 10_001)
        }
    }

    @Test func replicationFactorMustFitTheCluster() throws {
        #expect(throws: BrokerError.invalidReplicationFactor("Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.")) {
            try create(rf: 3)
        }
        #expect(throws: BrokerError.invalidReplicationFactor("Replication factor must be larger than 0, or -1 to use the default value.")) {
            try create(rf: 0)
        }
        #expect(throws: BrokerError.invalidReplicationFactor("Replication factor must be larger than 0, or -1 to use the default value.")) {
            try create(rf: -2)
        }
        #expect(try create(rf: -1).replicationFactor == 1)
        let three = Controller(brokerIds: [2, 0, 1])
        let r = try three.createTopic(name: "t", partitions: 3, replicationFactor: 3, configs: [:], topicId: Self.id, image: MetadataImage())
        let replicas = r.records.compactMap { record -> [Int32]? in if case let .partition(p) = record { p.replicas } else { nil } }
        #expect(replicas == [[0, 1, 2], [1, 2, 0], [2, 0, 1]])
    }

    @Test func nameRulesApply() {
        #expect(throws: BrokerError.invalidTopic("Topic name is invalid: '..' is not allowed")) { try create("..") }
        #expect(throws: BrokerError.invalidTopic("Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")) {
            try create("a b")
        }
        #expect(throws: BrokerError.invalidRequest("Creation of internal topic __cluster_metadata is prohibited.")) { try create("__cluster_metadata") }
    }

    @Test func existingAndCollidingTopicsAreRejected() throws {
        let image = try image("a.b", "orders")
        #expect(throws: BrokerError.topicAlreadyExists("Topic 'orders' already exists.")) { try create("orders", image: image) }
        #expect(throws: BrokerError.topicAlreadyExists("Topic 'a.b' already exists.")) { try create("a.b", image: image) }
        #expect(throws: BrokerError.invalidTopic("Topic 'a_b' collides with existing topic: a.b")) { try create("a_b", image: image) }
        #expect(try create("a-b", image: image).name == "a-b")
    }

    @Test func configsAreValidatedByLogConfig() {
        #expect { try create(configs: ["retention.msx": "1"]) } throws: { e in
            guard case let .invalidConfig(m) = e as! BrokerError else { return false }
            return m.contains("unknown topic config 'retention.msx'")
        }
        #expect { try create(configs: ["retention.ms": "soon"]) } throws: { e in
            guard case let .invalidConfig(m) = e as! BrokerError else { return false }
            return m.contains("retention.ms") && m.contains("soon")
        }
        #expect((try? create(configs: ["segment.bytes": "13"])) == nil)
        #expect(BrokerError.invalidConfig("x").kafkaErrorName == "INVALID_CONFIG")
        #expect(BrokerError.invalidConfig("x").kafkaErrorCode == 40)
    }

    @Test func deleteNeedsAnExistingTopic() throws {
        let image = try image("t")
        #expect(try controller.deleteTopic(name: "t", image: image) == [.removeTopic(RemoveTopicRecord(topicId: image.topic(named: "t")!.id))])
        #expect(throws: BrokerError.unknownTopicOrPartition("Topic 'u' does not exist.")) { try controller.deleteTopic(name: "u", image: image) }
    }

    @Test func alterConfigsEmitsOnlyChanges() throws {
        var image = try image("t")
        try image.apply(.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: "100")))
        let records = try controller.alterConfigs(topic: "t", set: ["retention.ms": "100", "segment.ms": "5"],
                                                  delete: ["flush.ms"], image: image)
        #expect(records == [.config(ConfigRecord(resourceName: "t", name: "segment.ms", value: "5"))])
        let deletion = try controller.alterConfigs(topic: "t", set: [:], delete: ["retention.ms"], image: image)
        #expect(deletion == [.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: nil))])
        #expect(throws: BrokerError.unknownTopicOrPartition("Topic 'u' does not exist.")) {
            try controller.alterConfigs(topic: "u", set: ["retention.ms": "1"], delete: [], image: image)
        }
        #expect(throws: BrokerError.invalidRequest("Config 'retention.ms' is both set and deleted in one request.")) {
            try controller.alterConfigs(topic: "t", set: ["retention.ms": "1"], delete: ["retention.ms"], image: image)
        }
        #expect((try? controller.alterConfigs(topic: "t", set: ["bogus": "1"], delete: [], image: image)) == nil)
        #expect((try? controller.alterConfigs(topic: "t", set: [:], delete: ["bogus"], image: image)) == nil)
        #expect((try? controller.alterConfigs(topic: "t", set: ["retention.ms": "-5"], delete: [], image: image)) == nil)
    }
}

@Suite struct BrokerErrorTests {
    @Test func everyCaseMapsToKafkasCode() {
        let cases: [(BrokerError, String, Int16)] = [
            (.invalidTopic(""), "INVALID_TOPIC_EXCEPTION", 17),
            (.topicAlreadyExists(""), "TOPIC_ALREADY_EXISTS", 36),
            (.invalidPartitions(""), "INVALID_PARTITIONS", 37),
            (.invalidReplicationFactor(""), "INVALID_REPLICATION_FACTOR", 38),
            (.invalidConfig(""), "INVALID_CONFIG", 40),
            (.policyViolation(""), "POLICY_VIOLATION", 44),
            (.unknownTopicOrPartition(""), "UNKNOWN_TOPIC_OR_PARTITION", 3),
            (.unknownTopicId(""), "UNKNOWN_TOPIC_ID", 100),
            (.invalidRequest(""), "INVALID_REQUEST", 42),
            (.brokerIdNotRegistered(""), "BROKER_ID_NOT_REGISTERED", 102),
            (.fencedLeaderEpoch(""), "FENCED_LEADER_EPOCH", 74),
            (.invalidUpdateVersion(""), "INVALID_UPDATE_VERSION", 95),
            (.ineligibleReplica(""), "INELIGIBLE_REPLICA", 107),
            (.notController(""), "NOT_CONTROLLER", 41),
            (.storage(.offsetOutOfRange(requested: 5, logStartOffset: 0, logEndOffset: 1)), "OFFSET_OUT_OF_RANGE", 1),
            (.storage(.recordTooLarge(size: 2, max: 1)), "MESSAGE_TOO_LARGE", 10),
            (.storage(.io(operation: "x", path: "y", errno: 5)), "KAFKA_STORAGE_ERROR", 56),
            (.corruptMetadata(""), "KAFKA_STORAGE_ERROR", 56),
            (.invalidDataDirectory(""), "KAFKA_STORAGE_ERROR", 56),
            (.brokerClosed, "BROKER_NOT_AVAILABLE", 8),
            (.unexpected(""), "UNKNOWN_SERVER_ERROR", -1),
        ]
        for (error, name, code) in cases {
            #expect(error.kafkaErrorName == name && error.kafkaErrorCode == code, "\(error)")
        }
    }
}
