import ArgumentParser
import EddyClient

extension Groups {
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a consumer group: the four positions and two lags of each partition.",
            discussion: """
                One row per partition the group has a committed offset for or a member is assigned: \
                TOPIC, PARTITION, CURRENT-OFFSET (the committed offset), LOG-END-OFFSET (the leader's \
                log end, including records not yet replicated to the ISR), HIGH-WATERMARK, POSITION \
                (the next offset a consumer running in this process will fetch), LAG (high watermark \
                minus committed offset), POSITION-LAG (high watermark minus position), CONSUMER-ID, \
                CLIENT-ID and LAST-STABLE-OFFSET (where read_committed consumers stop: below the high \
                watermark while an open transaction holds it back). '-' marks an unknown value. Members without partitions get a row with '-' \
                for topic and partition.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The group.", valueName: "group"))
        var group: String

        func run() throws {
            let group = self.group
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
    static let header = ["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "HIGH-WATERMARK", "POSITION",
                         "LAG", "POSITION-LAG", "CONSUMER-ID", "CLIENT-ID", "LAST-STABLE-OFFSET"]

    /// No lines at all when the group has neither partitions nor members.
    static func render(_ p: GroupPositions) -> [String] {
        var rows: [[String]] = p.rows.map { r in
            [r.topicPartition.topic, String(r.topicPartition.partition), Groups.cell(r.committedOffset),
             Groups.cell(r.logEndOffset), Groups.cell(r.highWatermark), Groups.cell(r.position), Groups.cell(r.lag),
             Groups.cell(r.positionLag), Groups.cell(r.memberId), Groups.cell(r.clientId), Groups.cell(r.lastStableOffset)]
        }
        rows += p.idleMembers.map { m in ["-", "-", "-", "-", "-", "-", "-", "-", m.memberId, m.clientId, "-"] }
        guard !rows.isEmpty else { return [] }
        return TextTable.render([header] + rows)
    }
}
