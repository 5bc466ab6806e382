extension Controller {
    /// Producer ids per block (Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`).
    public static let producerIdBlockSize: Int64 = 1000

    /// AllocateProducerIds (KIP-730): the next block of producer ids for broker `brokerId`,
    /// `[image.nextProducerId, image.nextProducerId + producerIdBlockSize)`, and the record
    /// that hands it out. The block is the broker's once the record is committed; a broker that
    /// stops with ids left unused wastes them, which keeps ids unique without any bookkeeping.
    /// - Throws: BROKER_ID_NOT_REGISTERED; UNKNOWN_SERVER_ERROR once ids are exhausted.
    public func allocateProducerIds(brokerId: Int32, brokerEpoch: Int64,
                                    image: MetadataImage) throws(BrokerError) -> (block: Range<Int64>, records: [MetadataRecord]) {
        if !image.brokers.isEmpty { _ = try Controller.registration(brokerId, in: image) }
        let first = image.nextProducerId
        guard first <= Int64.max - Controller.producerIdBlockSize else {
            throw .unexpected("Exhausted all producerIds as the next block's end producerId would exceed Int64.max")
        }
        let next = first + Controller.producerIdBlockSize
        return (first ..< next, [.producerIds(ProducerIdsRecord(brokerId: brokerId, brokerEpoch: brokerEpoch, nextProducerId: next))])
    }
}
