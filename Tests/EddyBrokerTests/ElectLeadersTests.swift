import EddyProtocol
import Foundation
import Testing
@testable import EddyBroker

/// ElectLeaders: the controller's outcomes for preferred and unclean elections, as Kafka's
/// `ReplicationControlManager.electLeaders` gives them, and the request through the transport.
@Suite struct ElectLeadersTests {
    static let id = Uuid(mostSignificantBits: 5, leastSignificantBits: 5)

    /// Brokers 0-2 registered and active, and "t" whose partitions have replicas [0, 1, 2] with
    /// the given leaders and ISRs.
    func image(_ partitions: [(leader: Int32, isr: [Int32])]) throws -> MetadataImage {
        var image = MetadataImage()
        for b: Int32 in 0 ... 2 { try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: b, fenced: false))) }
        try image.apply(.topic(TopicRecord(name: "t", topicId: Self.id)))
        for (p, state) in partitions.enumerated() {
            try image.apply(.partition(PartitionRecord(partitionId: Int32(p), topicId: Self.id, replicas: [0, 1, 2], isr: state.isr,
                                                       leader: state.leader)))
        }
        return image
    }

    /// Topic t's outcomes by partition.
    func codes(_ outcomes: [TopicPartition: Controller.ElectionOutcome]) -> [Int32: ErrorCode] {
        Dictionary(uniqueKeysWithValues: outcomes.filter { $0.key.topic == "t" }.map { ($0.key.partition, $0.value.errorCode) })
    }

    @Test func preferredElectionsMoveLeadershipToTheFirstReplicaWhenItCan() throws {
        let controller = Controller(brokerIds: [0, 1, 2])
        var image = try image([(0, [0, 1, 2]), (1, [1, 2, 0]), (2, [2, 1]), (-1, [0])])
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 0, fenced: true)))
        // 0: already preferred; 1: preferred replica 0 is fenced; 2: 0 is not in the ISR;
        // 3: no leader, and its only ISR member (0) is fenced.
        let tps = (0 ... 3).map { TopicPartition("t", $0) } + [TopicPartition("t", 9), TopicPartition("u", 0)]
        let (records, outcomes) = controller.electLeaders(tps, type: .preferred, image: image)
        #expect(records.isEmpty)
        #expect(codes(outcomes) == [0: .electionNotNeeded, 1: .preferredLeaderNotAvailable, 2: .preferredLeaderNotAvailable,
                                    3: .preferredLeaderNotAvailable, 9: .unknownTopicOrPartition])
        #expect(outcomes[TopicPartition("u", 0)]?.errorCode == .unknownTopicOrPartition)
        #expect(outcomes[TopicPartition("t", 9)]?.message == "No such partition as t-9")

        // Broker 0 is back: partition 1 moves to it, 2 cannot (0 is still out of its ISR).
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 0, fenced: false)))
        let (moved, after) = controller.electLeaders([TopicPartition("t", 1), TopicPartition("t", 2)], type: .preferred, image: image)
        #expect(moved == [.partitionChange(PartitionChangeRecord(partitionId: 1, topicId: Self.id, leader: 0))])
        #expect(codes(after) == [1: .none, 2: .preferredLeaderNotAvailable])

        // Every partition: only those that needed an election answer.
        let (all, everything) = controller.electLeaders(nil, type: .preferred, image: image)
        #expect(all.count == 2 && Set(everything.keys.map(\.partition)) == [1, 2, 3], "\(everything)")
    }

    @Test func uncleanElectionsTakeALiveReplicaOutsideTheIsr() throws {
        let controller = Controller(brokerIds: [0, 1, 2])
        var image = try image([(-1, [0]), (1, [1]), (-1, [2])])
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 0, fenced: true)))
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 2, fenced: true)))
        let (records, outcomes) = controller.electLeaders((0 ... 2).map { TopicPartition("t", $0) }, type: .unclean, image: image)
        // 0 and 2: no leader; broker 1 is live though outside their ISRs. 1: has a leader.
        #expect(codes(outcomes) == [0: .none, 1: .electionNotNeeded, 2: .none])
        #expect(records == [.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.id, isr: [1], leader: 1)),
                            .partitionChange(PartitionChangeRecord(partitionId: 2, topicId: Self.id, isr: [1], leader: 1))])
        try image.apply(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 1, fenced: true)))
        let (none, nobody) = controller.electLeaders([TopicPartition("t", 0)], type: .unclean, image: image)
        #expect(none.isEmpty && nobody[TopicPartition("t", 0)]?.errorCode == .eligibleLeadersNotAvailable)
    }

    @Test func theRequestCommitsTheElectionsAndAnswersByTopic() throws {
        let s = try ServedCluster(configure: { $0.autoLeaderRebalanceEnable = false }); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 3, replicationFactor: 3)
        let image = s.cluster.metadataImage
        let topic = try #require(image.topic(named: "t"))
        func ask(_ partitions: [Int32]?) throws -> ElectLeadersResponse {
            let request = ElectLeadersRequest(topicPartitions: partitions.map { [.init(topic: "t", partitions: $0)] })
            guard case let .electLeaders(r) = try s.call(.electLeaders(request), to: 1) else { throw TestFailure("not ElectLeaders") }
            return r
        }
        let answer = try ask([0, 1, 7])
        #expect(answer.replicaElectionResults.map(\.topic) == ["t"])
        #expect(answer.replicaElectionResults[0].partitionResult.map(\.errorCode) == [.electionNotNeeded, .electionNotNeeded, .unknownTopicOrPartition])
        #expect(try ask(nil).replicaElectionResults.isEmpty)
        #expect(s.cluster.metadataImage.topic(named: "t") == topic, "nothing changed")
    }
}
