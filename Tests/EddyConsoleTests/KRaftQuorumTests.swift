import EddyBroker
import EddyClient
@testable import EddyConsole
import EddyProtocol
import Testing

/// A cluster that offers DescribeQuorum (Apache Kafka in KRaft mode): eddy's admin reads the
/// quorum, and the console's snapshot takes the quorum's leader for the controller. The
/// quorum answer is scripted over an in-process eddy cluster, so that it is fixed.
@Suite(.serialized) struct KRaftQuorumTests {
    static let quorum = DescribeQuorumResponse.Quorum(
        leaderId: 2, leaderEpoch: 7, highWatermark: 1_000,
        voters: [.init(replicaId: 0, logEndOffset: 990, lastFetchTimestampMs: 5, lastCaughtUpTimestampMs: 4),
                 .init(replicaId: 1, logEndOffset: -1), .init(replicaId: 2, logEndOffset: 1_000)],
        observers: [.init(replicaId: 3, logEndOffset: 1_000)])

    /// The in-process cluster, advertising DescribeQuorum and answering it with `quorum`.
    final class KRaftLike: Transport {
        let inner: any Transport
        init(_ inner: any Transport) { self.inner = inner }

        func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]? {
            SupportedApis.clientVersions.filter { $0.key != .eddyBrokerControl }
        }

        func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
            if case .describeQuorum = request {
                // Through the wire codec in v2, as a broker would answer it.
                let wire = DescribeQuorumResponse(partition: KRaftQuorumTests.quorum).wire(version: 2)
                return completion(.success(.describeQuorum(DescribeQuorumResponse(wire: wire, version: 2))))
            }
            inner.send(request, to: node, context: context, completion: completion)
        }
    }

    @Test func theQuorumAndItsLeaderAsController() async throws {
        let t = try ConsoleTestCluster()
        defer { t.shutdown() }
        let client = KafkaClient(transport: KRaftLike(t.cluster.transport), bootstrapNodes: t.cluster.runningBrokers, clientId: "kraft",
                                 requestTimeoutMs: 5_000)
        defer { client.close() }
        let admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 10_000))
        _ = try await client.refreshMetadata(topics: [])
        let q = try #require(try await admin.describeQuorum())
        #expect(q == Self.quorum)
        #expect(q.lag(q.voters[0]) == 10 && q.lag(q.voters[1]) == nil && q.lag(q.voters[2]) == 0)
        let described = try #require(try await admin.describeCluster())
        #expect(described.brokers.map(\.brokerId) == t.cluster.runningBrokers && described.clusterId == t.cluster.clusterId)

        let snapshot = try await ClientSnapshotSource(admin: admin, insight: nil, liveConsumers: LiveConsumers()).snapshot()
        #expect(snapshot.quorum == Self.quorum)
        #expect(snapshot.controllerId == 2 && snapshot.brokers.first { $0.isController }?.id == 2)

        // eddy's own cluster offers neither over the in-process transport (no advertised
        // versions): nil, not an error.
        #expect(try await t.admin.describeQuorum() == nil)
    }
}

/// The Cluster view with a KRaft quorum under the throughput lines.
@Suite struct ClusterViewQuorumTests {
    @Test func theQuorumIsShown() {
        var model = ConsoleFixture.model()
        var last = ConsoleFixture.snapshot(step: 30)
        last.quorum = KRaftQuorumTests.quorum
        model.append(last)
        let grid = ConsoleRenderer.render(model: model, state: ConsoleFixture.state(.cluster, size: ScreenSize(width: 100, height: 30)), size: ScreenSize(width: 100, height: 30),
                                          now: last.takenAtMs)
        Snapshot.assert(grid, named: "console-cluster-quorum-100x30")
    }

    static func quorum(leader: Int32, epoch: Int32) -> DescribeQuorumResponse.Quorum {
        var q = KRaftQuorumTests.quorum
        q.leaderId = leader
        q.leaderEpoch = leader < 0 ? -1 : epoch
        return q
    }

    @Test func electionsAreCountedBetweenSamplesAndShownNewestFirst() {
        var model = ConsoleFixture.model()
        var steps: [(Int32, Int32)] = [(2, 7), (2, 7), (-1, -1), (-1, -1), (0, 8)]
        var snapshot = ConsoleFixture.snapshot(step: 30)
        for (i, (leader, epoch)) in steps.enumerated() {
            snapshot = ConsoleFixture.snapshot(step: 30 + i)
            snapshot.quorum = Self.quorum(leader: leader, epoch: epoch)
            model.append(snapshot)
        }
        // The first sample is the baseline; a lost leader keeps the epoch it had.
        #expect(model.quorumChanges.map { [$0.epoch, $0.leaderId ?? -1] } == [[7, -1], [8, 0]])
        #expect(model.quorumChanges.map(\.atMs) == [ConsoleFixture.snapshot(step: 32).takenAtMs, ConsoleFixture.snapshot(step: 34).takenAtMs])
        let size = ScreenSize(width: 100, height: 30)
        let grid = ConsoleRenderer.render(model: model, state: ConsoleFixture.state(.cluster, size: size), size: size, now: snapshot.takenAtMs)
        Snapshot.assert(grid, named: "console-cluster-elections-100x30")
        // A cluster without a quorum (no DescribeQuorum) has no elections.
        steps = [(1, 1)]
        var plain = ConsoleFixture.model()
        plain.append(ConsoleFixture.snapshot(step: 30))
        #expect(plain.quorumChanges.isEmpty)
    }
}
