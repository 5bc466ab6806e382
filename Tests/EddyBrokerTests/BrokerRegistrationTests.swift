import EddyProtocol
import Testing
@testable import EddyBroker

@Suite struct BrokerRegistrationTests {
    static let id = Uuid(mostSignificantBits: 0x0102_0304_0506_0708, leastSignificantBits: 0x090A_0B0C_0D0E_0F10)
    static let idBytes: [UInt8] = Array(1 ... 16)

    @Test func recordTypesUseKafkasApiKeys() {
        #expect(MetadataRecordType.registerBroker.rawValue == 0)
        #expect(MetadataRecordType.brokerRegistrationChange.rawValue == 17)
        #expect(MetadataRecordType.registerBroker.name == "RegisterBrokerRecord")
        #expect(MetadataRecordType.brokerRegistrationChange.name == "BrokerRegistrationChangeRecord")
    }

    @Test func registerBrokerBytesAreAssembledByHand() throws {
        let r = MetadataRecord.registerBroker(RegisterBrokerRecord(brokerId: 3, incarnationId: Self.id, fenced: true,
                                                                   inControlledShutdown: false))
        let expected: [UInt8] = [0x01, 0x00, 0x00, 0, 0, 0, 3] + Self.idBytes + [0x01, 0x00, 0x00]
        #expect(r.encoded() == expected)
        #expect(try MetadataRecord(decoding: expected) == r)
        // No incarnation ID is written as the zero UUID and read back as nil.
        let anonymous = MetadataRecord.registerBroker(RegisterBrokerRecord(brokerId: 0, fenced: false, inControlledShutdown: true))
        let anonymousBytes: [UInt8] = [0x01, 0x00, 0x00, 0, 0, 0, 0] + Array(repeating: 0, count: 16) + [0x00, 0x01, 0x00]
        #expect(anonymous.encoded() == anonymousBytes)
        #expect(try MetadataRecord(decoding: anonymousBytes) == anonymous)
    }

