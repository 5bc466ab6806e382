import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyConsole

/// The demo workload against a real in-process cluster: topics, producers, groups, and the
/// controls the console drives (pause, rates, members, replay).
@Suite(.serialized) struct DemoWorkloadTests {
    /// A 3-broker cluster with a running driver, short group timeouts, and a workload over it
    /// (not started).
    final class Harness: @unchecked Sendable {
        let directory: String
        let cluster: Cluster
        let driver: ClusterDriver
        let registry = LiveConsumers()
        let workload: DemoWorkload
        let admin: Admin

        init(settings: DemoSettings = Harness.settings) throws {
            directory = NSTemporaryDirectory() + "eddy-demo-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var options = ClusterOptions()
            options.initialBrokerCount = 3
            options.randomSeed = 5
            options.logCleanerThreads = false
            options.groupCoordinator.groupMinSessionTimeoutMs = 50
            options.groupCoordinator.groupInitialRebalanceDelayMs = 0
            options.groupCoordinator.offsetsTopicNumPartitions = 4
            cluster = try Cluster(dataDirectory: directory, clock: SystemClock(), options: options)
            driver = ClusterDriver(cluster: cluster, tickIntervalMs: 5)
            driver.start()
            workload = DemoWorkload(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, settings: settings,
                                    registry: registry)
            admin = Admin(client: KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers,
                                              clientId: "demo-test", requestTimeoutMs: 5_000, retryBackoffMs: 20),
                          config: AdminConfig(defaultApiTimeoutMs: 10_000))
        }

        /// The standard topics and groups, faster: short sessions and commits.
        static var settings: DemoSettings {
            var s = DemoSettings.standard
            s.sessionTimeoutMs = 2_000
            s.heartbeatIntervalMs = 100
            s.autoCommitIntervalMs = 100
            s.groups = s.groups.map { g in
                var g = g
                g.autoCommitIntervalMs = nil
                return g
            }
            s.fetchMaxWaitMs = 50
            s.requestTimeoutMs = 5_000
            return s
        }

        /// Runs `body` with a fresh harness and shuts it down after, also when `body` throws.
        static func run(_ body: (Harness) async throws -> Void) async throws {
            let h = try Harness()
            do {
                try await body(h)
            } catch {
                await h.shutdown()
                throw error
            }
            await h.shutdown()
        }

        func shutdown() async {
            await workload.stop(timeoutMs: 2_000)
            admin.client.close()
            driver.stop()
            try? cluster.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func logEnd(_ topic: String) throws -> Int64 {
            try cluster.describeTopic(topic).partitions.reduce(0) { $0 + $1.highWatermark }
        }

        func committed(_ group: String) async throws -> [TopicPartition: Int64] {
            try await admin.listConsumerGroupOffsets(group).mapValues(\.offset)
        }

        /// Polls `condition` until it holds; fails (throws) after `seconds`.
        func eventually(_ what: String, seconds: Double = 90, sourceLocation: SourceLocation = #_sourceLocation,
                        _ condition: () async throws -> Bool) async throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (try? await condition()) == true { return }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
            throw CancellationError()
        }

