import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

@Suite struct BrokerTests {
    let clock = ManualClock()

    func options(seed: UInt64 = 1) -> Broker.Options {
        var o = Broker.Options()
        o.randomSeed = seed
        return o
    }

    func open(_ dir: TempDirectory, seed: UInt64 = 1) throws -> Broker {
        try Broker(dataDirectory: dir.path, clock: clock, options: options(seed: seed))
    }

    @Test func newDirectoryIsInitialisedWithMetaProperties() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        let text = String(decoding: fileBytes(dir.file("meta.properties")), as: UTF8.self)
        let meta = try MetaProperties(parsing: text)
        #expect(meta == MetaProperties(clusterId: broker.clusterId, nodeId: 0))
        #expect(Uuid(broker.clusterId) != nil)
        #expect(listDirectory(dir.path).filter { !$0.hasPrefix(".") } == ["__cluster_metadata-0", "broker-0", "meta.properties"])
        try broker.shutdown()
        // Reopening keeps the identity.
        let again = try open(dir, seed: 2)
        #expect(again.clusterId == broker.clusterId)
        try again.shutdown()
    }

    @Test func createProduceFetchDescribe() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        let created = try broker.createTopic("orders", partitions: 3, configs: ["retention.ms": "60000"])
        #expect(created.partitions == 3 && created.replicationFactor == 1 && created.configs == ["retention.ms": "60000"])
        #expect(try broker.listTopics() == ["orders"])
        #expect(try broker.partitionCount(of: "orders") == 3)

        let tp = TopicPartition("orders", 1)
        let first = try broker.produce(tp, records: batch(["a", "b", "c"]))
        #expect(first.firstOffset == 0 && first.lastOffset == 2 && first.recordCount == 3)
        let second = try broker.produce(tp, records: batch(["d"]))
        #expect(second.firstOffset == 3)

        let fetched = try broker.fetch(tp, offset: 0, maxBytes: 1 << 20)
        #expect(try values(fetched.bytes) == ["a", "b", "c", "d"])
        #expect(fetched.highWatermark == 4 && fetched.logEndOffset == 4)
        #expect(try values(broker.fetch(tp, offset: 3, maxBytes: 1).bytes) == ["d"])
        #expect(try broker.fetch(tp, offset: 4, maxBytes: 100).bytes.isEmpty)

        let d = try broker.describeTopic("orders")
        #expect(d.name == "orders" && d.topicId == created.topicId && d.replicationFactor == 1)
        #expect(d.configs == ["retention.ms": "60000"])
        #expect(d.partitions.map(\.partition) == [0, 1, 2])
        let p1 = d.partitions[1]
        #expect(p1.leader == 0 && p1.replicas == [0] && p1.isr == [0] && p1.leaderEpoch == 0)
        #expect(p1.logStartOffset == 0 && p1.logEndOffset == 4 && p1.highWatermark == 4)
        #expect(p1.segmentCount == 1 && p1.sizeInBytes == Int64(batch(["a", "b", "c"]).count + batch(["d"]).count))
        #expect(d.partitions[0].logEndOffset == 0)
        // Every partition directory names its topic ID.
        let recorded = String(decoding: fileBytes(dir.file("broker-0/orders-2/partition.metadata")), as: UTF8.self)
        #expect(recorded == "version: 0\ntopic_id: \(created.topicId)\n")
        try broker.shutdown()
    }

    @Test func errorsForUnknownTopicsPartitionsAndOffsets() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("t", partitions: 2)
        #expect(throws: BrokerError.unknownTopicOrPartition("Topic 'nope' does not exist.")) {
            try broker.produce(TopicPartition("nope", 0), records: batch(["x"]))
        }
        #expect(throws: BrokerError.unknownTopicOrPartition("Partition 2 of topic 't' does not exist (the topic has 2 partitions).")) {
            try broker.fetch(TopicPartition("t", 2), offset: 0, maxBytes: 10)
        }
        #expect(throws: BrokerError.unknownTopicOrPartition("Topic 'nope' does not exist.")) { try broker.describeTopics(["t", "nope"]) }
        #expect(throws: BrokerError.unknownTopicOrPartition("Topic 'nope' does not exist.")) { try broker.deleteTopic("nope") }
        #expect(throws: BrokerError.topicAlreadyExists("Topic 't' already exists.")) { try broker.createTopic("t", partitions: 1) }
        #expect(throws: BrokerError.invalidReplicationFactor("Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.")) {
            try broker.createTopic("u", partitions: 1, replicationFactor: 2)
        }
        do {
            _ = try broker.fetch(TopicPartition("t", 0), offset: 5, maxBytes: 10)
            Issue.record("fetched past the end")
        } catch {
            #expect(error.kafkaErrorName == "OFFSET_OUT_OF_RANGE")
            #expect(error.kafkaErrorCode == 1)
        }
        do {
            _ = try broker.produce(TopicPartition("t", 0), records: [1, 2, 3])
            Issue.record("appended garbage")
        } catch {
            #expect(error.kafkaErrorName == "CORRUPT_MESSAGE")
        }
        // Nothing failed half-way: no extra topic, no data.
        #expect(try broker.listTopics() == ["t"])
        #expect(try broker.describeTopic("t").partitions.allSatisfy { $0.logEndOffset == 0 })
        try broker.shutdown()
        #expect(throws: BrokerError.brokerClosed) { try broker.listTopics() }
        #expect(throws: BrokerError.brokerClosed) { try broker.produce(TopicPartition("t", 0), records: batch(["x"])) }
        try broker.shutdown()  // idempotent
    }

    @Test func listOffsetsAndDeleteRecords() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("t", partitions: 1, configs: ["segment.bytes": "200"])
        let tp = TopicPartition("t", 0)
        for i in 0 ..< 10 {
            try broker.produce(tp, records: batch(["value-\(i)"], timestamp: 1000 + Int64(i) * 10))
        }
        #expect(try broker.listOffsets(tp, .earliest) == ListedOffset(offset: 0, timestamp: -1))
        #expect(try broker.listOffsets(tp, .latest) == ListedOffset(offset: 10, timestamp: -1))
        #expect(try broker.listOffsets(tp, .timestamp(1035)) == ListedOffset(offset: 4, timestamp: 1040))
        #expect(try broker.listOffsets(tp, .timestamp(0)) == ListedOffset(offset: 0, timestamp: 1000))
        #expect(try broker.listOffsets(tp, .timestamp(5000)) == .unknown)

        #expect(try broker.deleteRecords(tp, before: 6) == 6)
        #expect(try broker.listOffsets(tp, .earliest).offset == 6)
        #expect(try values(broker.fetch(tp, offset: 6, maxBytes: 1 << 20).bytes).first == "value-6")
        #expect(throws: BrokerError.self) { try broker.fetch(tp, offset: 5, maxBytes: 100) }
        #expect(throws: BrokerError.self) { try broker.deleteRecords(tp, before: 11) }
        #expect(try broker.deleteRecords(tp, before: -1) == 10)
        try broker.runMaintenance()
        #expect(try broker.describeTopic("t").partitions[0].segmentCount < 10)
        try broker.shutdown()

        let reopened = try open(dir)
        #expect(try reopened.listOffsets(tp, .earliest).offset == 10)
        #expect(try reopened.listOffsets(tp, .latest).offset == 10)
        try reopened.shutdown()
    }

    @Test func alterConfigsReachesTheLogsAndSurvivesReopen() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("t", partitions: 2, configs: ["retention.ms": "1000"])
        #expect(try broker.alterConfigs(topic: "t", set: ["cleanup.policy": "compact"], delete: ["retention.ms"]) == ["cleanup.policy": "compact"])
        #expect(broker.logManager.log(for: TopicPartition("t", 1))?.config.compact == true)
        #expect(broker.logManager.log(for: TopicPartition("t", 1))?.config.retentionMs == LogConfig().retentionMs)
        #expect(throws: BrokerError.self) { try broker.alterConfigs(topic: "t", set: ["max.message.bytes": "-1"]) }
        #expect(try broker.describeTopic("t").configs == ["cleanup.policy": "compact"])
        try broker.shutdown()
        let reopened = try open(dir)
        #expect(try reopened.describeTopic("t").configs == ["cleanup.policy": "compact"])
        #expect(reopened.logManager.log(for: TopicPartition("t", 0))?.config.compact == true)
        try reopened.shutdown()
    }

    @Test func deleteRemovesDirectoriesAndANewTopicStartsEmpty() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        let old = try broker.createTopic("t", partitions: 2)
        try broker.produce(TopicPartition("t", 0), records: batch(["old"]))
        try broker.deleteTopic("t")
        #expect(try broker.listTopics().isEmpty)
        #expect(listDirectory(dir.file("broker-0")).filter { $0.hasPrefix("t-") }.isEmpty)
        let new = try broker.createTopic("t", partitions: 1)
        #expect(new.topicId != old.topicId)
        #expect(try broker.fetch(TopicPartition("t", 0), offset: 0, maxBytes: 100).bytes.isEmpty)
        try broker.shutdown()
        let reopened = try open(dir)
        #expect(try reopened.describeTopic("t").topicId == new.topicId)
        #expect(try reopened.describeTopic("t").partitionCount == 1)
        try reopened.shutdown()
    }

    @Test func reopenAfterCrashKeepsTopicsAndData() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("a", partitions: 2)
        try broker.createTopic("b", partitions: 1, configs: ["flush.messages": "1"])
        try broker.produce(TopicPartition("b", 0), records: batch(["x", "y"]))
        try broker.deleteTopic("a")
        broker.simulateCrash()
        let reopened = try open(dir)
        #expect(try reopened.listTopics() == ["b"])
        #expect(try values(reopened.fetch(TopicPartition("b", 0), offset: 0, maxBytes: 1 << 20).bytes) == ["x", "y"])
        #expect(try reopened.describeTopic("b").partitions[0].highWatermark == 2)
        try reopened.shutdown()
    }

    @Test func crashBetweenRemoveTopicRecordAndDirectoryDeletionIsRepaired() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("gone", partitions: 2)
        try broker.createTopic("kept", partitions: 1)
        try broker.produce(TopicPartition("kept", 0), records: batch(["k"]))
        // Only the metadata half of a deletion happens before the "crash".
        try broker.metadataLog.append(try broker.controller.deleteTopic(name: "gone", image: broker.metadataImage))
        broker.simulateCrash()
        #expect(listDirectory(dir.file("broker-0")).contains("gone-0"))
        let reopened = try open(dir)
        #expect(try reopened.listTopics() == ["kept"])
        #expect(!listDirectory(dir.file("broker-0")).contains { $0.hasPrefix("gone-") })
        #expect(try values(reopened.fetch(TopicPartition("kept", 0), offset: 0, maxBytes: 100).bytes) == ["k"])
        try reopened.shutdown()
    }

    @Test func crashBeforePartitionDirectoriesExistIsRepaired() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        // Only the metadata half of a creation happens before the "crash".
        let create = try broker.controller.createTopic(name: "t", partitions: 3, replicationFactor: 1, configs: ["segment.ms": "5000"],
                                                       topicId: Uuid(mostSignificantBits: 9, leastSignificantBits: 9),
                                                       image: broker.metadataImage)
        try broker.metadataLog.append(create.records)
        broker.simulateCrash()
        let reopened = try open(dir)
        let d = try reopened.describeTopic("t")
        #expect(d.partitions.map(\.logEndOffset) == [0, 0, 0])
        #expect(reopened.logManager.log(for: TopicPartition("t", 2))?.config.segmentMs == 5000)
        #expect(PartitionMetadataFile.read(directory: dir.file("broker-0/t-2")) == create.topicId)
        try reopened.shutdown()
    }

    @Test func staleDirectoryOfAnEarlierIncarnationIsNotServed() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("t", partitions: 1)
        try broker.produce(TopicPartition("t", 0), records: batch(["old"]))
        try broker.shutdown()
        // Keep the old directory, as a deletion whose rename never happened would.
        let saved = dir.file("saved-t-0")
        try FileManager.default.copyItem(atPath: dir.file("broker-0/t-0"), toPath: saved)
        let b2 = try open(dir)
        try b2.deleteTopic("t")
        try b2.createTopic("t", partitions: 1)
        try b2.shutdown()
        try FileManager.default.removeItem(atPath: dir.file("broker-0/t-0"))
        try FileManager.default.moveItem(atPath: saved, toPath: dir.file("broker-0/t-0"))
        let b3 = try open(dir)
        #expect(try b3.fetch(TopicPartition("t", 0), offset: 0, maxBytes: 100).bytes.isEmpty)
        #expect(PartitionMetadataFile.read(directory: dir.file("broker-0/t-0")) == (try b3.describeTopic("t").topicId))
        try b3.shutdown()
    }

    @Test func unknownDirectoriesAreMovedAsideNotDeleted() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("t", partitions: 1)
        try broker.shutdown()
        try FileManager.default.createDirectory(atPath: dir.file("broker-0/mystery-0"), withIntermediateDirectories: false)
        writeFile(dir.file("broker-0/mystery-0/precious.txt"), [1, 2, 3])
        let reopened = try open(dir)
        let aside = listDirectory(dir.file("broker-0")).filter { $0.hasPrefix("mystery-0.") && $0.hasSuffix("-stray") }
        #expect(aside.count == 1)
        #expect(fileBytes(dir.file("broker-0/\(aside[0])/precious.txt")) == [1, 2, 3])
        #expect(try reopened.listTopics() == ["t"])
        try reopened.shutdown()
    }

    @Test func refusesDirectoriesItCannotTrust() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("t", partitions: 1)
        try broker.shutdown()
        // Another node's directory.
        var other = Broker.Options()
        other.nodeId = 1
        #expect { try Broker(dataDirectory: dir.path, clock: clock, options: other) } throws: { e in
            (e as! BrokerError).description.contains("belongs to node 0")
        }
        // Partition data but no metadata log.
        try FileManager.default.moveItem(atPath: dir.file("__cluster_metadata-0"), toPath: dir.file("saved-metadata"))
        #expect { try open(dir) } throws: { e in (e as! BrokerError).description.contains("no metadata log") }
        try FileManager.default.moveItem(atPath: dir.file("saved-metadata"), toPath: dir.file("__cluster_metadata-0"))
        // Data but no meta.properties.
        try FileManager.default.removeItem(atPath: dir.file("meta.properties"))
        #expect { try open(dir) } throws: { e in (e as! BrokerError).description.contains("no meta.properties") }
    }

    @Test func metadataSnapshotsAreTakenThroughTheBroker() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        var o = options()
        o.metadata = smallMetadataSettings(records: 4)
        let broker = try Broker(dataDirectory: dir.path, clock: clock, options: o)
        for i in 0 ..< 10 { try broker.createTopic("t\(i)", partitions: 2) }
        for i in 0 ..< 5 { try broker.deleteTopic("t\(i * 2)") }
        try broker.snapshotMetadata()
        let files = listDirectory(dir.file("__cluster_metadata-0")).filter { $0.hasSuffix(".checkpoint") }
        #expect(files.count == 1)
        let expected = broker.metadataImage
        broker.simulateCrash()
        let reopened = try Broker(dataDirectory: dir.path, clock: clock, options: o)
        #expect(reopened.metadataImage == expected)
        #expect(try reopened.listTopics() == ["t1", "t3", "t5", "t7", "t9"])
        try reopened.shutdown()
    }
}

