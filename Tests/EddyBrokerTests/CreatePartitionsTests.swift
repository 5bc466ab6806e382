import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// CreatePartitions: the controller's records (placement, Kafka's errors) and the request
/// through the transport, whose new partitions take records and replicate like the first ones.
@Suite struct CreatePartitionsTests {
    static func partitions(_ records: [MetadataRecord]) -> [PartitionRecord] {
        records.compactMap { if case let .partition(p) = $0 { p } else { nil } }
    }

    /// An image with brokers 0-2 registered and unfenced, and "t" of `count` partitions RF 3.
    func image(count: Int32 = 2, controller: Controller) throws -> MetadataImage {
        var image = MetadataImage()
        for id: Int32 in 0 ... 2 {
            try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: id, fenced: false)))
        }
        let created = try controller.createTopic(name: "t", partitions: count, replicationFactor: 3, configs: [:],
                                                 topicId: Uuid(mostSignificantBits: 9, leastSignificantBits: 9), image: image, assignmentStart: 1)
        for r in created.records { try image.apply(r) }
        return image
    }

    @Test func newPartitionsContinueTheTopicsRoundRobin() throws {
        let controller = Controller(brokerIds: [0, 1, 2])
        let image = try image(count: 2, controller: controller)
        let first = try #require(image.topic(named: "t")).partitions
        #expect(first[0]?.replicas.first == 1 && first[1]?.replicas.first == 2)
        let added = Self.partitions(try controller.createPartitions(topic: "t", count: 5, assignments: nil, image: image))
        #expect(added.map(\.partitionId) == [2, 3, 4])
        // Leaders go on round-robin from partition 0's: 1, 2, then 0, 1, 2.
        #expect(added.map(\.leader) == [0, 1, 2])
        for p in added {
            #expect(Set(p.replicas) == [0, 1, 2] && p.isr == p.replicas && p.leader == p.replicas[0])
        }
        // The same placement as a topic created with five partitions from the same start.
        let five = try controller.createTopic(name: "u", partitions: 5, replicationFactor: 3, configs: [:],
                                              topicId: Uuid(mostSignificantBits: 8, leastSignificantBits: 8), image: image, assignmentStart: 1)
        #expect(Self.partitions(five.records).suffix(3).map(\.replicas) == added.map(\.replicas))
    }

    @Test func manualAssignmentsAndKafkasErrors() throws {
        let controller = Controller(brokerIds: [0, 1, 2])
        var image = try image(count: 2, controller: controller)
        let manual = Self.partitions(try controller.createPartitions(topic: "t", count: 4, assignments: [[2, 0, 1], [0, 2, 1]], image: image))
        #expect(manual.map(\.replicas) == [[2, 0, 1], [0, 2, 1]] && manual.map(\.leader) == [2, 0] && manual.map(\.partitionId) == [2, 3])
        #expect(throws: BrokerError.invalidPartitions("Topic already has 2 partition(s).")) {
            try controller.createPartitions(topic: "t", count: 2, assignments: nil, image: image)
        }
        #expect(throws: BrokerError.invalidPartitions("The topic t currently has 2 partition(s); 1 would not be an increase.")) {
            try controller.createPartitions(topic: "t", count: 1, assignments: nil, image: image)
        }
        #expect(throws: BrokerError.unknownTopicOrPartition("Topic 'u' does not exist.")) {
            try controller.createPartitions(topic: "u", count: 3, assignments: nil, image: image)
        }
        #expect(throws: BrokerError.invalidReplicaAssignment("Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.")) {
            try controller.createPartitions(topic: "t", count: 4, assignments: [[0, 1, 2]], image: image)
        }
        #expect(throws: BrokerError.invalidReplicaAssignment("The manual partition assignment includes a partition with 2 replica(s), but this is not consistent with previous partitions, which have 3 replica(s).")) {
            try controller.createPartitions(topic: "t", count: 3, assignments: [[0, 1]], image: image)
        }
        #expect(throws: BrokerError.invalidReplicaAssignment("The manual partition assignment includes the broker 1 more than once.")) {
            try controller.createPartitions(topic: "t", count: 3, assignments: [[0, 1, 1]], image: image)
        }
        #expect(throws: BrokerError.invalidReplicaAssignment("The manual partition assignment includes broker 7, but no such broker is registered.")) {
            try controller.createPartitions(topic: "t", count: 3, assignments: [[0, 1, 7]], image: image)
        }
        #expect(throws: BrokerError.policyViolation("Excessively large number of partitions per request.")) {
            try controller.createPartitions(topic: "t", count: 2 + 10_001, assignments: nil, image: image)
        }
        // Fenced brokers take no new partition's leadership or ISR place.
        for id: Int32 in [0, 1] { try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: id, fenced: true))) }
        #expect(throws: BrokerError.invalidReplicationFactor("Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.")) {
            try controller.createPartitions(topic: "t", count: 3, assignments: nil, image: image)
        }
        let mixed = Self.partitions(try controller.createPartitions(topic: "t", count: 3, assignments: [[0, 1, 2]], image: image))
        #expect(mixed.first?.isr == [2] && mixed.first?.leader == 2)
    }

    @Test func theRequestAddsPartitionsThatTakeAndReplicateRecords() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        try s.cluster.createTopic("__consumer_offsets", partitions: 1, replicationFactor: 1)
        func create(_ topics: [CreatePartitionsRequest.Topic], validateOnly: Bool = false) throws -> [String: ErrorCode] {
            guard case let .createPartitions(r) = try s.call(.createPartitions(CreatePartitionsRequest(topics: topics, validateOnly: validateOnly)), to: 2)
            else { throw TestFailure("not CreatePartitions") }
            #expect(r.results.map(\.name) == topics.map(\.name))
            return Dictionary(r.results.map { ($0.name, $0.errorCode) }, uniquingKeysWith: { a, _ in a })
        }
        #expect(try create([.init(name: "t", count: 3)], validateOnly: true) == ["t": .none])
        #expect(s.cluster.metadataImage.topic(named: "t")?.partitionCount == 1)
        let errors = try create([.init(name: "t", count: 3), .init(name: "d", count: 2), .init(name: "d", count: 3),
                                 .init(name: "nope", count: 2), .init(name: "__consumer_offsets", count: 5)])
        #expect(errors == ["t": .none, "d": .invalidRequest, "nope": .unknownTopicOrPartition, "__consumer_offsets": .invalidRequest])
        #expect(try create([.init(name: "t", count: 3)]) == ["t": .invalidPartitions])
        let t = try #require(s.cluster.metadataImage.topic(named: "t"))
        #expect(t.partitionCount == 3 && t.partitions.values.allSatisfy { $0.replicas.count == 3 && $0.isr.count == 3 })

        // A new partition takes records, and every replica gets them.
        let tp = TopicPartition("t", 2)
        let leader = try s.cluster.leader(of: tp)
        guard case let .produce(p) = try s.call(.produce(ProduceRequest(topic: "t", partition: 2, records: servedBatch(["x", "y"]), acks: -1)), to: leader),
              let answer = p.partition(topic: "t", partition: 2) else { throw TestFailure("not Produce") }
        #expect(answer.errorCode == .none && answer.baseOffset == 0)
        s.pump()
        let offsets = s.cluster.replicaOffsets(tp)
        #expect(offsets.count == 3 && offsets.values.allSatisfy { $0.logEndOffset == 2 }, "\(offsets)")
    }
}
