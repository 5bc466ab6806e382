import EddyClient
import EddyProtocol

/// The reset-offsets dialog: every strategy of the offset-reset planner (earliest, latest,
/// current, to offset, shift by ±N, to date-time, by duration) and every scope (the whole
/// group, one topic, chosen partitions of a topic). Only the value field the chosen strategy
/// needs is shown, and the topic and partitions fields only for the scopes that use them.
/// `request()` turns the fields into the planner's inputs or says what is wrong.
public struct ResetForm: Equatable, Sendable {
    public enum Strategy: Int, CaseIterable, Sendable {
        case earliest, latest, current, toOffset, shiftBy, toDateTime, byDuration

        public var label: String {
            switch self {
            case .earliest: "earliest"
            case .latest: "latest"
            case .current: "current"
            case .toOffset: "to offset"
            case .shiftBy: "shift by +/-N"
            case .toDateTime: "to date-time"
            case .byDuration: "by duration"
            }
        }

        /// The id of the text field the strategy reads, nil when it needs none.
        var fieldID: String? {
            switch self {
            case .earliest, .latest, .current: nil
            case .toOffset: "offset"
            case .shiftBy: "shift"
            case .toDateTime: "datetime"
            case .byDuration: "duration"
            }
        }
    }

    public enum Scope: Int, CaseIterable, Sendable {
        case group, topic, partitions

        public var label: String {
            switch self {
            case .group: "whole group"
            case .topic: "one topic"
            case .partitions: "partitions"
            }
        }
    }

    public var group: String
    public var form: FormDialog

    /// - Parameters:
    ///   - topic, partition: prefilled from the selected row, for when the scope is narrowed.
    ///   - scope: the scope chosen at first.
    public init(group: String, topic: String? = nil, partition: Int32? = nil, scope: Scope = .group) {
        self.group = group
        form = FormDialog(title: "Reset offsets of group \(group)", fields: [
            .choice("strategy", "Strategy", ChoiceList(Strategy.allCases.map(\.label))),
            .text("offset", "Offset", TextField(placeholder: "e.g. 0")),
            .text("shift", "Shift by", TextField(placeholder: "e.g. -100 or +50")),
            .text("datetime", "Date-time", TextField(placeholder: "YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm]")),
            .text("duration", "Duration", TextField(placeholder: "ISO-8601, e.g. PT10M or P1DT2H")),
            .choice("scope", "Scope", ChoiceList(Scope.allCases.map(\.label), selected: scope.rawValue, axis: .horizontal)),
            .text("topic", "Topic", TextField(topic ?? "", placeholder: "topic name")),
            .text("partitions", "Partitions", TextField(partition.map(String.init) ?? "", placeholder: "e.g. 0,1,2")),
        ], submitLabel: "preview", controlWidth: 36)
        updateVisibility()
    }

    public var strategy: Strategy { Strategy(rawValue: form.choice("strategy") ?? 0) ?? .earliest }
    public var scope: Scope { Scope(rawValue: form.choice("scope") ?? 0) ?? .group }

    /// Passes a key to the form, then shows the fields the new choices need.
    public mutating func handle(_ key: Key) -> DialogOutcome {
        let outcome = form.handle(key)
        updateVisibility()
        return outcome
    }

    mutating func updateVisibility() {
        let needed = strategy.fieldID
        for id in ["offset", "shift", "datetime", "duration"] { form.setHidden(id, id != needed) }
        form.setHidden("topic", scope == .group)
        form.setHidden("partitions", scope != .partitions)
    }

    /// The planner's inputs the fields describe.
    public func request() throws(InvalidInput) -> ResetRequest {
        ResetRequest(group: group, scope: try scopeValue(), strategy: try strategyValue())
    }

    func strategyValue() throws(InvalidInput) -> OffsetResetStrategy {
        let text = strategy.fieldID.flatMap { form.text($0) }?.trimmingSpaces ?? ""
        switch strategy {
        case .earliest: return .toEarliest
        case .latest: return .toLatest
        case .current: return .toCurrent
        case .toOffset:
            guard let offset = Int64(text), offset >= 0 else {
                throw InvalidInput(field: "offset", description: "the offset must be a whole number >= 0, e.g. 0")
            }
            return .toOffset(offset)
        case .shiftBy:
            let digits = text.hasPrefix("+") ? String(text.dropFirst()) : text
            guard let delta = Int64(digits) else {
                throw InvalidInput(field: "shift", description: "shift by a whole number of records, e.g. -100 or +50")
            }
            return .shiftBy(delta)
        case .toDateTime:
            do {
                return .toDateTime(timestampMs: try DateTimeInput.parseMillis(text))
            } catch {
                throw InvalidInput(field: "datetime", description: "\(error)")
            }
        case .byDuration:
            do {
                return .byDuration(milliseconds: try KafkaDuration.parseMillis(text))
            } catch {
                throw InvalidInput(field: "duration", description: "\(error)")
            }
        }
    }

    func scopeValue() throws(InvalidInput) -> OffsetResetScope {
        switch scope {
        case .group:
            return .allTopics
        case .topic, .partitions:
            let topic = form.text("topic")?.trimmingSpaces ?? ""
            guard !topic.isEmpty, !topic.contains(":") else {
                throw InvalidInput(field: "topic", description: "name the topic to reset")
            }
            guard scope == .partitions else { return .topics([.init(topic: topic)]) }
            let list = form.text("partitions")?.trimmingSpaces ?? ""
            var partitions: [Int32] = []
            for part in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let p = Int32(part.trimmingSpaces), p >= 0 else {
                    throw InvalidInput(field: "partitions", description: "partitions are numbers >= 0 separated by commas, e.g. 0,2")
                }
                partitions.append(p)
            }
            return .topics([.init(topic: topic, partitions: partitions)])
        }
    }
}