extension BrokerTests {
    @Test func concurrentProduceFetchAndTopicChanges() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let broker = try open(dir)
        try broker.createTopic("busy", partitions: 4)
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            do {
                if worker < 4 {
                    let tp = TopicPartition("busy", Int32(worker))
                    for i in 0 ..< 50 {
                        let info = try broker.produce(tp, records: batch(["w\(worker)-\(i)"]))
                        if info.firstOffset != Int64(i) { failures.add("offset \(info.firstOffset) for record \(i)") }
                        _ = try broker.fetch(tp, offset: 0, maxBytes: 4096)
                    }
                } else {
                    for i in 0 ..< 10 {
                        let name = "side-\(worker)-\(i)"
                        try broker.createTopic(name, partitions: 2)
                        _ = try broker.describeTopics()
                        try broker.alterConfigs(topic: name, set: ["retention.ms": "\(i + 1)"])
                        if i % 2 == 0 { try broker.deleteTopic(name) }
                    }
                }
            } catch { failures.add("worker \(worker): \(error)") }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let d = try broker.describeTopic("busy")
        #expect(d.partitions.allSatisfy { $0.logEndOffset == 50 && $0.highWatermark == 50 })
        #expect(try broker.listTopics().count == 1 + 2 * 5)
        try broker.shutdown()
        let reopened = try open(dir)
        #expect(try reopened.listTopics().count == 11)
        #expect(try values(reopened.fetch(TopicPartition("busy", 3), offset: 49, maxBytes: 100).bytes) == ["w3-49"])
        try reopened.shutdown()
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

@Suite struct MetaPropertiesTests {
    @Test func parsesKafkaStyleProperties() throws {
        let text = "#Tue Jan 01 00:00:00 UTC 2030\n\n  version = 1\ncluster.id=abc\r\n! comment\nnode.id=3\n"
        #expect(try MetaProperties(parsing: text) == MetaProperties(clusterId: "abc", nodeId: 3))
        let written = MetaProperties(clusterId: "xyz", nodeId: 0)
        #expect(try MetaProperties(parsing: written.text) == written)
    }

    @Test func rejectsMissingOrBadFields() {
        for text in ["cluster.id=a\nnode.id=0", "version=2\ncluster.id=a\nnode.id=0", "version=1\nnode.id=0",
                     "version=1\ncluster.id=a", "version=1\ncluster.id=a\nnode.id=-1", "version=1\ncluster.id=a\nnode.id=x",
                     "version=1\ncluster.id=\nnode.id=0", "version=1\ngarbage\nnode.id=0"] {
            #expect(throws: BrokerError.self, "\(text)") { try MetaProperties(parsing: text) }
        }
    }
}
