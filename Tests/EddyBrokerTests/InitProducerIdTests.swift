import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// InitProducerId: producer id blocks from the controller (ProducerIdsRecord), unique across
/// brokers and restarts.
@Suite struct InitProducerIdTests {
    func initProducerId(_ c: Cluster, at node: Int32, transactionalId: String? = nil) throws -> InitProducerIdResponse {
        guard case let .initProducerId(r) = try c.call(.initProducerId(InitProducerIdRequest(transactionalId: transactionalId)), to: node) else {
            throw TestFailure("not InitProducerId")
        }
        return r
    }

    @Test func idsAreUniqueAcrossBrokersAndRestarts() throws {
        let dir = TempDirectory("pid"); defer { dir.cleanup() }
        var options = ClusterOptions()
        options.initialBrokerCount = 3
        options.randomSeed = 5
        var seen: Set<Int64> = []
        for run in 0 ..< 3 {
            let c = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options)
            for _ in 0 ..< 4 {
                for node: Int32 in 0 ..< 3 {
                    let r = try initProducerId(c, at: node)
                    #expect(r.errorCode == .none && r.producerEpoch == 0)
                    #expect(seen.insert(r.producerId).inserted, "id \(r.producerId) handed out twice (run \(run))")
                }
            }
            // Each broker took one block per run.
            #expect(c.metadataImage.nextProducerId == Int64(3 * (run + 1)) * Controller.producerIdBlockSize)
            if run == 1 { c.simulateCrash() } else { try c.shutdown() }
        }
        #expect(seen.count == 36)
    }

    @Test func aKilledBrokerComesBackWithANewBlock() throws {
        let s = try ServedCluster(); defer { s.close() }
        let first = try initProducerId(s.cluster, at: 1).producerId
        try s.cluster.killBroker(1)
        try s.cluster.startBroker(1)
        let second = try initProducerId(s.cluster, at: 1).producerId
        #expect(second >= first + Controller.producerIdBlockSize)
    }

    /// A transactional id is its coordinator's (see `TransactionServingTests`): before
    /// FindCoordinator has created `__transaction_state`, no broker coordinates it.
    @Test func transactionalIdsGoToTheirCoordinator() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        #expect(try initProducerId(s.cluster, at: 0, transactionalId: "tx").errorCode == .notCoordinator)
        #expect(try initProducerId(s.cluster, at: 0, transactionalId: "").errorCode == .invalidRequest)
        guard case let .findCoordinator(c) = try s.call(.findCoordinator(FindCoordinatorRequest(key: "tx", keyType: .transaction)), to: 0) else {
            throw TestFailure("not FindCoordinator")
        }
        #expect(c.errorCode == ErrorCode.none && c.nodeId == 0)
        let r = try initProducerId(s.cluster, at: 0, transactionalId: "tx")
        #expect(r.errorCode == ErrorCode.none && r.producerId >= 0 && r.producerEpoch == 0)
        #expect(try initProducerId(s.cluster, at: 0, transactionalId: "tx").producerEpoch == 1)
    }

    @Test func producerIdsRecordCodecImageAndSnapshot() throws {
        let record = MetadataRecord.producerIds(ProducerIdsRecord(brokerId: 2, brokerEpoch: 9, nextProducerId: 3000))
        #expect(try MetadataRecord(decoding: record.encoded()) == record)
        var image = MetadataImage()
        #expect(image.nextProducerId == 0 && image.isEmpty)
        try image.apply(record)
        #expect(image.nextProducerId == 3000 && !image.isEmpty)
        // Ids never go backwards: a record that does not advance them is corrupt.
        #expect(throws: BrokerError.self) { try image.apply(.producerIds(ProducerIdsRecord(brokerId: 0, brokerEpoch: 1, nextProducerId: 3000))) }
        let snapshot = MetadataSnapshot(image: image, endOffset: 10, epoch: 0, lastContainedLogTimestamp: 0)
        #expect(snapshot.records.last == .producerIds(ProducerIdsRecord(brokerId: -1, brokerEpoch: -1, nextProducerId: 3000)))
        let reread = try MetadataSnapshot(decoding: snapshot.encoded(), endOffset: 10, epoch: 0)
        #expect(try reread.image().nextProducerId == 3000)

        let controller = Controller(brokerIds: [])
        let allocation = try controller.allocateProducerIds(brokerId: 1, brokerEpoch: 4, image: image)
        #expect(allocation.block == 3000 ..< 4000)
        #expect(allocation.records == [.producerIds(ProducerIdsRecord(brokerId: 1, brokerEpoch: 4, nextProducerId: 4000))])
    }

    @Test func metadataSnapshotsKeepTheNextProducerId() throws {
        let dir = TempDirectory("pidsnap"); defer { dir.cleanup() }
        var options = ClusterOptions()
        options.initialBrokerCount = 1
        options.metadata = smallMetadataSettings(records: 2)
        var ids: [Int64] = []
        for _ in 0 ..< 4 {
            let c = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options)
            try c.createTopic("t\(ids.count)", partitions: 1) // more records, so snapshots are taken
            ids.append(try initProducerId(c, at: 0).producerId)
            try c.shutdown()
        }
        #expect(ids == [0, 1000, 2000, 3000])
    }
}
