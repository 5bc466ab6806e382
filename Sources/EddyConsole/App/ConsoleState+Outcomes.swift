import Foundation
import EddyClient
import EddyProtocol

extension ConsoleState {
    /// Takes the result of an effect the app carried out. Returns follow-up effects (e.g.
    /// reloading the page a produced record went to).
    public mutating func receive(_ outcome: EffectOutcome, model: ConsoleModel) -> [ConsoleEffect] {
        switch outcome {
        case let .status(message):
            status = message
        case let .themeSwitched(name):
            themeName = name
            status = .success("theme \(name)")
        case let .produced(tp, offset):
            status = .success("produced to \(tp) at offset \(offset)")
            if case .messages(tp) = view, let page = messages, page.query.topicPartition == tp, page.query.start == .latest {
                return loadMessages(page.query)
            }
        case let .messages(page):
            guard pendingMessages == page.query else { return [] }
            pendingMessages = nil
            messages = page
            let view = ConsoleView.messages(page.query.topicPartition)
            let count = MessagesView.items(self, tp: page.query.topicPartition).count
            let page = pageSize(view, model: model)
            let selected = messages?.query.start == .latest ? max(0, count - 1) : 0
            updateViewState(view) { $0.selection = TableSelection(row: selected, scrollOffset: 0).clamped(rowCount: count, pageSize: page) }
        case let .messagesFailed(query, text):
            guard pendingMessages == query else { return [] }
            pendingMessages = nil
            status = .error(text)
        case let .previewFailed(request, message):
            guard pendingPreview == request else { return [] }
            pendingPreview = nil
            status = message
        case let .resetPreview(request, plan, activeState):
            guard pendingPreview == request else { return [] }
            pendingPreview = nil
            status = nil
            openPreview(request: request, plan: plan, activeState: activeState, model: model)
        }
        return []
    }

    /// The confirmation with the per-partition preview, or a refusal when Kafka would refuse
    /// and no replay is possible.
    private mutating func openPreview(request: ResetRequest, plan: OffsetResetPlan, activeState: String?, model: ConsoleModel) {
        let group = request.group
        guard !plan.entries.isEmpty else {
            status = .error("nothing to reset: group \(group) has no committed offsets in \(Self.describe(request.scope)); choose a topic scope to reset partitions it never committed")
            return
        }
        var replay = false
        var message = ["\(Self.describe(request.strategy)), \(Self.describe(request.scope)): \(plan.entries.count) partition\(plan.entries.count == 1 ? "" : "s")"]
        if let activeState {
            guard hasDemoControls, !model.demoConsumers(of: group).isEmpty else {
                status = .error(ErrorAdvice.text(OffsetResetError.groupNotInactive(group: group, state: activeState)))
                return
            }
            replay = true
            message.append("The group is \(activeState): Kafka refuses to reset an active group.")
            message.append("Confirm to replay: pause its demo consumers, reset, resume them.")
        }
        if readOnly { message.append("Read-only: this is a preview; nothing will change.") }
        for warning in plan.warnings.prefix(2) { message.append("note: \(warning)") }
        if plan.warnings.count > 2 { message.append("note: \(plan.warnings.count - 2) more partitions clamped") }
        let arrow = " " + String(glyphs.arrowRight) + " "
        let rows = plan.entries.map { e in
            TableRow([
                .text(e.topicPartition.topic), .text(String(e.topicPartition.partition)),
                .text((e.oldOffset.map(String.init) ?? "-") + arrow + String(e.newOffset)),
                .text((e.oldLag.map(String.init) ?? "-") + arrow + String(e.newLag), e.newLag > (e.oldLag ?? .max) ? Style(.warning) : nil),
            ])
        }
        let table = Table(columns: [
            TableColumn("TOPIC", width: .min(5)), TableColumn("PART", width: .min(4), alignment: .right),
            TableColumn("COMMITTED OLD\(arrow)NEW", width: .min(10), alignment: .right),
            TableColumn("LAG OLD\(arrow)NEW", width: .min(10), alignment: .right),
        ], rows: rows, selection: TableSelection(row: nil))
        let maxRows = max(3, min(12, screen.height - 10 - message.count))
        dialog = .resetPreview(ResetPreview(
            request: request, plan: plan, replay: replay,
            dialog: ConfirmDialog(title: "Reset offsets of group \(group)", message: message, preview: table,
                                  confirmLabel: readOnly ? "Close" : replay ? "Replay" : "Reset", maxPreviewRows: maxRows,
                                  typedConfirmation: typedResetConfirmation && !readOnly ? group : nil)))
    }

    static func describe(_ strategy: OffsetResetStrategy) -> String {
        switch strategy {
        case .toEarliest: "to earliest"
        case .toLatest: "to latest"
        case .toCurrent: "to current"
        case let .toOffset(o): "to offset \(o)"
        case let .shiftBy(n): "shift by \(n >= 0 ? "+" : "")\(n)"
        case let .toDateTime(ms): "to date-time \(HumanFormat.timestamp(epochMs: ms, timeZone: TimeZone(identifier: "UTC")!)) UTC"
        case let .byDuration(ms): "by duration \(HumanFormat.duration(ms: ms))"
        case .fromFile: "from file"
        }
    }

    static func describe(_ scope: OffsetResetScope) -> String {
        switch scope {
        case .allTopics: "whole group"
        case let .topics(selections):
            selections.map { s in s.partitions.map { "\(s.topic):\($0.map(String.init).joined(separator: ","))" } ?? "topic \(s.topic)" }
                .joined(separator: " ")
        }
    }
}
