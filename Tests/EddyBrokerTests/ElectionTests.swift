import EddyProtocol
import Testing
@testable import EddyBroker

/// Helpers shared by the election and AlterPartition tests.
enum ElectionFixture {
    static let topicId = Uuid(mostSignificantBits: 0xE1EC_7104, leastSignificantBits: 0x8000_0000_0000_0001)

    /// One partition shape: replicas in preference order, ISR, leader (-1 for none).
    struct Shape: CustomStringConvertible {
        var replicas: [Int32]
        var isr: [Int32]
        var leader: Int32
        var description: String { "replicas \(replicas) isr \(isr) leader \(leader)" }
    }

    /// Every shape over brokers 0...2 with replication factor 1...3: each replica order, each
    /// non-empty ISR (in replica order), each leader among the ISR or none.
    static let allShapes: [Shape] = {
        var out: [Shape] = []
        func orders(_ k: Int, _ from: [Int32]) -> [[Int32]] {
            guard k > 0 else { return [[]] }
            return from.flatMap { b in orders(k - 1, from.filter { $0 != b }).map { [b] + $0 } }
        }
        for rf in 1 ... 3 {
            for replicas in orders(rf, [0, 1, 2]) {
                for mask in 1 ..< (1 << rf) {
                    let isr = replicas.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
                    for leader in [-1] + isr { out.append(Shape(replicas: replicas, isr: isr, leader: leader)) }
                }
            }
        }
        return out
    }()

    /// Brokers 0...2 registered, broker b fenced when bit b of `fencedMask` is set; topic "t"
    /// with one partition per shape (leader epoch 5, partition epoch 7).
    static func image(shapes: [Shape], fencedMask: Int, unclean: Bool, shuttingDownMask: Int = 0) throws -> MetadataImage {
        var image = MetadataImage()
        for b in 0 ..< 3 {
            try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: Int32(b), fenced: fencedMask & (1 << b) != 0,
                                                                 inControlledShutdown: shuttingDownMask & (1 << b) != 0)))
        }
        try image.apply(.topic(TopicRecord(name: "t", topicId: topicId)))
        for (p, s) in shapes.enumerated() {
            try image.apply(.partition(PartitionRecord(partitionId: Int32(p), topicId: topicId, replicas: s.replicas, isr: s.isr,
                                                       leader: s.leader, leaderEpoch: 5, partitionEpoch: 7)))
        }
        if unclean {
            try image.apply(.config(ConfigRecord(resourceName: "t", name: "unclean.leader.election.enable", value: "true")))
        }
        return image
    }

    static func applying(_ records: [MetadataRecord], to image: MetadataImage) throws -> MetadataImage {
        var next = image
        for r in records { try next.apply(r) }
        #expect(next.invariantViolation == nil)
        return next
    }

    /// A 3-broker cluster with topic "t" created by the controller (RF 3, `partitions` partitions).
    static func cluster(partitions: Int32 = 3, configs: [String: String] = [:]) throws -> (Controller, MetadataImage) {
        let controller = Controller(brokerIds: [])
        var image = try applying(try controller.registerBrokers([0, 1, 2], image: MetadataImage()), to: MetadataImage())
        let created = try controller.createTopic(name: "t", partitions: partitions, replicationFactor: 3, configs: configs,
                                                 topicId: topicId, image: image)
        image = try applying(created.records, to: image)
        return (controller, image)
    }

    static func state(_ image: MetadataImage, _ p: Int32) -> PartitionRegistration { image.partition(TopicPartition("t", p))! }
}

@Suite struct ElectionTests {
    typealias F = ElectionFixture

