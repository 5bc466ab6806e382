import EddyProtocol

/// The partitions that Kafka's `kafka-get-offsets` options select (its `TopicPartitionFilter`),
/// in one of two spellings:
///
/// - `--topic REGEX` with `--partitions 0,2`: a topic whose whole name matches REGEX (commas
///   separate alternatives, `a,b` being `a|b`; every topic when absent), and of it the listed
///   partitions (all when absent);
/// - `--topic-partitions RULE,RULE...`, each rule `REGEX[:PARTITIONS]`, where PARTITIONS is
///   `N`, `N-M` (from N up to, not including, M), `N-` or `-M` (0 up to M, not included), and
///   an empty REGEX matches every topic. A partition is selected when any rule selects it.
///
/// Regular expressions are Swift's, which read Kafka's (Java's) usual ones alike.
public struct TopicPartitionFilter: Sendable, Equatable {
    public enum Partitions: Sendable, Equatable {
        case all
        case ids(Set<Int32>)
        /// From `lower` up to, not including, `upper`.
        case range(lower: Int32, upper: Int32)

        func contains(_ partition: Int32) -> Bool {
            switch self {
            case .all: true
            case let .ids(ids): ids.contains(partition)
            case let .range(lower, upper): partition >= lower && partition < upper
            }
        }
    }

    public struct Rule: Sendable, Equatable {
        /// Matched against the whole topic name.
        public var topicPattern: String
        public var partitions: Partitions
    }

    public let rules: [Rule]

    /// `--topic` and `--partitions`.
    public init(topic: String?, partitions: String?) throws(TopicPartitionFilterError) {
        var pattern = ".*"
        if let topic {
            // Kafka's IncludeList: trimmed, commas as alternatives, surrounding quotes dropped.
            var p = Substring(topic.trimmingSpaces.replacingCommas)
            while let c = p.first, c == "\"" || c == "'" { p.removeFirst() }
            while let c = p.last, c == "\"" || c == "'" { p.removeLast() }
            pattern = String(p)
        }
        try Self.check(pattern, option: "--topic")
        var selected = Partitions.all
        if let partitions, !partitions.isEmpty {
            var ids: Set<Int32> = []
            for field in partitions.split(separator: ",", omittingEmptySubsequences: false) {
                guard let id = Int32(field), id >= 0 else {
                    throw .invalid("--partitions expects a comma-separated list of partition ids, got '\(partitions)'")
                }
                ids.insert(id)
            }
            selected = .ids(ids)
        }
        rules = [Rule(topicPattern: pattern, partitions: selected)]
    }

    /// `--topic-partitions`.
    public init(topicPartitions: String) throws(TopicPartitionFilterError) {
        var rules: [Rule] = []
        for spec in topicPartitions.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            rules.append(try Self.rule(spec))
        }
        self.rules = rules
    }

    /// One `REGEX[:PARTITIONS]` rule.
    static func rule(_ spec: String) throws(TopicPartitionFilterError) -> Rule {
        let invalid = TopicPartitionFilterError.invalid("--topic-partitions: invalid rule '\(spec)': expected TOPIC-REGEX[:N|N-M|N-|-M]")
        let topic: Substring, partitionPart: Substring?
        if let colon = spec.firstIndex(of: ":") {
            topic = spec[..<colon]
            partitionPart = spec[spec.index(after: colon)...]
        } else {
            topic = Substring(spec)
            partitionPart = nil
        }
        let pattern = topic.isEmpty ? ".*" : String(topic)
        try check(pattern, option: "--topic-partitions")
        guard let partitionPart, !partitionPart.isEmpty else { return Rule(topicPattern: pattern, partitions: .all) }
        func number(_ s: Substring) throws(TopicPartitionFilterError) -> Int32? {
            if s.isEmpty { return nil }
            guard s.allSatisfy(\.isASCIIDigit), let n = Int32(s) else { throw invalid }
            return n
        }
        if let dash = partitionPart.firstIndex(of: "-") {
            let lower = try number(partitionPart[..<dash]) ?? 0
            let upper = try number(partitionPart[partitionPart.index(after: dash)...]) ?? Int32.max
            return Rule(topicPattern: pattern, partitions: .range(lower: lower, upper: upper))
        }
        guard let n = try number(partitionPart) else { throw invalid }
        return Rule(topicPattern: pattern, partitions: .ids([n]))
    }

    static func check(_ pattern: String, option: String) throws(TopicPartitionFilterError) {
        do { _ = try Regex(pattern) } catch {
            throw .invalid("\(option): '\(pattern)' is not a valid regular expression")
        }
    }

    /// Whether any rule may select partitions of `topic`.
    public func allowsTopic(_ topic: String) -> Bool { !allowedTopics([topic]).isEmpty }

    /// The topics of `names` whose partitions some rule may select (the patterns compiled once).
    public func allowedTopics(_ names: [String]) -> [String] {
        let regexes = compiled()
        return names.filter { name in regexes.contains { (try? $0.wholeMatch(in: name)) != nil } }
    }

    /// The selected partitions of `topics` (topic name to its partition ids), in Kafka's order
    /// (`orderedAsKafka`).
    public func select(_ topics: [String: [Int32]]) -> [TopicPartition] {
        let regexes = compiled()
        var selected: [TopicPartition] = []
        for (topic, partitions) in topics {
            let matching = rules.indices.filter { (try? regexes[$0].wholeMatch(in: topic)) != nil }
            for p in partitions where matching.contains(where: { rules[$0].partitions.contains(p) }) {
                selected.append(TopicPartition(topic, p))
            }
        }
        return Self.orderedAsKafka(selected)
    }

    /// Kafka's tools sort partitions by their `topic-partition` names as text, so `t-10` comes
    /// before `t-2`; eddy prints them in the same order.
    public static func orderedAsKafka(_ partitions: [TopicPartition]) -> [TopicPartition] {
        partitions.sorted { "\($0.topic)-\($0.partition)" < "\($1.topic)-\($1.partition)" }
    }

    /// Each rule's pattern (checked by `init`, so each compiles).
    private func compiled() -> [Regex<AnyRegexOutput>] {
        rules.compactMap { try? Regex($0.topicPattern) }
    }
}

public enum TopicPartitionFilterError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case let .invalid(message): message
        }
    }
}

private extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    var replacingCommas: String { String(map { $0 == "," ? "|" : $0 }) }
}

private extension Character {
    var isASCIIDigit: Bool { ("0" ... "9").contains(self) }
}
