import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation
import Testing

/// One record with value `v` at timestamp 1.
private func batch(_ v: String) -> [UInt8] { batch([v], timestamp: 1) }

@Suite struct ClusterLifecycleTests {
    func options(_ brokers: Int = 3) -> ClusterOptions {
        var o = ClusterOptions()
        o.initialBrokerCount = brokers
        o.randomSeed = 11
        return o
    }

    @Test func reconcilesPartitionDirectoriesWhenABrokerStarts() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try Cluster(dataDirectory: dir.path, clock: clock, options: options())
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        try c.produce(TopicPartition("t", 0), records: batch("old"))
        // Broker 2 is down while the topic is deleted and created again (a new topic ID), now
        // on the two running brokers only (RF 3 cannot be placed with a broker fenced).
        try c.stopBroker(2)
        try c.deleteTopic("t")
        try c.createTopic("t", partitions: 1, replicationFactor: 2)
        #expect(!c.metadataImage.partition(TopicPartition("t", 0))!.replicas.contains(2))
        // An unknown directory appears on broker 2's disk.
        try FileManager.default.createDirectory(atPath: dir.file("broker-2/mystery-0"), withIntermediateDirectories: true)
        try c.startBroker(2)
        c.settle()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("broker-2"))
        #expect(names.contains { $0.hasPrefix("mystery-0.") && $0.hasSuffix("-stray") })
        #expect(!names.contains("mystery-0"))
        // The old incarnation's directory is gone: broker 2 does not host the new topic.
        #expect(!names.contains("t-0"))
        #expect(c.replicaOffsets(TopicPartition("t", 0))[2] == nil)
        try c.shutdown()
    }

    @Test func maintenanceAppliesRetentionAndCompactionOnEveryReplica() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 1_000_000)
        let c = try Cluster(dataDirectory: dir.path, clock: clock, options: options())
        defer { try? c.shutdown() }
        try c.createTopic("events", partitions: 1, replicationFactor: 3,
                          configs: ["retention.ms": "60000", "segment.bytes": "200"])
        try c.createTopic("state", partitions: 1, replicationFactor: 3,
                          configs: ["cleanup.policy": "compact", "segment.bytes": "200", "min.cleanable.dirty.ratio": "0.01"])
        func keyed(_ k: String, _ v: String) -> [UInt8] {
            var b = RecordBatchBuilder()
            b.append(timestamp: clock.nowMs(), key: Array(k.utf8), value: Array(v.utf8))
            return b.build().bytes
        }
        for i in 0 ..< 12 {
            try c.produce(TopicPartition("events", 0), records: keyed("k", "e\(i)"))
            try c.produce(TopicPartition("state", 0), records: keyed("k\(i % 2)", "s\(i)"))
        }
        c.settle()
        let eventsSegments = try c.describeTopic("events").partitions[0].segmentCount
        let stateSize = try c.describeTopic("state").partitions[0].sizeInBytes
        #expect(eventsSegments > 2)
        // Nothing is old enough yet; compaction shrinks "state" on every replica.
        try c.runMaintenance(compactNow: true)
        #expect(try c.describeTopic("events").partitions[0].segmentCount == eventsSegments)
        #expect(try c.describeTopic("state").partitions[0].sizeInBytes < stateSize)
        // Past retention.ms, every inactive segment of "events" goes, on all three replicas.
        clock.advance(ms: 61_000)
        try c.runMaintenance()
        #expect(try c.describeTopic("events").partitions[0].segmentCount == 1)
        #expect(try c.describeTopic("events").partitions[0].logStartOffset > 0)
        let starts = c.lock.withLock { c.nodes.values.compactMap { $0.replicas[TopicPartition("events", 0)]?.log.logStartOffset } }
        #expect(starts.count == 3 && Set(starts).count == 1)
    }

    @Test func refusesHalfInitialisedDirectories() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.file("broker-0/t-0"), withIntermediateDirectories: true)
        #expect(throws: BrokerError.self) { try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options()) }
    }

    @Test func driverReplicatesInTheBackgroundForAcksAll() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let c = try Cluster(dataDirectory: dir.path, options: options())
        let driver = ClusterDriver(cluster: c, tickIntervalMs: 20)
        driver.start()
        defer {
            driver.stop()
            try? c.shutdown()
        }
        try c.createTopic("t", partitions: 2, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        // Concurrent producers on two threads, acks=all, both partitions.
        let errors = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { p in
            for i in 0 ..< 50 {
                do { try c.produce(TopicPartition("t", Int32(p)), records: batch("p\(p)-\(i)")) } catch {
                    errors.mutate { $0.append("\(error)") }
                }
            }
        }
        #expect(errors.value.isEmpty)
        for p: Int32 in 0 ..< 2 {
            let offsets = c.replicaOffsets(TopicPartition("t", p))
            let leader = c.metadataImage.partition(TopicPartition("t", p))!.leader
            #expect(offsets[leader]!.highWatermark == 50)
        }
    }
}

/// A value shared between threads in tests.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ v: T) { stored = v }
    var value: T { lock.withLock { stored } }
    func mutate(_ f: (inout T) -> Void) { lock.withLock { f(&stored) } }
}

@Suite struct ClusterHighWatermarkTests {
    @Test func aRecreatedTopicDoesNotInheritTheOldHighWatermark() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        var o = ClusterOptions()
        o.initialBrokerCount = 3
        o.randomSeed = 5
        let c = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: o)
        defer { try? c.shutdown() }
        let tp = TopicPartition("t", 0)
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        for i in 0 ..< 5 { try c.produce(tp, records: batch("old\(i)")) }
        c.settle()
        try c.deleteTopic("t")
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        // The new topic's leader has nothing committed: its HW is 0, not the old topic's 5.
        try c.produce(tp, records: batch("new"), acks: 1)
        let leader = c.metadataImage.partition(tp)!.leader
        #expect(c.replicaOffsets(tp)[leader]!.highWatermark == 0)
    }
}
