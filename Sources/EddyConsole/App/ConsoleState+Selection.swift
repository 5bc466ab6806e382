import EddyClient
import EddyProtocol

extension ConsoleState {
    /// Rows `view` shows now (filtered), which selection keys move through.
    func rowCount(_ view: ConsoleView, model: ConsoleModel) -> Int {
        switch view {
        case .cluster: ClusterView.items(model, viewState(view)).count
        case .topics: TopicsView.items(model, viewState(view), width: screen.width).count
        case let .topic(name): TopicDetailView.items(model, topic: name, viewState(view)).count
        case .groups: GroupsView.items(model, viewState(view)).count
        case let .group(id): GroupDetailView.items(model, group: id, viewState(view)).count
        case let .messages(tp): MessagesView.items(self, tp: tp).count
        case .transactions: TransactionsView.items(model, viewState(view)).count
        }
    }

    /// Table rows that fit on screen in `view`.
    func pageSize(_ view: ConsoleView, model: ConsoleModel) -> Int {
        max(1, Table.bodyHeight(for: ConsoleLayout.tableRect(for: view, size: screen, model: model, state: self)))
    }

    /// The selected row's index in `view`, clamped to the rows there are.
    func selectedIndex(_ view: ConsoleView, model: ConsoleModel, count: Int) -> Int? {
        viewState(view).selection.clamped(rowCount: count, pageSize: pageSize(view, model: model)).row
    }

    private func pick<T>(_ items: [T], _ view: ConsoleView, _ model: ConsoleModel) -> T? {
        guard let i = selectedIndex(view, model: model, count: items.count), items.indices.contains(i) else { return nil }
        return items[i]
    }

    func selectedBroker(_ model: ConsoleModel) -> BrokerSnapshot? {
        pick(ClusterView.items(model, viewState(.cluster)), .cluster, model)
    }

    func selectedTopic(_ model: ConsoleModel) -> TopicSnapshot? {
        pick(TopicsView.items(model, viewState(.topics), width: screen.width), .topics, model)
    }

    func selectedPartition(_ model: ConsoleModel, topic: String) -> PartitionSnapshot? {
        pick(TopicDetailView.items(model, topic: topic, viewState(.topic(topic))), .topic(topic), model)
    }

    func selectedGroup(_ model: ConsoleModel) -> GroupSnapshot? {
        pick(GroupsView.items(model, viewState(.groups)), .groups, model)
    }

    func selectedGroupRow(_ model: ConsoleModel, group: String) -> GroupPositions.Row? {
        pick(GroupDetailView.items(model, group: group, viewState(.group(group))), .group(group), model)
    }

    func selectedTransaction(_ model: ConsoleModel) -> TransactionSnapshot? {
        pick(TransactionsView.items(model, viewState(.transactions)), .transactions, model)
    }

    func selectedRecord(_ model: ConsoleModel, tp: TopicPartition) -> MessageRecord? {
        pick(MessagesView.items(self, tp: tp), .messages(tp), model)
    }

    /// The topic the current view is about (for the produce dialog).
    func contextTopic(_ model: ConsoleModel) -> String? {
        switch view {
        case .topics: selectedTopic(model)?.name
        case let .topic(name): name
        case let .messages(tp): tp.topic
        case .transactions: selectedTransaction(model)?.partitions.first?.topic ?? lastTopic
        case let .group(id): selectedGroupRow(model, group: id)?.topicPartition.topic
        case .cluster, .groups: lastTopic
        }
    }

    /// The group the current view is about (for reset and member controls).
    func contextGroup(_ model: ConsoleModel) -> String? {
        switch view {
        case .groups: selectedGroup(model)?.groupId
        case let .group(id): id
        default: nil
        }
    }

    /// Selects the row at `index` in `view` (clamped).
    mutating func select(_ index: Int, in view: ConsoleView, model: ConsoleModel) {
        let count = rowCount(view, model: model)
        let page = pageSize(view, model: model)
        updateViewState(view) { $0.selection = TableSelection(row: index, scrollOffset: $0.selection.scrollOffset).clamped(rowCount: count, pageSize: page) }
    }
}
