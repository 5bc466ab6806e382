import EddyProtocol

/// Broker lifecycle and leader elections (Kafka's `ReplicationControlManager`
/// `handleBrokerFenced`, `handleBrokerUnfenced`, `handleBrokerInControlledShutdown`,
/// `maybeBalancePartitionLeaders`, `maybeElectUncleanLeaders`).
///
/// Each function reads the image and returns the records to append as one batch; leader
/// changes go through `PartitionChangeRecord`, whose replay bumps the leader epoch (and
/// every change the partition epoch). Partitions are visited in topic-name and partition
/// order, so the records are deterministic. Elections follow `PartitionChangeBuilder`: a
/// topic with `unclean.leader.election.enable=true` may elect a live replica outside the ISR
/// when no ISR member is live.
extension Controller {
    /// The records of a broker state change with the elections it caused.
    public struct ElectionResult: Sendable, Equatable {
        public var records: [MetadataRecord]
        /// Partitions whose new leader came from outside the ISR (an unclean election): records
        /// the old ISR had above the new leader's log end offset are lost.
        public var uncleanElections: [TopicPartition]

        public init(records: [MetadataRecord] = [], uncleanElections: [TopicPartition] = []) {
            self.records = records
            self.uncleanElections = uncleanElections
        }
    }

    /// A broker stopped, was killed or missed its session timeout. It leaves every ISR (but an
    /// ISR is never emptied: when it is the last member it stays, with leader -1, and the
    /// partition is offline until it returns), and each partition it led gets the first live
    /// ISR member in replica order as leader, or no leader (see the type's unclean rule).
    /// - Throws: BROKER_ID_NOT_REGISTERED.
    public func fenceBroker(_ id: Int32, image: MetadataImage) throws(BrokerError) -> ElectionResult {
        let broker = try Controller.registration(id, in: image)
        var result = leaderAndIsrUpdates(image: image, removing: id, adding: nil) { $0.isr.contains(id) }
        if !broker.fenced {
            result.records.append(.brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: id, fenced: true)))
        }
        return result
    }

    /// A broker came back (restart). It is unfenced (and leaves controlled shutdown), and every
    /// partition without a leader is elected again with it acceptable: those whose ISR holds it
    /// (typically as the last member) get it back as leader.
    /// - Throws: BROKER_ID_NOT_REGISTERED.
    public func unfenceBroker(_ id: Int32, image: MetadataImage) throws(BrokerError) -> ElectionResult {
        let broker = try Controller.registration(id, in: image)
        var change = BrokerRegistrationChangeRecord(brokerId: id)
        if broker.fenced { change.fenced = false }
        if broker.inControlledShutdown { change.inControlledShutdown = false }
        let result = leaderAndIsrUpdates(image: image, removing: nil, adding: id) { !$0.hasLeader }
        let registration: [MetadataRecord] = change.fenced != nil || change.inControlledShutdown != nil
            ? [.brokerRegistrationChange(change)] : []
        return ElectionResult(records: registration + result.records, uncleanElections: result.uncleanElections)
    }

    /// A controlled shutdown (`eddy broker stop`): the broker is marked in controlled shutdown and
    /// fenced, moves leadership to another live ISR member where there is one, and leaves every
    /// ISR it is not the last member of. Leadership that cannot move goes offline as with
    /// `fenceBroker`.
    /// - Throws: BROKER_ID_NOT_REGISTERED.
    public func controlledShutdown(_ id: Int32, image: MetadataImage) throws(BrokerError) -> ElectionResult {
        let broker = try Controller.registration(id, in: image)
        var change = BrokerRegistrationChangeRecord(brokerId: id)
        if !broker.inControlledShutdown { change.inControlledShutdown = true }
        if !broker.fenced { change.fenced = true }
        let result = leaderAndIsrUpdates(image: image, removing: id, adding: nil) { $0.isr.contains(id) }
        let registration: [MetadataRecord] = change.fenced != nil || change.inControlledShutdown != nil
            ? [.brokerRegistrationChange(change)] : []
        return ElectionResult(records: registration + result.records, uncleanElections: result.uncleanElections)
    }

    /// Preferred-leader election (`auto.leader.rebalance.enable`, run periodically by the
    /// caller): every partition not led by its first replica moves to it if it is active and
    /// in the ISR. (A leaderless partition gets any live ISR member, as in Kafka.)
    public func preferredLeaderElection(image: MetadataImage) -> [MetadataRecord] {
        var records: [MetadataRecord] = []
        forEachPartition(image) { name, topicId, partition, registration in
            guard registration.leader != registration.preferredLeader else { return }
            var builder = PartitionChangeBuilder(registration, topicId: topicId, partitionId: partition,
                                                 isAcceptableLeader: image.isActive)
            builder.election = .preferred
            if let record = builder.build().record { records.append(.partitionChange(record)) }
        }
        return records
    }

    /// Unclean elections for leaderless partitions of topics with
    /// `unclean.leader.election.enable=true` (Kafka runs this periodically, so a topic whose
    /// config was switched on after its partitions went offline gets a leader).
    public func uncleanLeaderElection(image: MetadataImage) -> ElectionResult {
        var result = ElectionResult()
        forEachPartition(image) { name, topicId, partition, registration in
            guard !registration.hasLeader, image.logConfig(forTopic: name).config.uncleanLeaderElectionEnable else { return }
            var builder = PartitionChangeBuilder(registration, topicId: topicId, partitionId: partition,
                                                 isAcceptableLeader: image.isActive)
            builder.election = .unclean
            let (record, unclean) = builder.build()
            if let record { result.records.append(.partitionChange(record)) }
            if unclean { result.uncleanElections.append(TopicPartition(name, partition)) }
        }
        return result
    }

    /// Kafka's `generateLeaderAndIsrUpdates`: for each partition matching `include`, removes
    /// `removing` from the ISR and elects a leader among acceptable replicas, where `removing`
    /// is never acceptable and `adding` always is (the image still shows it fenced).
    private func leaderAndIsrUpdates(image: MetadataImage, removing: Int32?, adding: Int32?,
                                     where include: (PartitionRegistration) -> Bool) -> ElectionResult {
        let acceptable: (Int32) -> Bool = { r in r != removing && (r == adding || image.isActive(r)) }
        var result = ElectionResult()
        var uncleanTopics: [String: Bool] = [:]
        forEachPartition(image) { name, topicId, partition, registration in
            guard include(registration) else { return }
            var builder = PartitionChangeBuilder(registration, topicId: topicId, partitionId: partition,
                                                 isAcceptableLeader: acceptable)
            if let removing { builder.targetIsr = registration.isr.filter { $0 != removing } }
            let unclean = uncleanTopics[name] ?? image.logConfig(forTopic: name).config.uncleanLeaderElectionEnable
            uncleanTopics[name] = unclean
            if unclean { builder.election = .unclean }
            let (record, wasUnclean) = builder.build()
            if let record { result.records.append(.partitionChange(record)) }
            if wasUnclean { result.uncleanElections.append(TopicPartition(name, partition)) }
        }
        return result
    }

    private func forEachPartition(_ image: MetadataImage,
                                  _ body: (String, Uuid, Int32, PartitionRegistration) -> Void) {
        for name in image.topicNames {
            let topic = image.topic(named: name)!
            for p in topic.partitionIds { body(name, topic.id, p, topic.partitions[p]!) }
        }
    }
}
