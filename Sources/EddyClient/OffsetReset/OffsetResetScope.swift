import EddyProtocol

/// Which partitions of a group a reset touches, Kafka's `--all-topics` / `--topic` options.
public enum OffsetResetScope: Sendable, Equatable {
    /// Every partition the group has a committed offset for.
    case allTopics
    /// The listed topics; each either whole (all its partitions) or the given partitions.
    case topics([TopicSelection])

    /// One `--topic` argument: `topic` (every partition) or `topic:p[,p...]`.
    public struct TopicSelection: Sendable, Equatable {
        public var topic: String
        /// nil means every partition of the topic. Sorted, without duplicates.
        public var partitions: [Int32]?

        public init(topic: String, partitions: [Int32]? = nil) {
            self.topic = topic
            self.partitions = partitions.map { Array(Set($0)).sorted() }
        }

        /// Parses `topic` or `topic:p[,p...]` as Kafka does: one ':' at most, a non-empty
        /// topic, and after ':' a non-empty comma-separated list of non-negative partitions.
        public init(parsing argument: String) throws {
            let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
            guard let topic = parts.first, !topic.isEmpty else {
                throw OffsetResetError.invalidTopicArgument(argument, reason: "expected a topic name")
            }
            switch parts.count {
            case 1:
                self.init(topic: String(topic))
            case 2:
                guard !parts[1].isEmpty else {
                    throw OffsetResetError.invalidTopicArgument(argument, reason: "expected topic name and partitions")
                }
                var partitions: [Int32] = []
                for p in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                    let trimmed = p.offsetResetTrimmed
                    guard let n = Int32(trimmed), n >= 0 else {
                        throw OffsetResetError.invalidPartition(String(p), topicArgument: argument)
                    }
                    partitions.append(n)
                }
                self.init(topic: String(topic), partitions: partitions)
            default:
                throw OffsetResetError.invalidTopicArgument(argument, reason: "expected topic name and partitions")
            }
        }
    }

    /// Parses several `--topic` values, e.g. `["orders:0,1", "payments"]`.
    public init(topicArguments: [String]) throws {
        guard !topicArguments.isEmpty else { throw OffsetResetError.missingScope }
        self = .topics(try topicArguments.map(TopicSelection.init(parsing:)))
    }

    /// Parses the scope part of a command line: `--all-topics`, or one or more
    /// `--topic T[:P,P...]` (also `--topic=T...`). Mixing the two is an error, as in Kafka.
    /// Returns nil when no scope option is present (only valid with `--from-file`).
    public static func parse(arguments: [String]) throws -> OffsetResetScope? {
        var all = false
        var topics: [String] = []
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--all-topics" {
                all = true
            } else if arg == "--topic" {
                guard i + 1 < arguments.count else { throw OffsetResetError.invalidScopeArgument(arg) }
                topics.append(arguments[i + 1]); i += 1
            } else if arg.hasPrefix("--topic=") {
                topics.append(String(arg.dropFirst("--topic=".count)))
            } else {
                throw OffsetResetError.invalidScopeArgument(arg)
            }
            i += 1
        }
        if all && !topics.isEmpty {
            throw OffsetResetError.invalidScopeArgument("--all-topics cannot be combined with --topic")
        }
        if all { return .allTopics }
        return topics.isEmpty ? nil : try OffsetResetScope(topicArguments: topics)
    }
}

extension Substring {
    var offsetResetTrimmed: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
