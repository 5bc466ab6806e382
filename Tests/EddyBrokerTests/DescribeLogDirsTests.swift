import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// DescribeLogDirs (API 35) served by each broker: its directory, the replicas it holds with
/// their sizes and offset lags, the volume's bytes, and only what the request names.
@Suite struct DescribeLogDirsTests {
    func describe(_ s: ServedCluster, broker: Int32, _ request: DescribeLogDirsRequest = DescribeLogDirsRequest()) throws -> DescribeLogDirsResponse {
        let sent = s.send(.describeLogDirs(request), to: broker)
        guard case let .describeLogDirs(r) = try #require(sent.response) else { throw TestFailure("not a DescribeLogDirs response") }
        return r
    }

    @Test func eachBrokerDescribesItsOwnReplicas() throws {
        let s = try ServedCluster()
        defer { s.close() }
        try s.cluster.createTopic("orders", partitions: 3, replicationFactor: 2)
        try s.cluster.createTopic("other", partitions: 1, replicationFactor: 1)
        s.pump()
        for p in 0 ..< 3 {
            let tp = TopicPartition("orders", Int32(p))
            _ = s.send(.produce(ProduceRequest(topic: "orders", partition: Int32(p), records: servedBatch((0 ... p).map { "v\($0)" }), acks: -1)),
                       to: try s.cluster.leader(of: tp))
        }
        s.pump()
        var seen: [TopicPartition: [Int32: Int64]] = [:]
        for broker in s.cluster.runningBrokers {
            let r = try describe(s, broker: broker)
            #expect(r.errorCode == .none)
            let dir = try #require(r.results.first)
            #expect(r.results.count == 1 && dir.errorCode == .none)
            #expect(dir.logDir.hasSuffix("/broker-\(broker)"), "\(dir.logDir)")
            #expect(dir.totalBytes > 0 && dir.usableBytes >= 0 && dir.usableBytes <= dir.totalBytes)
            for t in dir.topics { for p in t.partitions {
                #expect(p.offsetLag == 0 && !p.isFutureKey)
                seen[TopicPartition(t.name, p.partitionIndex), default: [:]][broker] = p.partitionSize
            } }
        }
        // Every replica, on the brokers that hold it, with the size its log has on disk.
        let topics = try s.cluster.describeTopics()
        for t in topics where !t.name.hasPrefix("__") {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p.partition)
                #expect(Set(seen[tp]?.keys.map { $0 } ?? []) == Set(p.replicas), "\(tp)")
                #expect(seen[tp]?[p.leader] == p.sizeInBytes, "\(tp)")
            }
        }
        #expect(seen[TopicPartition("orders", 2)]?.values.allSatisfy { $0 > 0 } == true)
        #expect(seen[TopicPartition("other", 0)]?.values.allSatisfy { $0 == 0 } == true)

        // Only what is named; a named partition the broker does not hold is left out.
        let leader = try s.cluster.leader(of: TopicPartition("orders", 1))
        let named = try describe(s, broker: leader, DescribeLogDirsRequest(topics: [.init(name: "orders", partitions: [1, 7])]))
        #expect(named.results.first?.topics.map(\.name) == ["orders"])
        #expect(named.results.first?.topics.first?.partitions.map(\.partitionIndex) == [1])
    }
}
