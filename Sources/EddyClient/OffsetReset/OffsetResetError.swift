import EddyProtocol

/// Why an offset reset could not be planned. Descriptions use the wording of Kafka's
/// `kafka-consumer-groups --reset-offsets` where Kafka has one.
public enum OffsetResetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The group still has members (or is rebalancing); its offsets would be overwritten by the
    /// next commit. Only `Empty` and `Dead` groups can be reset.
    case groupNotInactive(group: String, state: String)
    /// Neither `--all-topics` nor `--topic` was given (only `--from-file` may omit a scope).
    case missingScope
    /// A `--topic` argument that is not `topic` or `topic:p[,p...]`.
    case invalidTopicArgument(String, reason: String)
    /// A partition in `topic:p,...` that is not a non-negative 32-bit integer.
    case invalidPartition(String, topicArgument: String)
    /// A command-line scope argument that is neither `--all-topics` nor `--topic`.
    case invalidScopeArgument(String)
    /// The scope names a topic the caller supplied no partitions for.
    case unknownTopic(String)
    /// The scope or the reset file names a partition the caller supplied no offsets for.
    case unknownTopicOrPartition(TopicPartition)
    /// `--shift-by` needs a committed offset to shift from.
    case noCommittedOffset(TopicPartition)
    /// `--to-datetime` value not in one of the accepted formats (see `KafkaDateTime`).
    case invalidDateTime(String, reason: String)
    /// `--by-duration` value not an ISO-8601 duration (see `KafkaDuration`).
    case invalidDuration(String, reason: String)
    /// A bad line in a `--from-file` CSV; `line` is 1-based.
    case invalidResetFile(line: Int, text: String, reason: String)
    /// A `--from-file` CSV with no entry for the group being reset.
    case noResetPlanForGroup(String)

    public var description: String {
        switch self {
        case let .groupNotInactive(group, state):
            "Assignments can only be reset if the group '\(group)' is inactive, but the current state is \(state)."
        case .missingScope:
            "One of the reset scopes should be defined: --all-topics, --topic."
        case let .invalidTopicArgument(arg, reason):
            "Invalid topic arg '\(arg)', \(reason)"
        case let .invalidPartition(partition, arg):
            "Invalid partition '\(partition)' specified in topic arg '\(arg)'"
        case let .invalidScopeArgument(arg):
            "Invalid scope argument '\(arg)': expected --all-topics or --topic T[:P,P...]"
        case let .unknownTopic(topic):
            "Topic '\(topic)' does not exist"
        case let .unknownTopicOrPartition(tp):
            "Topic partition \(tp) does not exist"
        case let .noCommittedOffset(tp):
            "Cannot shift offset for partition \(tp) since there is no current committed offset"
        case let .invalidDateTime(value, reason):
            "Error parsing timestamp '\(value)': \(reason)"
        case let .invalidDuration(value, reason):
            "Error parsing duration '\(value)': \(reason)"
        case let .invalidResetFile(line, text, reason):
            "Invalid reset file, line \(line) '\(text)': \(reason)"
        case let .noResetPlanForGroup(group):
            "No reset plan for group \(group) found"
        }
    }
}