        /// Partitions per member of a Stable group, most first.
        func stableSpread(_ group: String) async throws -> [Int]? {
            let d = try await admin.describeConsumerGroup(group)
            guard d.state == .stable else { return nil }
            return d.members.map(\.assignment.count).sorted(by: >)
        }
    }

    @Test func startCreatesTheTopicsAndRunsEveryGroup() async throws {
        try await Harness.run { h in
            try await h.workload.start()
            let topics = try h.cluster.describeTopics().filter { !$0.name.hasPrefix("__") }
            #expect(topics.map(\.name).sorted() == ["customers", "orders", "payments"])
            #expect(topics.map { $0.partitions.count }.sorted() == [3, 3, 6])
            #expect(topics.allSatisfy { $0.replicationFactor == 3 })
            #expect(try h.cluster.describeTopic("customers").configs["cleanup.policy"] == "compact")
            #expect(h.workload.status().map(\.name) == ["orders-producer", "payments-producer", "customers-producer",
                                                        "audit-1", "billing-1", "shipping-1", "shipping-2", "shipping-3"])

            try await h.eventually("shipping has 3 members with 2 partitions each") { try await h.stableSpread("shipping") == [2, 2, 2] }
            try await h.eventually("billing and audit are stable") {
                let billing = try await h.stableSpread("billing"), audit = try await h.stableSpread("audit")
                return billing == [3] && audit == [6]
            }
            let members = try await h.admin.describeConsumerGroup("shipping").members.map(\.clientId).sorted()
            #expect(members == ["shipping-1", "shipping-2", "shipping-3"], "client ids are the worker names")
            try await h.eventually("every topic gets records and every group commits") {
                let counts = h.workload.recordCounts()
                guard ["orders-producer", "payments-producer", "customers-producer"].allSatisfy({ (counts[$0] ?? 0) > 20 }) else { return false }
                for g in ["shipping", "billing", "audit"] where try await h.committed(g).values.reduce(0, +) == 0 { return false }
                return true
            }
            // A rebalance may be under way at any one moment (a member's heartbeat late under
            // load): the members hold the 6 partitions once it settles.
            try await h.eventually("shipping's 3 live members hold its 6 partitions") {
                let live = h.registry.snapshot(groupId: "shipping")
                return live.count == 3 && Set(live.flatMap(\.assignment)).count == 6
            }
            // The broker counted the traffic: produce bytes in on leaders, fetch bytes out.
            let traffic = h.cluster.brokerTraffic()
            #expect(traffic.values.reduce(0) { $0 + $1.bytesIn } > 0)
            #expect(traffic.values.reduce(0) { $0 + $1.bytesOut } > 0)
            await #expect(throws: ClientError.self) { try await h.workload.start() }
        }
    }

    @Test func pauseRatesAndMembers() async throws {
        try await Harness.run { h in
            try await h.workload.start()
            try await h.eventually("shipping is stable with 3 members") { try await h.stableSpread("shipping") == [2, 2, 2] }

            // A paused producer writes nothing more.
            _ = try h.workload.setPaused("payments-producer", true)
            #expect(h.workload.status().first { $0.name == "payments-producer" }?.paused == true)
            // Records sent before the pause still land (each acknowledged or failed); then the
            // log stands still while orders, still produced, grows by more than a batch's worth.
            let payments = try #require(h.workload.lock.withLock { h.workload.producers.first { $0.name == "payments-producer" } })
            try await h.eventually("payments-producer has nothing in flight") { payments.isQuiescent }
            let paused = try h.logEnd("payments")
            let orders = try h.logEnd("orders")
            try await h.eventually("orders grows") { try h.logEnd("orders") > orders + 60 }
            #expect(try h.logEnd("payments") == paused)
            _ = try h.workload.setPaused("payments-producer", false)
            try await h.eventually("payments grows again") { try h.logEnd("payments") > paused }

            // A paused group keeps its members but its positions stand still.
            let message = try h.workload.setPaused("shipping", true)
            #expect(message.contains("group shipping paused (3 members)"), "\(message)")
            func shippingPositions() -> Int64 { h.registry.snapshot(groupId: "shipping").flatMap { $0.positions.values }.reduce(0, +) }
            // Its members' polls in flight may still move their positions until each has
            // paused its partitions (a fixed wait for stillness failed under load).
            try await h.eventually("shipping's members have paused their partitions") {
                let members = h.workload.lock.withLock { h.workload.consumers.filter { $0.group == "shipping" } }
                return members.count == 3 && members.allSatisfy(\.isPauseInEffect)
            }
            let held = shippingPositions()
            let end = try h.logEnd("orders")
            try await h.eventually("orders grows past shipping's positions") { try h.logEnd("orders") > end + 50 }
            #expect(shippingPositions() == held)
            #expect(try await h.stableSpread("shipping") == [2, 2, 2], "paused members stay in the group")
            _ = try h.workload.setPaused("shipping", false)
            try await h.eventually("shipping moves again") { shippingPositions() > held }

            // Rates: a producer's rate, a group's capacity per member.
            #expect(try h.workload.setRate("orders-producer", recordsPerSecond: 7.5) == "orders-producer now writes 7.5 records/s to orders")
            #expect(h.workload.status().first { $0.name == "orders-producer" }?.recordsPerSecond == 7.5)
            _ = try h.workload.setRate("audit", recordsPerSecond: 40)
            #expect(h.workload.status().first { $0.name == "audit-1" }?.recordsPerSecond == 40)
            #expect(throws: ClientError.self) { try h.workload.setRate("orders-producer", recordsPerSecond: -1) }
            #expect(throws: ClientError.self) { try h.workload.setPaused("nobody", true) }

            // Members: one more rebalances the group; removing it rebalances back.
            let added = try await h.workload.addMember(group: "shipping")
            #expect(added.hasPrefix("shipping-4 joins group shipping (4 members)"), "\(added)")
            try await h.eventually("shipping spreads over 4 members") { try await h.stableSpread("shipping") == [2, 2, 1, 1] }
            #expect(h.workload.members(of: "shipping") == ["shipping-1", "shipping-2", "shipping-3", "shipping-4"])
            let removed = try await h.workload.removeMember(group: "shipping")
            #expect(removed.hasPrefix("shipping-4 left group shipping (3 members left)"), "\(removed)")
            try await h.eventually("shipping is back to 3 members") { try await h.stableSpread("shipping") == [2, 2, 2] }
            await #expect(throws: ClientError.self) { try await h.workload.addMember(group: "nosuchgroup") }
            _ = try await h.workload.removeMember(group: "billing")
            await #expect(throws: ClientError.self) { try await h.workload.removeMember(group: "billing") }
        }
    }

    /// Replay: the group's members leave (Empty), the reset commits the log start offsets, the
    /// members come back and consume from there.
    @Test func replayResetsAPausedGroupAndItDrainsAgain() async throws {
        try await Harness.run { h in
            try await h.workload.start()
            try await h.eventually("audit has committed a few hundred records") {
                try await h.committed("audit").values.reduce(0, +) > 300
            }
            let before = try await h.committed("audit").values.reduce(0, +)
            let admin = h.admin
            let result = try await h.workload.withGroupPaused("audit") { () async throws(ClientError) -> String in
                do {
                    let d = try await admin.describeConsumerGroup("audit")
                    guard d.state == .empty, d.members.isEmpty else { return "not empty: \(d.state)" }
                    let plan = try await admin.planOffsetReset(group: "audit", scope: .allTopics, strategy: .toEarliest)
                    try await admin.executeOffsetReset(plan)
                    let now = try await admin.listConsumerGroupOffsets("audit").mapValues(\.offset)
                    guard now.count == 6, now.values.allSatisfy({ $0 == 0 }) else { return "committed after the reset: \(now)" }
                    return "reset \(plan.newOffsets.count) partitions"
                } catch let e as ClientError {
                    throw e
                } catch {
                    throw ClientError.illegalState("\(error)")
                }
            }
            #expect(result == "reset 6 partitions")
            #expect(h.workload.members(of: "audit") == ["audit-1"])
            try await h.eventually("audit re-consumes past where it was") {
                try await h.committed("audit").values.reduce(0, +) > before
            }
            // Held groups refuse member changes while out; an unknown group just runs the body.
            #expect(try await h.workload.withGroupPaused("elsewhere") { () async throws(ClientError) -> String in "ran" } == "ran")
        }
    }
}