    @Test func registrationChangeBytesUseKafkasFencingChangeValues() throws {
        let cases: [(Bool?, Bool?, [UInt8])] = [
            (true, nil, [0x01, 0x00]), (false, nil, [0xFF, 0x00]), (nil, true, [0x00, 0x01]),
            (nil, false, [0x00, 0xFF]), (nil, nil, [0x00, 0x00]), (true, true, [0x01, 0x01]),
        ]
        for (fenced, shutdown, tail) in cases {
            let r = MetadataRecord.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 258, fenced: fenced,
                                                                                           inControlledShutdown: shutdown))
            let expected: [UInt8] = [0x01, 0x11, 0x00, 0, 0, 1, 2] + tail + [0x00]
            #expect(r.encoded() == expected, "\(r)")
            #expect(try MetadataRecord(decoding: expected) == r)
        }
    }

    @Test func outOfRangeBoolsAndChangesAreRejected() {
        for bad: UInt8 in [2, 0x7F, 0xFF] {
            #expect(throws: BrokerError.self) {
                try MetadataRecord(decoding: [0x01, 0x00, 0x00, 0, 0, 0, 1] + Array(repeating: 0, count: 16) + [bad, 0x00, 0x00])
            }
        }
        for bad: UInt8 in [2, 0xFE, 0x80] {
            #expect(throws: BrokerError.self) { try MetadataRecord(decoding: [0x01, 0x11, 0x00, 0, 0, 0, 1, bad, 0x00, 0x00]) }
            #expect(throws: BrokerError.self) { try MetadataRecord(decoding: [0x01, 0x11, 0x00, 0, 0, 0, 1, 0x00, bad, 0x00]) }
        }
    }

    @Test func imageTracksRegistrationsAndChanges() throws {
        var image = MetadataImage()
        #expect(image.isEmpty)
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 1, fenced: true)))
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 0, fenced: false)))
        #expect(!image.isEmpty)
        #expect(image.registeredBrokerIds == [0, 1])
        #expect(image.activeBrokerIds == [0])
        #expect(image.isActive(0) && !image.isActive(1) && !image.isActive(7))

        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 1, fenced: false)))
        #expect(image.activeBrokerIds == [0, 1])
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 0, inControlledShutdown: true)))
        #expect(image.brokers[0] == BrokerRegistration(id: 0, fenced: false, inControlledShutdown: true))
        #expect(image.activeBrokerIds == [1])
        // A change that names no field changes nothing.
        let before = image
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 0)))
        #expect(image == before)
        // Registering again replaces the registration (a new incarnation).
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 0, incarnationId: Self.id, fenced: true)))
        #expect(image.brokers[0] == BrokerRegistration(id: 0, incarnationId: Self.id, fenced: true))
        #expect(image.invariantViolation == nil)
    }

    @Test func changesForUnknownBrokersAndNegativeIdsAreCorrupt() throws {
        var image = MetadataImage()
        #expect(throws: BrokerError.corruptMetadata("BrokerRegistrationChangeRecord for unregistered broker 4")) {
            try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 4, fenced: true)))
        }
        #expect(throws: BrokerError.self) { try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: -1))) }
        #expect(image.isEmpty)
    }

    @Test func snapshotRecordsRegisterBrokersFirstAndRoundTrip() throws {
        var image = MetadataImage()
        try image.apply(.topic(TopicRecord(name: "t", topicId: Self.id)))
        try image.apply(.partition(PartitionRecord(partitionId: 0, topicId: Self.id, replicas: [2, 0], isr: [2], leader: 2)))
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 2, incarnationId: Self.id, fenced: false)))
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 0, fenced: false)))
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 0, fenced: true, inControlledShutdown: true)))
        let records = image.records()
        #expect(Array(records.prefix(2)) == [
            .registerBroker(RegisterBrokerRecord(brokerId: 0, fenced: true, inControlledShutdown: true)),
            .registerBroker(RegisterBrokerRecord(brokerId: 2, incarnationId: Self.id, fenced: false)),
        ])
        let snapshot = MetadataSnapshot(image: image, endOffset: 9, epoch: 1, lastContainedLogTimestamp: 5)
        let decoded = try MetadataSnapshot(decoding: snapshot.encoded(recordsPerBatch: 2), endOffset: 9, epoch: 1)
        var expected = image
        expected.offset = 8
        #expect(try decoded.image() == expected)
    }

    @Test func registerBrokersIsIdempotent() throws {
        let controller = Controller(brokerIds: [0])
        var image = MetadataImage()
        let first = try controller.registerBrokers([2, 0, 1, 2], image: image)
        #expect(first == [0, 1, 2].map { .registerBroker(RegisterBrokerRecord(brokerId: $0, fenced: false)) })
        for r in first { try image.apply(r) }
        #expect(try controller.registerBrokers([0, 1, 2], image: image).isEmpty)
        #expect(try controller.registerBrokers([3], fenced: true, image: image)
            == [.registerBroker(RegisterBrokerRecord(brokerId: 3, fenced: true))])
        #expect(throws: BrokerError.self) { try controller.registerBrokers([-2], image: image) }
    }

    @Test func replicasArePlacedOnActiveRegisteredBrokers() throws {
        // With no registration the controller's own broker list is used (single node).
        let controller = Controller(brokerIds: [0])
        #expect(controller.assignableBrokerIds(in: MetadataImage()) == [0])

        var image = MetadataImage()
        for r in try controller.registerBrokers([0, 1, 2, 3], image: image) { try image.apply(r) }
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 1, fenced: true)))
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 3, inControlledShutdown: true)))
        #expect(controller.assignableBrokerIds(in: image) == [0, 2])

        let created = try controller.createTopic(name: "t", partitions: 4, replicationFactor: 2, configs: [:],
                                                 topicId: Self.id, image: image)
        let placed = created.records.compactMap { r -> [Int32]? in
            if case let .partition(p) = r { return p.replicas }
            return nil
        }
        #expect(placed == [[0, 2], [2, 0], [0, 2], [2, 0]])
        #expect(throws: BrokerError.invalidReplicationFactor("Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.")) {
            try controller.createTopic(name: "u", partitions: 1, replicationFactor: 3, configs: [:], topicId: Self.id, image: image)
        }
        // A negative assignment start is taken modulo the broker count rather than trapping.
        let shifted = try controller.createTopic(name: "v", partitions: 1, replicationFactor: 1, configs: [:],
                                                 topicId: Self.id, image: image, assignmentStart: -1)
        #expect(shifted.records.contains { if case let .partition(p) = $0 { p.replicas == [2] } else { false } })
    }
}
