import EddyClient
import EddyProtocol

extension ConsoleState {
    /// Handles one key: the open dialog gets it first, then the `:` or `/` line being typed,
    /// then the view. Returns what the app must do.
    public mutating func handle(_ key: Key, model: ConsoleModel) -> [ConsoleEffect] {
        switch key {
        case .resize: return []
        case .control("c"): return [.quit]
        case .control("l"): return [.redraw]
        default: break
        }
        if dialog != nil { return handleDialogKey(key, model: model) }
        if input != nil { return handleInputKey(key, model: model) }
        return handleViewKey(key, model: model)
    }

    // MARK: View keys

    mutating func handleViewKey(_ key: Key, model: ConsoleModel) -> [ConsoleEffect] {
        let view = self.view
        switch key {
        case .up, .down, .pageUp, .pageDown, .home, .end:
            let count = rowCount(view, model: model)
            let page = pageSize(view, model: model)
            updateViewState(view) { s in
                s.selection = s.selection.clamped(rowCount: count, pageSize: page)
                _ = s.selection.handle(key, rowCount: count, pageSize: page)
            }
            return []
        case .character("q"): return [.quit]
        case .character("?"):
            var overlay = ConsoleHelp.overlay(for: self)
            overlay.pageSize = HelpOverlay.visibleLines(in: Rect(x: 0, y: 0, width: screen.width, height: screen.height))
            dialog = .help(overlay)
            return []
        case .character(":"):
            input = .command(TextField())
            return []
        case .character("/"):
            input = .filter(TextField(viewState(view).filter))
            return []
        case .character("s"), .character("S"):
            cycleSort(reverse: key == .character("S"), model: model)
            return []
        case .character(let c) where ("1"..."7").contains(c):
            return switchTab(Int(String(c))! - 1, model: model)
        case .enter:
            return open(model: model)
        case .escape:
            if !viewState(view).filter.isEmpty {
                updateViewState(view) { $0.filter = "" }
                return []
            }
            if stack.count > 1 { stack.removeLast() }
            return []
        case .character("p"): return openProduce(topic: contextTopic(model), model: model)
        case .character("n"): return openCreateTopic(model: model)
        case .character("r"): return openReset(group: contextGroup(model), model: model)
        case .character("d"): return openDemoMenu(model: model)
        case .character("+"), .character("-"):
            guard let group = contextGroup(model) else {
                status = .error("select a group first (4 opens Groups)")
                return []
            }
            return demo(key == .character("+") ? .addMember(group: group) : .removeMember(group: group), model: model)
        case .character("a"):
            guard case .transactions = view else { break }
            return openAbortTransaction(model: model)
        case .character("x"), .character("X"), .character("u"):
            guard case .cluster = view else { break }
            guard let broker = selectedBroker(model) else { return [] }
            let action: DemoCommand.NodeAction = key == .character("x") ? .stop : key == .character("X") ? .kill : .start
            return demo(.node(action, broker.id, role: broker.role), model: model)
        default:
            break
        }
        if case let .messages(tp) = view { return handleMessagesKey(key, tp: tp, model: model) }
        return []
    }

    private mutating func cycleSort(reverse: Bool, model: ConsoleModel) {
        let view = self.view
        func sorting<Item>(_ spec: TableSpec<Item>) -> ([Int], TableSort?) { (spec.sortableColumns, spec.defaultSort) }
        let (columns, defaultSort) = switch view {
        case .cluster: sorting(ClusterView.spec())
        case .topics: sorting(TopicsView.spec(model: model, width: screen.width))
        case let .topic(name): sorting(TopicDetailView.spec(model: model, topic: name))
        case .groups: sorting(GroupsView.spec(model: model))
        case .group: sorting(GroupDetailView.spec())
        case .messages: sorting(MessagesView.spec(format: valueFormat))
        case .transactions: sorting(TransactionsView.spec(nowMs: model.latest?.takenAtMs ?? 0))
        }
        guard !columns.isEmpty else { return }
        updateViewState(view) { s in
            let current = s.sort ?? defaultSort ?? TableSort(column: columns[0])
            if reverse {
                s.sort = TableSort(column: current.column, ascending: !current.ascending)
            } else {
                let i = columns.firstIndex(of: current.column).map { ($0 + 1) % columns.count } ?? 0
                s.sort = TableSort(column: columns[i])
            }
        }
    }

