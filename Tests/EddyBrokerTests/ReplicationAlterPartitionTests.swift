import EddyProtocol
import Testing
@testable import EddyBroker

@Suite struct ReplicationAlterPartitionTests {
    typealias F = ElectionFixture
    static let tp = TopicPartition("t", 0)

    /// Partition 0 of a 3-broker RF-3 topic after broker 2 was fenced and came back: leader 0,
    /// ISR [0, 1], leader epoch 0, partition epoch 1.
    func setUp() throws -> (Controller, MetadataImage) {
        let (controller, created) = try F.cluster(partitions: 1)
        var image = try F.applying(try controller.fenceBroker(2, image: created).records, to: created)
        image = try F.applying(try controller.unfenceBroker(2, image: image).records, to: image)
        #expect(F.state(image, 0) == PartitionRegistration(replicas: [0, 1, 2], isr: [0, 1], leader: 0, leaderEpoch: 0, partitionEpoch: 1))
        return (controller, image)
    }

    func alter(_ controller: Controller, _ image: MetadataImage, leader: Int32 = 0, leaderEpoch: Int32 = 0,
               partitionEpoch: Int32 = 1, isr: [Int32]) throws(BrokerError) -> [MetadataRecord] {
        try controller.alterPartition(Self.tp, leaderId: leader, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch,
                                      newIsr: isr, image: image)
    }

    @Test func expansionAndShrinkWriteAPartitionChange() throws {
        let (controller, image) = try setUp()
        let expand = try alter(controller, image, isr: [0, 1, 2])
        #expect(expand == [.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: F.topicId, isr: [0, 1, 2]))])
        let expanded = try F.applying(expand, to: image)
        #expect(F.state(expanded, 0) == PartitionRegistration(replicas: [0, 1, 2], isr: [0, 1, 2], leader: 0, leaderEpoch: 0, partitionEpoch: 2))
        let shrunk = try F.applying(try alter(controller, expanded, partitionEpoch: 2, isr: [0]), to: expanded)
        #expect(F.state(shrunk, 0).isr == [0] && F.state(shrunk, 0).partitionEpoch == 3 && F.state(shrunk, 0).leaderEpoch == 0)
        // Proposing the ISR it already has changes nothing.
        #expect(try alter(controller, shrunk, partitionEpoch: 3, isr: [0]).isEmpty)
    }

    @Test func validationFollowsKafkasOrderAndErrors() throws {
        let (controller, image) = try setUp()
        func code(_ body: () throws -> [MetadataRecord]) -> ErrorCode {
            do { _ = try body(); return .none } catch { return (error as? BrokerError)?.errorCode ?? .unknownServerError }
        }
        #expect(code { try controller.alterPartition(topicId: Uuid(mostSignificantBits: 9, leastSignificantBits: 9), partition: 0, leaderId: 0,
                                                      leaderEpoch: 0, partitionEpoch: 1, newIsr: [0], image: image) } == .unknownTopicId)
        #expect(code { try controller.alterPartition(TopicPartition("nope", 0), leaderId: 0, leaderEpoch: 0, partitionEpoch: 1,
                                                      newIsr: [0], image: image) } == .unknownTopicOrPartition)
        #expect(code { try controller.alterPartition(TopicPartition("t", 1), leaderId: 0, leaderEpoch: 0, partitionEpoch: 1,
                                                      newIsr: [0], image: image) } == .unknownTopicOrPartition)
        // Epochs newer than the controller's: not the controller the leader thinks.
        #expect(code { try alter(controller, image, leaderEpoch: 1, isr: [0]) } == .notController)
        #expect(code { try alter(controller, image, partitionEpoch: 2, isr: [0]) } == .notController)
        // A stale leader epoch wins over everything below, even from a non-leader.
        var next = try F.applying(try controller.fenceBroker(0, image: image).records, to: image)
        #expect(F.state(next, 0).leader == 1 && F.state(next, 0).leaderEpoch == 1)
        #expect(code { try alter(controller, next, leader: 0, leaderEpoch: 0, partitionEpoch: 1, isr: [1]) } == .fencedLeaderEpoch)
        #expect(code { try alter(controller, next, leader: 2, leaderEpoch: 0, partitionEpoch: 0, isr: [1]) } == .fencedLeaderEpoch)
        // The current epoch from a broker that does not lead.
        next = image
        #expect(code { try alter(controller, next, leader: 1, isr: [0, 1]) } == .invalidRequest)
        #expect(code { try alter(controller, next, leader: 1, partitionEpoch: 0, isr: [0, 1]) } == .invalidRequest)
        // A stale partition epoch from the leader.
        #expect(code { try alter(controller, next, partitionEpoch: 0, isr: [0, 1, 2]) } == .invalidUpdateVersion)
        // Malformed ISRs.
        #expect(code { try alter(controller, next, isr: []) } == .invalidRequest)
        #expect(code { try alter(controller, next, isr: [0, 0]) } == .invalidRequest)
        #expect(code { try alter(controller, next, isr: [0, 7]) } == .invalidRequest)
        #expect(code { try alter(controller, next, isr: [0, -1]) } == .invalidRequest)
        #expect(code { try alter(controller, next, isr: [1, 2]) } == .invalidRequest)
        // Members that may not be in an ISR.
        next = try F.applying(try controller.fenceBroker(2, image: image).records, to: image)
        #expect(code { try alter(controller, next, isr: [0, 1, 2]) } == .ineligibleReplica)
        next = try F.applying([.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 2, inControlledShutdown: true))], to: image)
        #expect(code { try alter(controller, next, isr: [0, 1, 2]) } == .ineligibleReplica)
        #expect(code { try alter(controller, next, isr: [0, 1]) } == .none)
    }

    @Test func unregisteredMembersAreIneligible() throws {
        // A partition whose replicas include a broker that never registered.
        var image = MetadataImage()
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 0, fenced: false)))
        try image.apply(.topic(TopicRecord(name: "t", topicId: F.topicId)))
        try image.apply(.partition(PartitionRecord(partitionId: 0, topicId: F.topicId, replicas: [0, 5], isr: [0], leader: 0)))
        let controller = Controller(brokerIds: [])
        #expect(throws: BrokerError.self) { try alter(controller, image, partitionEpoch: 0, isr: [0, 5]) }
        do { _ = try alter(controller, image, partitionEpoch: 0, isr: [0, 5]) } catch {
            #expect(error.errorCode == .ineligibleReplica && error.description.contains("5 (not registered)"), "\(error)")
        }
    }
}
