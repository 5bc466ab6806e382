import EddyClient
import EddyProtocol

extension ConsoleState {
    // MARK: Opening dialogs

    mutating func openProduce(topic: String?, model: ConsoleModel) -> [ConsoleEffect] {
        guard !readOnly else { return refuseReadOnly("producing a record") }
        var partition: Int32?
        if case let .messages(tp) = view { partition = tp.partition }
        dialog = .produce(ProduceForm.make(topic: topic, partition: partition))
        return []
    }

    mutating func openCreateTopic(model: ConsoleModel) -> [ConsoleEffect] {
        guard !readOnly else { return refuseReadOnly("creating a topic") }
        let running = model.latest?.brokerNodes.filter { $0.state == .running }.count ?? 1
        dialog = .createTopic(CreateTopicForm.make(replicationFactor: max(1, min(3, running))))
        return []
    }

    /// Read-only consoles open it too: the reset is planned and previewed, and only applying it
    /// is refused.
    mutating func openReset(group: String?, model: ConsoleModel) -> [ConsoleEffect] {
        guard let group else {
            status = .error("select a group first: 4 opens Groups, then r on a group")
            return []
        }
        // From a group's partition row the narrower scopes are prefilled with that partition;
        // the scope still starts at the whole group.
        var topic: String?, partition: Int32?
        if case .group(group) = view, let row = selectedGroupRow(model, group: group) {
            topic = row.topicPartition.topic
            partition = row.topicPartition.partition
        }
        let form = ResetForm(group: group, topic: topic, partition: partition)
        dialog = .resetOffsets(form)
        return []
    }

    /// Transactions view `a`: a confirmation saying what aborting the selected transaction
    /// does. Only an Ongoing or a hanging transaction can be aborted.
    mutating func openAbortTransaction(model: ConsoleModel) -> [ConsoleEffect] {
        guard let t = selectedTransaction(model) else {
            status = .error("no transaction selected: 7 lists the transactions")
            return []
        }
        let name = t.displayName
        guard t.isAbortable else {
            status = .error("\(name) is \(t.state): only an Ongoing or a hanging transaction can be aborted")
            return []
        }
        guard !readOnly else { return refuseReadOnly("aborting \(name)") }
        let partitions = t.partitions.map(\.description).joined(separator: ", ")
        var message: [String]
        if let h = t.hanging {
            message = [
                "Producer \(h.producerId) (epoch \(h.producerEpoch)) has a transaction open in \(h.topicPartition)",
                "since offset \(h.startOffset) that no coordinator runs.",
                "An ABORT marker is written to \(h.topicPartition) through its leader,",
                "as kafka-transactions abort does: its last stable offset moves on.",
            ]
        } else {
            message = [
                "\(t.transactionalId ?? "") (producer \(t.producerId), epoch \(t.producerEpoch)) is Ongoing in \(t.partitions.count) partition\(t.partitions.count == 1 ? "" : "s"): \(partitions).",
                "Its coordinator aborts it, as for a new instance of the producer: ABORT markers",
                "go to its partitions and the epoch is bumped, so the producer that left it",
                "open is fenced (PRODUCER_FENCED) on its next request.",
            ]
        }
        message.append("Its records stay in the log; read_committed consumers skip them.")
        let typed = typedResetConfirmation ? (t.transactionalId ?? String(t.producerId)) : nil
        dialog = .abortTransaction(t, ConfirmDialog(title: "Abort \(name)", message: message, confirmLabel: "Abort",
                                                    focused: .cancel, typedConfirmation: typed))
        return []
    }

    mutating func openDemoMenu(model: ConsoleModel) -> [ConsoleEffect] {
        guard hasDemoControls else { return refuseNoControls("demo controls") }
        guard !readOnly else { return refuseReadOnly("demo controls") }
        let groups = Array(Set(model.workers.compactMap(\.group))).sorted()
        var action = DemoMenu.Action.pauseResume
        if case .cluster = view { action = selectedBroker(model)?.state == .running ? .stopBroker : .startBroker }
        if case .group = view { action = .addMember }
        dialog = .demoMenu(DemoMenu(workers: model.workers, groups: groups, brokers: model.latest?.brokers ?? [], action: action))
        return []
    }

    /// A demo command from a key, checked against the mode first.
    mutating func demo(_ command: DemoCommand, model: ConsoleModel) -> [ConsoleEffect] {
        guard hasDemoControls else { return refuseNoControls(Self.describe(command)) }
        guard !readOnly else { return refuseReadOnly(Self.describe(command)) }
        switch command {
        case let .addMember(group), let .removeMember(group):
            guard !model.demoConsumers(of: group).isEmpty else {
                status = .error("group \(group) has no demo consumers in this process; only the demo's groups (\(demoGroupNames(model))) can change members")
                return []
            }
        default: break
        }
        status = StatusMessage(Self.describe(command) + "...")
        return [.demo(command), .refresh]
    }

    private func demoGroupNames(_ model: ConsoleModel) -> String {
        let names = Set(model.workers.compactMap(\.group)).sorted()
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }

