import EddyBroker
import EddyClient
@testable import EddyConsole
import EddyProtocol
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A console refresh does not flood the cluster: with many groups, its requests are bounded by
/// the brokers (coordinators and leaders), not by the groups or partitions. The counts are the
/// ones eddy(1) documents for a refresh.
@Suite(.serialized) struct RefreshRequestCountTests {
    @Test func aRefreshOf60GroupsCostsRequestsPerBrokerNotPerGroup() async throws {
        let t = try ConsoleTestCluster()
        defer { t.shutdown() }
        _ = try await t.admin.createTopics([.init(name: "orders", numPartitions: 6, replicationFactor: 1)])
        for g in 0 ..< 60 {
            try await t.admin.alterConsumerGroupOffsets("group-\(g)", [TopicPartition("orders", Int32(g % 6)): OffsetAndMetadata(0)])
        }
        let counting = CountingTransport(t.cluster.transport)
        let client = KafkaClient(transport: counting, bootstrapNodes: t.cluster.runningBrokers, clientId: "count", requestTimeoutMs: 5_000)
        defer { client.close() }
        let source = ClientSnapshotSource(admin: Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 10_000)), insight: nil,
                                          liveConsumers: LiveConsumers())
        let first = try await source.snapshot()
        #expect(first.groups.count == 60 && first.groups.allSatisfy { $0.rows.count == 1 })
        _ = counting.take()
        // A later refresh: coordinators are known.
        let second = try await source.snapshot()
        #expect(second.groups.count == 60)
        let counts = counting.take()
        let brokers = t.cluster.runningBrokers.count
        #expect(counts[.findCoordinator, default: 0] == 0, "\(counts)")
        #expect(counts[.describeGroups, default: 0] <= brokers, "one DescribeGroups per coordinator: \(counts)")
        #expect(counts[.offsetFetch, default: 0] <= brokers, "one OffsetFetch per coordinator: \(counts)")
        #expect(counts[.listGroups, default: 0] <= brokers, "\(counts)")
        // Log start, high watermark, log end and last stable offset of the 6 partitions and of
        // __consumer_offsets': four per leader; the lag tracker's end offsets of
        // __consumer_offsets add a round.
        #expect(counts[.listOffsets, default: 0] <= 5 * brokers, "\(counts)")
        #expect(counts.values.reduce(0, +) <= 13 * brokers + 10, "a refresh's requests: \(counts)")
        await source.lagTracker.close()
    }
}
