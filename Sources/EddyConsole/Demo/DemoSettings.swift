import EddyClient

/// What the demo workload creates and runs: its topics, its producers with their rates, and
/// its consumer groups. `standard` is what `eddy demo` runs: a few hundred records per second
/// in all, so the demo and its cluster stay light on the CPU.
public struct DemoSettings: Sendable, Equatable {
    /// A topic the demo creates if it does not exist yet.
    public struct TopicSpec: Sendable, Equatable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int16
        public var configs: [String: String]

        public init(name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    /// A producer writing the demo events of `topic` (see `DemoEvents`) at a rate.
    public struct ProducerSpec: Sendable, Equatable {
        /// The worker's name, also its client.id.
        public var name: String
        public var topic: String
        public var recordsPerSecond: Double

        public init(name: String, topic: String, recordsPerSecond: Double) {
            self.name = name
            self.topic = topic
            self.recordsPerSecond = recordsPerSecond
        }
    }

    /// A consumer group of the demo: `members` consumers named `<group>-1`, `<group>-2`, ...
    public struct GroupSpec: Sendable, Equatable {
        public var group: String
        public var topics: [String]
        public var members: Int
        /// max.poll.records of each member.
        public var maxPollRecords: Int
        /// The most records per second one member processes (it sleeps after each poll as if
        /// processing took 1/capacity s per record); nil: as fast as records come.
        public var capacityPerMember: Double?
        /// auto.commit.interval.ms of each member; nil: the settings' `autoCommitIntervalMs`.
        public var autoCommitIntervalMs: Int64?

        public init(group: String, topics: [String], members: Int, maxPollRecords: Int = 500, capacityPerMember: Double? = nil,
                    autoCommitIntervalMs: Int64? = nil) {
            self.group = group
            self.topics = topics
            self.members = members
            self.maxPollRecords = maxPollRecords
            self.capacityPerMember = capacityPerMember
            self.autoCommitIntervalMs = autoCommitIntervalMs
        }
    }

    public var topics: [TopicSpec]
    public var producers: [ProducerSpec]
    public var groups: [GroupSpec]
    /// How often producers wake to send what their rate owes, in ms.
    public var producerTickMs: Int64 = 100
    /// session.timeout.ms, heartbeat.interval.ms and auto.commit.interval.ms of every member.
    public var sessionTimeoutMs: Int32 = 10_000
    public var heartbeatIntervalMs: Int64 = 1_000
    public var autoCommitIntervalMs: Int64 = 1_000
    /// fetch.max.wait.ms of every member.
    public var fetchMaxWaitMs: Int32 = 500
    /// request.timeout.ms of every client (short, so a stopped broker is noticed quickly).
    public var requestTimeoutMs: Int64 = 10_000
    /// Seed of the event generators.
    public var seed: UInt64 = 42

    public init(topics: [TopicSpec], producers: [ProducerSpec], groups: [GroupSpec]) {
        self.topics = topics
        self.producers = producers
        self.groups = groups
    }

    /// The demo of `eddy demo`: `orders` (6 partitions), `payments` (3) and the compacted
    /// `customers` (3), all replicated 3 times; producers at 120, 50 and 20 records/s; groups
    /// `shipping` (3 members on orders), `billing` (1 on payments) and `audit` (1 on orders,
    /// processing at most 180 records/s per member, 20 per poll, committing every 5 s as Kafka's
    /// default does: its lag is the largest, it falls behind when orders speed up, and it takes
    /// a while to drain a replay).
    public static let standard = DemoSettings(
        topics: [
            TopicSpec(name: "orders", partitions: 6, replicationFactor: 3),
            TopicSpec(name: "payments", partitions: 3, replicationFactor: 3),
            TopicSpec(name: "customers", partitions: 3, replicationFactor: 3, configs: ["cleanup.policy": "compact"]),
        ],
        producers: [
            ProducerSpec(name: "orders-producer", topic: "orders", recordsPerSecond: 120),
            ProducerSpec(name: "payments-producer", topic: "payments", recordsPerSecond: 50),
            ProducerSpec(name: "customers-producer", topic: "customers", recordsPerSecond: 20),
        ],
        groups: [
            GroupSpec(group: "shipping", topics: ["orders"], members: 3),
            GroupSpec(group: "billing", topics: ["payments"], members: 1),
            GroupSpec(group: "audit", topics: ["orders"], members: 1, maxPollRecords: 20, capacityPerMember: 180,
                      autoCommitIntervalMs: 5_000),
        ])

    /// The spec of `group`, nil for a group the demo does not run.
    public func group(_ name: String) -> GroupSpec? { groups.first { $0.group == name } }
}