    static func describe(_ command: DemoCommand) -> String {
        switch command {
        case let .stopBroker(id): "stopping broker \(id)"
        case let .killBroker(id): "killing broker \(id)"
        case let .startBroker(id): "starting broker \(id)"
        case let .stopController(id): "stopping controller \(id)"
        case let .killController(id): "killing controller \(id)"
        case let .startController(id): "starting controller \(id)"
        case let .setPaused(worker, paused): (paused ? "pausing " : "resuming ") + worker
        case let .setRate(producer, rate): "setting \(producer) to \(HumanFormat.rate(rate))"
        case let .addMember(group): "adding a member to \(group)"
        case let .removeMember(group): "removing a member from \(group)"
        }
    }

    // MARK: Keys in dialogs

    mutating func handleDialogKey(_ key: Key, model: ConsoleModel) -> [ConsoleEffect] {
        guard let current = dialog else { return [] }
        switch current {
        case var .help(overlay):
            dialog = overlay.handle(key) == .cancelled ? nil : .help(overlay)
            return []

        case var .resetOffsets(form):
            switch form.handle(key) {
            case .continuing:
                dialog = .resetOffsets(form)
            case .cancelled:
                dialog = nil
            case .submitted:
                do throws(InvalidInput) {
                    let request = try form.request()
                    dialog = nil
                    pendingPreview = request
                    status = StatusMessage("planning the reset of \(request.group)...")
                    return [.previewReset(request)]
                } catch {
                    form.form.message = .error(error.description)
                    form.form.focus(error.field)
                    dialog = .resetOffsets(form)
                }
            }
            return []

        case var .resetPreview(preview):
            switch preview.dialog.handle(key) {
            case .continuing:
                dialog = .resetPreview(preview)
            case .cancelled:
                dialog = nil
                status = StatusMessage("reset of \(preview.request.group) cancelled; nothing changed")
            case .submitted:
                dialog = nil
                guard !readOnly else {
                    status = StatusMessage("read-only: previewed only; nothing changed (\(readOnlyReason ?? "restart without --read-only to change the cluster"))")
                    return []
                }
                status = StatusMessage(preview.replay ? "replay: pausing \(preview.request.group)'s consumers to reset..." : "resetting \(preview.request.group)...")
                return [.executeReset(preview.request, plan: preview.plan, replay: preview.replay), .refresh]
            }
            return []

        case var .produce(form):
            return submitForm(&form, key: key, wrap: ConsoleDialog.produce) { (form) throws(InvalidInput) in
                let record = try ProduceForm.record(from: form)
                return ("producing to \(record.topic)...", [.produce(record), .refresh])
            }

        case var .createTopic(form):
            return submitForm(&form, key: key, wrap: ConsoleDialog.createTopic) { (form) throws(InvalidInput) in
                let topic = try CreateTopicForm.newTopic(from: form)
                return ("creating topic \(topic.name)...", [.createTopic(topic), .refresh])
            }

        case var .jumpToOffset(form):
            guard case let .messages(tp) = view else { dialog = nil; return [] }
            return submitForm(&form, key: key, wrap: ConsoleDialog.jumpToOffset) { (form) throws(InvalidInput) in
                (nil, [.loadMessages(MessagesQuery(topicPartition: tp, start: try JumpForm.offsetStart(from: form)))])
            }

        case var .jumpToTime(form):
            guard case let .messages(tp) = view else { dialog = nil; return [] }
            return submitForm(&form, key: key, wrap: ConsoleDialog.jumpToTime) { (form) throws(InvalidInput) in
                (nil, [.loadMessages(MessagesQuery(topicPartition: tp, start: try JumpForm.timeStart(from: form)))])
            }

        case .abortTransaction(let t, var confirm):
            switch confirm.handle(key) {
            case .continuing:
                dialog = .abortTransaction(t, confirm)
            case .cancelled:
                dialog = nil
                status = StatusMessage("abort cancelled; nothing changed")
            case .submitted:
                dialog = nil
                status = StatusMessage("aborting \(t.displayName)...")
                return [.abortTransaction(t), .refresh]
            }
            return []

        case var .demoMenu(menu):
            switch menu.handle(key) {
            case .continuing:
                dialog = .demoMenu(menu)
            case .cancelled:
                dialog = nil
            case .submitted:
                do throws(InvalidInput) {
                    let command = try menu.command()
                    dialog = nil
                    return demo(command, model: model)
                } catch {
                    menu.form.message = .error(error.description)
                    menu.form.focus(error.field)
                    dialog = .demoMenu(menu)
                }
            }
            return []
        }
    }

    /// Runs a form dialog's key; on submit, `make` turns the fields into effects (closing the
    /// dialog) or says which field is wrong (keeping it open with the message).
    private mutating func submitForm(
        _ form: inout FormDialog, key: Key, wrap: (FormDialog) -> ConsoleDialog,
        _ make: (FormDialog) throws(InvalidInput) -> (String?, [ConsoleEffect])
    ) -> [ConsoleEffect] {
        switch form.handle(key) {
        case .continuing:
            dialog = wrap(form)
            return []
        case .cancelled:
            dialog = nil
            return []
        case .submitted:
            do throws(InvalidInput) {
                let (message, effects) = try make(form)
                dialog = nil
                if let message { status = StatusMessage(message) }
                for case let .loadMessages(query) in effects { pendingMessages = query }
                return effects
            } catch {
                form.message = .error(error.description)
                form.focus(error.field)
                dialog = wrap(form)
                return []
            }
        }
    }
}