    mutating func switchTab(_ index: Int, model: ConsoleModel) -> [ConsoleEffect] {
        switch index {
        case 0: return show(.cluster)
        case 1: return show(.topics)
        case 2:
            guard let topic = lastTopic ?? selectedTopic(model)?.name ?? model.latest?.topics.first(where: { !$0.isInternal })?.name else {
                status = .error("no topic to show yet: create one with n")
                return []
            }
            return show(.topic(topic))
        case 3: return show(.groups)
        case 6: return show(.transactions)
        case 4:
            guard let group = lastGroup ?? selectedGroup(model)?.groupId ?? model.latest?.groups.first?.groupId else {
                status = .error("no consumer group to show yet")
                return []
            }
            return show(.group(group))
        default:
            let topic = lastTopic ?? model.latest?.topics.first(where: { !$0.isInternal })?.name
            guard let tp = lastPartition ?? topic.map({ TopicPartition($0, 0) }) else {
                status = .error("no partition to show yet: create a topic with n")
                return []
            }
            return show(.messages(tp))
        }
    }

    /// Enter: drill down from the selected row.
    mutating func open(model: ConsoleModel) -> [ConsoleEffect] {
        switch view {
        case .cluster:
            return []
        case .topics:
            guard let topic = selectedTopic(model) else { return [] }
            return push(.topic(topic.name))
        case let .topic(name):
            guard let p = selectedPartition(model, topic: name) else { return [] }
            return push(.messages(TopicPartition(name, p.partition)))
        case .groups:
            guard let group = selectedGroup(model) else { return [] }
            return push(.group(group.groupId))
        case let .group(id):
            guard let row = selectedGroupRow(model, group: id) else { return [] }
            let tp = row.topicPartition
            stack = [.groups, .group(id), .messages(tp)]
            lastPartition = tp
            lastTopic = tp.topic
            // Start where the group is: its committed offset, else the consumer's position.
            let start: MessagesStart = (row.committedOffset ?? row.position).map { .offset($0) } ?? .latest
            return loadMessages(MessagesQuery(topicPartition: tp, start: start))
        case .messages:
            return []
        case .transactions:
            // The first partition the transaction is in: from where a hanging one starts, or
            // from the last stable offset while an open transaction holds it, else the latest.
            guard let t = selectedTransaction(model), let tp = t.partitions.first else { return [] }
            stack = [.transactions, .messages(tp)]
            lastPartition = tp
            lastTopic = tp.topic
            var start = MessagesStart.latest
            if let h = t.hanging {
                start = .offset(h.startOffset)
            } else if let p = model.latest?.partition(tp), p.isHeldByTransaction, let lso = p.lastStableOffset {
                start = .offset(lso)
            }
            return loadMessages(MessagesQuery(topicPartition: tp, start: start))
        }
    }

    private mutating func handleMessagesKey(_ key: Key, tp: TopicPartition, model: ConsoleModel) -> [ConsoleEffect] {
        let page = messages?.query.topicPartition == tp ? messages : nil
        let limit = page?.query.limit ?? MessagesQuery.defaultLimit
        switch key {
        case .character("v"):
            valueFormat = valueFormat.next
            return []
        case .character("o"):
            dialog = .jumpToOffset(JumpForm.offset(current: selectedRecord(model, tp: tp)?.offset))
            return []
        case .character("t"):
            dialog = .jumpToTime(JumpForm.time())
            return []
        case .character("g"): return loadMessages(MessagesQuery(topicPartition: tp, start: .earliest, limit: limit))
        case .character("G"): return loadMessages(MessagesQuery(topicPartition: tp, start: .latest, limit: limit))
        case .character("R"): return loadMessages(page?.query ?? MessagesQuery(topicPartition: tp, start: .latest))
        case .character("]"):
            guard let last = page?.records.last else { return [] }
            return loadMessages(MessagesQuery(topicPartition: tp, start: .offset(last.offset + 1), limit: limit))
        case .character("["):
            guard let first = page?.records.first ?? nil else { return [] }
            let start = max(page?.logStartOffset ?? 0, first.offset - Int64(limit))
            guard start < first.offset else {
                status = StatusMessage("already at the start of the log")
                return []
            }
            return loadMessages(MessagesQuery(topicPartition: tp, start: .offset(start), limit: Int(first.offset - start)))
        default:
            return []
        }
    }

    // MARK: The : and / line

    mutating func handleInputKey(_ key: Key, model: ConsoleModel) -> [ConsoleEffect] {
        guard let line = input else { return [] }
        var field = line.field
        let event = field.handle(key)
        switch line {
        case .filter:
            switch event {
            case .cancelled:
                input = nil
                updateViewState(view) { $0.filter = "" }
            case .submitted:
                input = nil
            default:
                input = .filter(field)
                let text = field.text
                updateViewState(view) { s in
                    s.filter = text
                    s.selection = TableSelection(row: 0, scrollOffset: 0)
                }
            }
            return []
        case .command:
            switch event {
            case .cancelled:
                input = nil
                return []
            case .submitted:
                input = nil
                return runCommand(field.text, model: model)
            default:
                // Backspace on an empty line leaves command mode, as in vi.
                if key == .backspace && line.field.text.isEmpty { input = nil } else { input = .command(field) }
                return []
            }
        }
    }
}