    /// Checks the epochs of `after` against `before`: the leader epoch grows by one exactly when
    /// the leader changed, the partition epoch by one exactly when anything changed.
    func expectEpochs(_ before: PartitionRegistration, _ after: PartitionRegistration, _ context: String) {
        let leaderChanged = before.leader != after.leader
        let changed = leaderChanged || before.isr != after.isr
        #expect(after.leaderEpoch == before.leaderEpoch + (leaderChanged ? 1 : 0), "\(context)")
        #expect(after.partitionEpoch == before.partitionEpoch + (changed ? 1 : 0), "\(context)")
        #expect(after.replicas == before.replicas, "\(context)")
    }

    @Test(arguments: 0 ..< 8)
    func fencingEveryBrokerInEveryShape(fencedMask: Int) throws {
        let controller = Controller(brokerIds: [])
        for unclean in [false, true] {
            let image = try F.image(shapes: F.allShapes, fencedMask: fencedMask, unclean: unclean)
            for x: Int32 in 0 ... 2 {
                let result = try controller.fenceBroker(x, image: image)
                let next = try F.applying(result.records, to: image)
                #expect(next.brokers[x]!.fenced)
                #expect(result.records.filter { if case .brokerRegistrationChange = $0 { true } else { false } }.count
                    == (image.brokers[x]!.fenced ? 0 : 1))
                for b: Int32 in 0 ... 2 where b != x { #expect(next.brokers[b] == image.brokers[b]) }
                let active = { (r: Int32) in r != x && image.isActive(r) }
                for (p, shape) in F.allShapes.enumerated() {
                    let context = "fence \(x), fenced mask \(fencedMask), unclean \(unclean), \(shape)"
                    let before = F.state(image, Int32(p)), after = F.state(next, Int32(p))
                    let reportedUnclean = result.uncleanElections.contains(TopicPartition("t", Int32(p)))
                    guard before.isr.contains(x) else {
                        #expect(after == before, "\(context)")
                        #expect(!reportedUnclean, "\(context)")
                        continue
                    }
                    let target = before.isr.filter { $0 != x }
                    let valid = { (r: Int32) in target.contains(r) && active(r) }
                    expectEpochs(before, after, context)
                    #expect(after.leader != x, "\(context)")
                    if valid(before.leader) { #expect(after.leader == before.leader, "\(context)") }
                    if reportedUnclean {
                        // Elected from outside the ISR: the ISR is just the new leader.
                        #expect(unclean && active(after.leader) && !target.contains(after.leader), "\(context)")
                        #expect(!target.contains(where: active), "\(context)")
                        #expect(after.isr == [after.leader], "\(context)")
                        #expect(!before.replicas.prefix { $0 != after.leader }.contains(where: active), "\(context)")
                    } else {
                        // The ISR loses x, but never its last member.
                        #expect(after.isr == (target.isEmpty ? before.isr : target), "\(context)")
                        if after.leader == PartitionRegistration.noLeader {
                            #expect(!target.contains(where: active), "\(context)")
                            #expect(!unclean || !before.replicas.contains(where: active), "\(context)")
                        } else {
                            #expect(valid(after.leader), "\(context)")
                            if after.leader != before.leader {
                                // The first valid replica in preference order.
                                #expect(!before.replicas.prefix { $0 != after.leader }.contains(where: valid), "\(context)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: 0 ..< 8)
    func unfencingEveryBrokerInEveryShape(fencedMask: Int) throws {
        let controller = Controller(brokerIds: [])
        for unclean in [false, true] {
            let image = try F.image(shapes: F.allShapes, fencedMask: fencedMask, unclean: unclean, shuttingDownMask: fencedMask & 1)
            for x: Int32 in 0 ... 2 {
                let result = try controller.unfenceBroker(x, image: image)
                let next = try F.applying(result.records, to: image)
                #expect(next.brokers[x]!.isActive)
                #expect(result.records.contains { if case .brokerRegistrationChange = $0 { true } else { false } }
                    == !image.brokers[x]!.isActive)
                let acceptable = { (r: Int32) in r == x || image.isActive(r) }
                for (p, shape) in F.allShapes.enumerated() {
                    let context = "unfence \(x), fenced mask \(fencedMask), unclean \(unclean), \(shape)"
                    let before = F.state(image, Int32(p)), after = F.state(next, Int32(p))
                    let reportedUnclean = result.uncleanElections.contains(TopicPartition("t", Int32(p)))
                    expectEpochs(before, after, context)
                    guard !before.hasLeader else {
                        #expect(after == before && !reportedUnclean, "\(context)")
                        continue
                    }
                    if let clean = before.replicas.first(where: { before.isr.contains($0) && acceptable($0) }) {
                        #expect(after.leader == clean && after.isr == before.isr && !reportedUnclean, "\(context)")
                    } else if unclean, let any = before.replicas.first(where: acceptable) {
                        #expect(after.leader == any && after.isr == [any] && reportedUnclean, "\(context)")
                    } else {
                        #expect(after == before && !reportedUnclean, "\(context)")
                    }
                }
            }
        }
    }

    @Test(arguments: 0 ..< 8)
    func controlledShutdownMovesLeadershipLikeFencing(fencedMask: Int) throws {
        let controller = Controller(brokerIds: [])
        for unclean in [false, true] {
            let image = try F.image(shapes: F.allShapes, fencedMask: fencedMask, unclean: unclean)
            for x: Int32 in 0 ... 2 {
                let shutdown = try controller.controlledShutdown(x, image: image)
                let fence = try controller.fenceBroker(x, image: image)
                let partitionRecords = { (rs: [MetadataRecord]) in rs.filter { if case .partitionChange = $0 { true } else { false } } }
                #expect(partitionRecords(shutdown.records) == partitionRecords(fence.records))
                #expect(shutdown.uncleanElections == fence.uncleanElections)
                let next = try F.applying(shutdown.records, to: image)
                #expect(next.brokers[x]!.fenced && next.brokers[x]!.inControlledShutdown)
                // Registration first (Kafka's order for controlled shutdown).
                if case .brokerRegistrationChange = shutdown.records.first {} else { Issue.record("\(shutdown.records)") }
            }
        }
    }

    @Test(arguments: 0 ..< 8)
    func preferredElectionInEveryShape(fencedMask: Int) throws {
        let controller = Controller(brokerIds: [])
        let image = try F.image(shapes: F.allShapes, fencedMask: fencedMask, unclean: false)
        let next = try F.applying(controller.preferredLeaderElection(image: image), to: image)
        for (p, shape) in F.allShapes.enumerated() {
            let context = "fenced mask \(fencedMask), \(shape)"
            let before = F.state(image, Int32(p)), after = F.state(next, Int32(p))
            expectEpochs(before, after, context)
            #expect(after.isr == before.isr, "\(context)")
            let valid = { (r: Int32) in before.isr.contains(r) && image.isActive(r) }
            let preferred = before.replicas[0]
            if before.leader == preferred {
                #expect(after == before, "\(context)")
            } else if valid(preferred) {
                #expect(after.leader == preferred, "\(context)")
            } else if valid(before.leader) {
                #expect(after == before, "\(context)")
            } else {
                #expect(after.leader == (before.replicas.first(where: valid) ?? PartitionRegistration.noLeader), "\(context)")
            }
        }
    }

    // MARK: Scenarios

    @Test func failoverThroughAllBrokersAndBack() throws {
        let (controller, created) = try F.cluster()
        var image = created
        #expect((0 ..< 3).map { F.state(image, $0).replicas } == [[0, 1, 2], [1, 2, 0], [2, 0, 1]])

        // Broker 0 dies: p0 moves to the next replica in preference order, 0 leaves every ISR.
        var result = try controller.fenceBroker(0, image: image)
        image = try F.applying(result.records, to: image)
        #expect(result.uncleanElections.isEmpty)
        #expect((0 ..< 3).map { F.state(image, $0).leader } == [1, 1, 2])
        #expect((0 ..< 3).map { F.state(image, $0).isr } == [[1, 2], [1, 2], [2, 1]])
        #expect((0 ..< 3).map { F.state(image, $0).leaderEpoch } == [1, 0, 0])
        #expect((0 ..< 3).map { F.state(image, $0).partitionEpoch } == [1, 1, 1])

        result = try controller.fenceBroker(1, image: image)
        image = try F.applying(result.records, to: image)
        #expect((0 ..< 3).map { F.state(image, $0).leader } == [2, 2, 2])
        #expect((0 ..< 3).map { F.state(image, $0).isr } == [[2], [2], [2]])

        // The last ISR member dies: every partition goes offline, keeping 2 in its ISR.
        result = try controller.fenceBroker(2, image: image)
        image = try F.applying(result.records, to: image)
        #expect((0 ..< 3).map { F.state(image, $0).leader } == [-1, -1, -1])
        #expect((0 ..< 3).map { F.state(image, $0).isr } == [[2], [2], [2]])
        #expect(image.activeBrokerIds.isEmpty)

        // Broker 0 returns: without unclean election nothing can lead.
        result = try controller.unfenceBroker(0, image: image)
        image = try F.applying(result.records, to: image)
        #expect(result.records.count == 1)
        #expect((0 ..< 3).map { F.state(image, $0).leader } == [-1, -1, -1])

        // Broker 2, the last ISR member, returns and leads everything in a new epoch.
        let epochs = (0 ..< 3).map { F.state(image, $0).leaderEpoch }
        result = try controller.unfenceBroker(2, image: image)
        image = try F.applying(result.records, to: image)
        #expect((0 ..< 3).map { F.state(image, $0).leader } == [2, 2, 2])
        #expect((0 ..< 3).map { F.state(image, $0).leaderEpoch } == epochs.map { $0 + 1 })

        // Broker 0 catches up and rejoins the ISRs; preferred election gives p0 back to it.
        #expect(controller.preferredLeaderElection(image: image).isEmpty)
        for p: Int32 in 0 ..< 3 {
            let s = F.state(image, p)
            let isr = s.replicas.filter { $0 == 0 || s.isr.contains($0) }
            image = try F.applying(try controller.alterPartition(TopicPartition("t", p), leaderId: 2, leaderEpoch: s.leaderEpoch,
                                                                 partitionEpoch: s.partitionEpoch, newIsr: isr, image: image), to: image)
        }
        let preferred = controller.preferredLeaderElection(image: image)
        #expect(preferred.count == 1)
        image = try F.applying(preferred, to: image)
        #expect((0 ..< 3).map { F.state(image, $0).leader } == [0, 2, 2])
        #expect(controller.preferredLeaderElection(image: image).isEmpty)
    }

    @Test func uncleanElectionPicksTheFirstLiveReplicaAndIsReported() throws {
        let (controller, created) = try F.cluster(partitions: 2, configs: ["unclean.leader.election.enable": "true"])
        var image = created
        for b: Int32 in [0, 1] { image = try F.applying(try controller.fenceBroker(b, image: image).records, to: image) }
        #expect(F.state(image, 0).isr == [2] && F.state(image, 1).isr == [2])
        // 2 is the last ISR member; with unclean election its death hands leadership to a live
        // replica only if one exists. None does, so the partitions go offline.
        var result = try controller.fenceBroker(2, image: image)
        image = try F.applying(result.records, to: image)
        #expect(result.uncleanElections.isEmpty)
        #expect(F.state(image, 0).leader == -1)
        // Broker 1 comes back first: it was out of sync, but unclean election lets it lead.
        result = try controller.unfenceBroker(1, image: image)
        image = try F.applying(result.records, to: image)
        #expect(result.uncleanElections == [TopicPartition("t", 0), TopicPartition("t", 1)])
        #expect(F.state(image, 0).leader == 1 && F.state(image, 0).isr == [1])
        #expect(F.state(image, 1).leader == 1 && F.state(image, 1).isr == [1])
    }

    @Test func uncleanElectionWhenTheLastIsrMemberDies() throws {
        let (controller, created) = try F.cluster(partitions: 1, configs: ["unclean.leader.election.enable": "true"])
        var image = try F.applying(try controller.fenceBroker(2, image: created).records, to: created)
        // An ISR of [0] only: broker 1 is alive but out of sync.
        let s = F.state(image, 0)
        image = try F.applying(try controller.alterPartition(TopicPartition("t", 0), leaderId: 0, leaderEpoch: s.leaderEpoch,
                                                             partitionEpoch: s.partitionEpoch, newIsr: [0], image: image), to: image)
        let result = try controller.fenceBroker(0, image: image)
        image = try F.applying(result.records, to: image)
        #expect(result.uncleanElections == [TopicPartition("t", 0)])
        #expect(F.state(image, 0).leader == 1 && F.state(image, 0).isr == [1])
    }

    @Test func switchingUncleanElectionOnElectsOfflinePartitions() throws {
        let (controller, created) = try F.cluster(partitions: 1)
        var image = created
        for b: Int32 in [0, 1, 2] { image = try F.applying(try controller.fenceBroker(b, image: image).records, to: image) }
        image = try F.applying(try controller.unfenceBroker(0, image: image).records, to: image)
        #expect(F.state(image, 0).leader == -1)
        #expect(controller.uncleanLeaderElection(image: image) == Controller.ElectionResult())
        image = try F.applying(try controller.alterConfigs(topic: "t", set: ["unclean.leader.election.enable": "true"], delete: [],
                                                           image: image), to: image)
        let result = controller.uncleanLeaderElection(image: image)
        image = try F.applying(result.records, to: image)
        #expect(result.uncleanElections == [TopicPartition("t", 0)])
        #expect(F.state(image, 0).leader == 0 && F.state(image, 0).isr == [0])
    }

    @Test func singleReplicaPartitionKeepsItsOnlyIsrMember() throws {
        let controller = Controller(brokerIds: [])
        let image = try F.image(shapes: [F.Shape(replicas: [1], isr: [1], leader: 1)], fencedMask: 0, unclean: false)
        let fenced = try F.applying(try controller.fenceBroker(1, image: image).records, to: image)
        #expect(F.state(fenced, 0) == PartitionRegistration(replicas: [1], isr: [1], leader: -1, leaderEpoch: 6, partitionEpoch: 8))
        let back = try F.applying(try controller.unfenceBroker(1, image: fenced).records, to: fenced)
        #expect(F.state(back, 0) == PartitionRegistration(replicas: [1], isr: [1], leader: 1, leaderEpoch: 7, partitionEpoch: 9))
    }

    @Test func brokersMustBeRegistered() throws {
        let controller = Controller(brokerIds: [0])
        for call in [controller.fenceBroker, controller.unfenceBroker, controller.controlledShutdown] {
            #expect(throws: BrokerError.brokerIdNotRegistered("Broker ID 4 is not currently registered")) {
                try call(4, MetadataImage())
            }
        }
    }

    @Test func repeatedStateChangesEmitNothingNew() throws {
        let (controller, created) = try F.cluster()
        let fenced = try F.applying(try controller.fenceBroker(1, image: created).records, to: created)
        #expect(try controller.fenceBroker(1, image: fenced) == Controller.ElectionResult())
        let stopped = try F.applying(try controller.controlledShutdown(0, image: fenced).records, to: fenced)
        #expect(try controller.controlledShutdown(0, image: stopped) == Controller.ElectionResult())
        #expect(try controller.unfenceBroker(2, image: stopped) == Controller.ElectionResult())
        // Unfencing a broker in controlled shutdown clears both flags in one record.
        let restarted = try controller.unfenceBroker(0, image: stopped)
        #expect(restarted.records.first == .brokerRegistrationChange(
            BrokerRegistrationChangeRecord(brokerId: 0, fenced: false, inControlledShutdown: false)))
    }
}
