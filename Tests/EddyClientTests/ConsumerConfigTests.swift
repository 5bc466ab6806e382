import EddyProtocol
import Testing
@testable import EddyClient

@Suite struct ConsumerConfigTests {
    @Test func defaultsAreKafkas() throws {
        let c = try ConsumerConfig(properties: [:])
        #expect(c.groupId == nil && !c.autoCommitEnabled)
        #expect(c.autoCommitIntervalMs == 5_000 && c.autoOffsetReset == .latest && c.maxPollRecords == 500)
        #expect(c.maxPollIntervalMs == 300_000 && c.sessionTimeoutMs == 45_000 && c.heartbeatIntervalMs == 3_000)
        #expect(c.fetchMinBytes == 1 && c.fetchMaxBytes == 52_428_800 && c.maxPartitionFetchBytes == 1_048_576)
        #expect(c.fetchMaxWaitMs == 500 && c.isolationLevel == .readUncommitted)
        #expect(c.partitionAssignmentStrategy == ["range", "cooperative-sticky"] && c.rebalanceProtocol == .eager)
        #expect(c.requestTimeoutMs == 30_000 && c.retryBackoffMs == 100 && c.defaultApiTimeoutMs == 60_000)
        #expect(try ConsumerConfig(properties: ["group.id": "g"]).autoCommitEnabled)
    }

    @Test func everyPropertyParses() throws {
        let c = try ConsumerConfig(properties: [
            "group.id": "g", "group.instance.id": "i", "client.id": "c", "enable.auto.commit": "false",
            "auto.commit.interval.ms": "10", "auto.offset.reset": "earliest", "max.poll.records": "7",
            "max.poll.interval.ms": "1000", "session.timeout.ms": "600", "heartbeat.interval.ms": "100",
            "fetch.min.bytes": "2", "fetch.max.bytes": "3", "max.partition.fetch.bytes": "4", "fetch.max.wait.ms": "5",
            "isolation.level": "read_committed", "partition.assignment.strategy": " cooperative-sticky ",
            "request.timeout.ms": "6", "retry.backoff.ms": "7", "default.api.timeout.ms": "8", "check.crcs": "false",
            "metadata.max.age.ms": "9", "exclude.internal.topics": "false",
        ])
        #expect(c.groupId == "g" && c.groupInstanceId == "i" && c.clientId == "c" && c.enableAutoCommit == false)
        #expect(c.autoCommitIntervalMs == 10 && c.autoOffsetReset == .earliest && c.maxPollRecords == 7)
        #expect(c.maxPollIntervalMs == 1000 && c.sessionTimeoutMs == 600 && c.heartbeatIntervalMs == 100)
        #expect(c.fetchMinBytes == 2 && c.fetchMaxBytes == 3 && c.maxPartitionFetchBytes == 4 && c.fetchMaxWaitMs == 5)
        #expect(c.isolationLevel == .readCommitted && c.partitionAssignmentStrategy == ["cooperative-sticky"])
        #expect(c.rebalanceProtocol == .cooperative)
        #expect(c.requestTimeoutMs == 6 && c.retryBackoffMs == 7 && c.defaultApiTimeoutMs == 8 && !c.checkCrcs)
        #expect(c.metadataMaxAgeMs == 9 && !c.excludeInternalTopics)
        #expect(ConsumerConfig.propertyNames.count == 22)
    }

    @Test func kafkaAssignorClassNamesAreAccepted() throws {
        let c = try ConsumerConfig(properties: ["partition.assignment.strategy":
            "org.apache.kafka.clients.consumer.RoundRobinAssignor,org.apache.kafka.clients.consumer.StickyAssignor"])
        #expect(c.partitionAssignmentStrategy == ["roundrobin", "sticky"])
    }

    @Test(arguments: [
        ["no.such.property": "1"],
        ["max.poll.records": "0"],
        ["max.poll.records": "many"],
        ["auto.offset.reset": "smallest"],
        ["isolation.level": "serializable"],
        ["enable.auto.commit": "yes"],
        ["enable.auto.commit": "true"],                       // without group.id
        ["group.instance.id": "i"],                           // without group.id
        ["session.timeout.ms": "100", "heartbeat.interval.ms": "100"],
        ["partition.assignment.strategy": "fastest"],
        ["partition.assignment.strategy": "range,range"],
        ["partition.assignment.strategy": ""],
        ["fetch.max.wait.ms": "-1"],
    ])
    func invalidPropertiesAreConfigErrors(properties: [String: String]) {
        #expect {
            _ = try ConsumerConfig(properties: properties)
        } throws: { error in
            guard case .invalidConfig = error as? ClientError else { return false }
            return true
        }
    }

    @Test func rebalanceProtocolIsTheNewestEveryAssignorSupports() {
        var c = ConsumerConfig()
        c.partitionAssignmentStrategy = ["cooperative-sticky"]
        #expect(c.rebalanceProtocol == .cooperative)
        c.partitionAssignmentStrategy = ["sticky", "cooperative-sticky"]
        #expect(c.rebalanceProtocol == .eager)
    }
}
