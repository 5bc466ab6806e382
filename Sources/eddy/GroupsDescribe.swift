import ArgumentParser
import EddyClient
import EddyProtocol

extension Groups {
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a consumer group: the four positions and two lags of each partition.",
            discussion: """
                One row per partition the group has a committed offset for or a member is assigned: \
                GROUP, TOPIC, PARTITION, CURRENT-OFFSET (the committed offset), LOG-END-OFFSET (the leader's \
                log end, including records not yet replicated to the ISR), HIGH-WATERMARK, POSITION \
                (the next offset a consumer running in this process will fetch), LAG (high watermark \
                minus committed offset), POSITION-LAG (high watermark minus position), CONSUMER-ID, \
                HOST, CLIENT-ID and LAST-STABLE-OFFSET (where read_committed consumers stop: below the high \
                watermark while an open transaction holds it back). '-' marks an unknown value. Members without partitions get a row with '-' \
                for topic and partition.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The group.", valueName: "group"))
        var group: String?

        @Flag(help: "Describe every consumer group (sorted by name; blank lines between them), as kafka-consumer-groups --all-groups.")
        var allGroups = false

        @Flag(help: "The offsets view (the default): the table above.")
        var offsets = false

        @Flag(help: "One row per member: GROUP, CONSUMER-ID, HOST, CLIENT-ID, #PARTITIONS (with --verbose also ASSIGNMENT), as kafka-consumer-groups --members.")
        var members = false

        @Flag(help: "With --members: the ASSIGNMENT column, topic(partitions) of each member.")
        var verbose = false

        @Flag(help: "One row per group: GROUP, COORDINATOR (ID), ASSIGNMENT-STRATEGY, STATE, #MEMBERS, as kafka-consumer-groups --state.")
        var state = false

        func validate() throws {
            guard (group != nil) != allGroups else { throw ValidationError("give --group GROUP or --all-groups (one of the two)") }
            if let group, group.isEmpty { throw ValidationError("--group must not be empty") }
            guard [offsets, members, state].filter({ $0 }).count <= 1 else {
                throw ValidationError("--offsets, --members and --state are different views: give one of them")
            }
            if verbose, !members { throw ValidationError("--verbose goes with --members") }
        }

        func run() throws {
            let groupIds: [String]
            if let group {
                groupIds = [group]
            } else {
                groupIds = try Groups.withExistingAdmin(common) { try await $0.listConsumerGroups().map(\.groupId).sorted() }
            }
            for (i, group) in groupIds.enumerated() {
                if i > 0 { print("") }
                if members || state {
                    try describe(group)
                } else {
                    try describeOffsets(group)
                }
            }
        }

        /// --members or --state, from DescribeGroups (and DescribeCluster for the
        /// coordinator's address).
        private func describe(_ group: String) throws {
            let (description, brokers) = try Groups.withExistingAdmin(common) { admin in
                let d = try await admin.describeConsumerGroup(group)
                let brokers = (try? await admin.describeCluster())?.brokers ?? []
                return (d, brokers)
            }
            guard description.state != .dead else {
                throw EddyError(kafka: "GROUP_ID_NOT_FOUND", "Consumer group '\(group)' does not exist.")
            }
            let coordinator = brokers.first { $0.brokerId == description.coordinator }
            let lines = state ? GroupsDescribe.renderState(description, coordinatorAddress: coordinator.map { "\($0.host):\($0.port)" })
                : GroupsDescribe.renderMembers(description, verbose: verbose)
            if members, description.members.isEmpty {
                printNotice("Consumer group '\(group)' has no active members.")
            } else if members, description.state == .preparingRebalance || description.state == .completingRebalance {
                printNotice("Warning: Consumer group '\(group)' is rebalancing.")
            }
            lines.forEach { print($0) }
        }

        private func describeOffsets(_ group: String) throws {
            let positions = try Groups.withExistingAdmin(common) { try await $0.groupPositions(group) }
            switch positions.state {
            case .dead:
                throw EddyError(kafka: "GROUP_ID_NOT_FOUND", "Consumer group '\(group)' does not exist.")
            case .empty:
                printNotice("Consumer group '\(group)' has no active members.")
            case .preparingRebalance, .completingRebalance:
                printNotice("Warning: Consumer group '\(group)' is rebalancing.")
            case .stable, .unknown:
                break
            }
            let lines = GroupsDescribe.render(positions)
            lines.forEach { print($0) }
        }
    }
}

/// The table of `eddy groups describe`. Pure: positions in, lines out.
enum GroupsDescribe {
    /// kafka-consumer-groups' columns first (GROUP, TOPIC, PARTITION, CURRENT-OFFSET,
    /// LOG-END-OFFSET), its CONSUMER-ID, HOST and CLIENT-ID in its order, and eddy's other
    /// positions and lags among them.
    static let header = ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "HIGH-WATERMARK", "POSITION",
                         "LAG", "POSITION-LAG", "CONSUMER-ID", "HOST", "CLIENT-ID", "LAST-STABLE-OFFSET"]

    /// No lines at all when the group has neither partitions nor members.
    static func render(_ p: GroupPositions) -> [String] {
        var rows: [[String]] = p.rows.map { r in
            [p.groupId, r.topicPartition.topic, String(r.topicPartition.partition), Groups.cell(r.committedOffset),
             Groups.cell(r.logEndOffset), Groups.cell(r.highWatermark), Groups.cell(r.position), Groups.cell(r.lag),
             Groups.cell(r.positionLag), Groups.cell(r.memberId), Groups.cell(r.host), Groups.cell(r.clientId),
             Groups.cell(r.lastStableOffset)]
        }
        rows += p.idleMembers.map { m in
            [p.groupId, "-", "-", "-", "-", "-", "-", "-", "-", m.memberId, Groups.cell(m.host), Groups.cell(m.clientId), "-"]
        }
        guard !rows.isEmpty else { return [] }
        return TextTable.render([header] + rows)
    }

    /// `--members`: a row per member, as kafka-consumer-groups prints them; `--verbose` adds
    /// each member's assignment as `topic(0,1),other(2)` (`-` for none). No lines without members.
    static func renderMembers(_ d: Admin.ConsumerGroupDescription, verbose: Bool) -> [String] {
        guard !d.members.isEmpty else { return [] }
        var header = ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
        if verbose { header.append("ASSIGNMENT") }
        let rows = d.members.sorted { ($0.clientId, $0.memberId) < ($1.clientId, $1.memberId) }.map { m -> [String] in
            var row = [d.groupId, m.memberId, Groups.cell(m.host), Groups.cell(m.clientId), String(m.assignment.count)]
            if verbose { row.append(assignment(m.assignment)) }
            return row
        }
        return TextTable.render([header] + rows)
    }

    /// `topic(0,1),other(2)`, topics and partitions sorted; `-` when empty.
    static func assignment(_ partitions: [TopicPartition]) -> String {
        guard !partitions.isEmpty else { return "-" }
        let byTopic: [String: [TopicPartition]] = Dictionary(grouping: partitions) { $0.topic }
        return byTopic.keys.sorted().map { (topic: String) -> String in
            let ids: [String] = byTopic[topic, default: []].map(\.partition).sorted().map { String($0) }
            return topic + "(" + ids.joined(separator: ",") + ")"
        }.joined(separator: ",")
    }

    /// `--state`: one row, as kafka-consumer-groups prints it (the coordinator as
    /// `host:port (id)`, or `(id)` when its address is unknown, as in a data directory).
    static func renderState(_ d: Admin.ConsumerGroupDescription, coordinatorAddress: String?) -> [String] {
        let coordinator = (coordinatorAddress.map { $0 + " " } ?? "") + "(\(d.coordinator))"
        return TextTable.render([["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"],
                                 [d.groupId, coordinator, d.partitionAssignor.isEmpty ? "-" : d.partitionAssignor, d.state.name,
                                  String(d.members.count)]])
    }
}
