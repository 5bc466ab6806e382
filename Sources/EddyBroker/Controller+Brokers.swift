extension Controller {
    /// RegisterBrokerRecords for those of `ids` the image does not register yet (registering is
    /// idempotent). A new cluster registers its brokers unfenced; Kafka registers a starting
    /// broker fenced and unfences it once it has caught up (`unfenceBroker`).
    public func registerBrokers(_ ids: [Int32], fenced: Bool = false, image: MetadataImage) throws(BrokerError) -> [MetadataRecord] {
        var seen = Set<Int32>()
        var records: [MetadataRecord] = []
        for id in ids.sorted() where seen.insert(id).inserted {
            guard id >= 0 else { throw .invalidRequest("Invalid broker ID \(id): broker IDs are non-negative.") }
            if image.brokers[id] == nil {
                records.append(.registerBroker(RegisterBrokerRecord(brokerId: id, fenced: fenced)))
            }
        }
        return records
    }

    /// The registration of `id`, or BROKER_ID_NOT_REGISTERED.
    static func registration(_ id: Int32, in image: MetadataImage) throws(BrokerError) -> BrokerRegistration {
        guard let broker = image.brokers[id] else {
            throw .brokerIdNotRegistered("Broker ID \(id) is not currently registered")
        }
        return broker
    }
}
