import EddyProtocol

/// The demo-controls dialog (`d`): an action, what it acts on, and a rate for `change rate`.
/// The targets are taken from the model when the dialog opens: the demo workers, the groups
/// with demo consumers, and the nodes: brokers and controller-only nodes.
public struct DemoMenu: Equatable, Sendable {
    public enum Action: Int, CaseIterable, Sendable {
        case pauseResume, addMember, removeMember, changeRate, stopBroker, killBroker, startBroker

        public var label: String {
            switch self {
            case .pauseResume: "pause / resume a worker"
            case .addMember: "add a group member"
            case .removeMember: "remove a group member"
            case .changeRate: "change a producer's rate"
            case .stopBroker: "stop a node (clean)"
            case .killBroker: "kill a node (crash)"
            case .startBroker: "start a node"
            }
        }
    }

    /// One thing an action can act on: what the list shows and the name or id it passes on.
    public struct Target: Equatable, Sendable {
        public var label: String
        public var value: String
        /// For workers: whether it is paused now (so the action resumes it).
        public var isPaused = false
        /// For nodes: a broker or a controller-only node (`value` is its id).
        public var role: BrokerSnapshot.Role?
    }

    public var form: FormDialog
    public var targets: [Action: [Target]]
    private var shownAction: Action

    public init(workers: [DemoWorkerStatus], groups: [String], brokers: [BrokerSnapshot], action: Action = .pauseResume) {
        var targets: [Action: [Target]] = [:]
        targets[.pauseResume] = workers.map {
            Target(label: "\($0.paused ? "resume" : "pause") \($0.name) (\($0.kind.rawValue), \($0.group.map { "group \($0), " } ?? "")\($0.topic))",
                   value: $0.name, isPaused: $0.paused)
        }
        targets[.addMember] = groups.map { Target(label: "group \($0)", value: $0) }
        targets[.removeMember] = groups.map { Target(label: "group \($0)", value: $0) }
        targets[.changeRate] = workers.filter { $0.kind == .producer }.map {
            Target(label: "\($0.name) to \($0.topic), now \($0.recordsPerSecond.map(HumanFormat.rate) ?? "-")", value: $0.name)
        }
        targets[.stopBroker] = brokers.filter { $0.state == .running }.map {
            Target(label: $0.name + ($0.isController ? " (active controller)" : ""), value: String($0.id), role: $0.role)
        }
        targets[.killBroker] = targets[.stopBroker]
        targets[.startBroker] = brokers.filter { $0.state != .running }.map {
            Target(label: "\($0.name) (\($0.state.rawValue))", value: String($0.id), role: $0.role)
        }
        self.targets = targets
        shownAction = action
        form = FormDialog(title: "Demo controls", fields: [
            .choice("action", "Action", ChoiceList(Action.allCases.map(\.label), selected: action.rawValue)),
            .choice("target", "Target", ChoiceList([])),
            .text("rate", "Records/s", TextField(placeholder: "e.g. 50")),
        ], submitLabel: "run", controlWidth: 40)
        refreshTargets(force: true)
    }

    public var action: Action { Action(rawValue: form.choice("action") ?? 0) ?? .pauseResume }

    /// The chosen target, nil when the action has none.
    public var target: Target? {
        let list = targets[action] ?? []
        guard let i = form.choice("target"), list.indices.contains(i) else { return nil }
        return list[i]
    }

    public mutating func handle(_ key: Key) -> DialogOutcome {
        let outcome = form.handle(key)
        refreshTargets(force: false)
        return outcome
    }

    private mutating func refreshTargets(force: Bool) {
        guard force || action != shownAction else { return }
        shownAction = action
        let options = (targets[action] ?? []).map(\.label)
        if let i = form.fields.firstIndex(where: { $0.id == "target" }) {
            form.fields[i].control = .choice(ChoiceList(options.isEmpty ? ["(nothing to act on)"] : options))
        }
        form.setHidden("rate", action != .changeRate)
        if action == .changeRate, let i = form.fields.firstIndex(where: { $0.id == "rate" }) {
            form.fields[i].control = .text(TextField(placeholder: "e.g. 50"))
        }
        form.message = nil
    }

    /// The command the choices make, or why they make none.
    public func command() throws(InvalidInput) -> DemoCommand {
        guard let target else { throw InvalidInput(field: "target", description: "nothing to \(action.label) right now") }
        switch action {
        case .pauseResume:
            return .setPaused(worker: target.value, paused: !target.isPaused)
        case .addMember: return .addMember(group: target.value)
        case .removeMember: return .removeMember(group: target.value)
        case .changeRate:
            let text = form.text("rate")?.trimmingSpaces ?? ""
            guard let rate = Double(text), rate.isFinite, rate >= 0 else {
                throw InvalidInput(field: "rate", description: "the rate is a number of records per second >= 0, e.g. 50")
            }
            return .setRate(producer: target.value, recordsPerSecond: rate)
        case .stopBroker, .killBroker, .startBroker:
            guard let role = target.role, let id = Int32(target.value) else { throw InvalidInput(field: "target", description: "no node chosen") }
            return .node(action == .stopBroker ? .stop : action == .killBroker ? .kill : .start, id, role: role)
        }
    }
}
