import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// `ConsoleState.handle`: keys in, state changes and effects out, against the fixture model.
@Suite struct AppStateTests {
    static let model = ConsoleFixture.model()

    static func press(_ keys: [Key], _ state: inout ConsoleState, model: ConsoleModel = AppStateTests.model) -> [ConsoleEffect] {
        keys.flatMap { state.handle($0, model: model) }
    }

    static func type(_ text: String) -> [Key] { text.map { Key.character($0) } }

    @Test func quitKeys() {
        var state = ConsoleFixture.state(.topics)
        #expect(Self.press([.character("q")], &state) == [.quit])
        #expect(Self.press([.control("c")], &state) == [.quit])
        #expect(Self.press(Self.type(":quit") + [.enter], &state) == [.quit])
        #expect(Self.press([.control("l")], &state) == [.redraw])
    }

    @Test func numberKeysSwitchViewsAndRememberSubjects() {
        var state = ConsoleFixture.state(.cluster)
        _ = Self.press([.character("2")], &state)
        #expect(state.view == .topics)
        // Topics sort by name: __consumer_offsets, customers, orders, payments.
        _ = Self.press([.down, .down, .enter], &state)
        #expect(state.view == .topic("orders"))
        #expect(state.stack == [.topics, .topic("orders")])
        _ = Self.press([.character("4")], &state)
        #expect(state.view == .groups)
        _ = Self.press([.character("3")], &state)
        #expect(state.view == .topic("orders"), "3 returns to the last topic")
        _ = Self.press([.character("5")], &state)
        #expect(state.view == .group("audit"), "without a last group: the selected one")
        let effects = Self.press([.character("6")], &state)
        #expect(state.view == .messages(TopicPartition("orders", 0)))
        #expect(effects == [.loadMessages(MessagesQuery(topicPartition: TopicPartition("orders", 0), start: .latest))])
        _ = Self.press([.character("1")], &state)
        #expect(state.stack == [.cluster])
    }

    @Test func enterDrillsDownAndEscGoesBack() {
        var state = ConsoleFixture.state(.topic("orders"))
        let effects = Self.press([.down, .enter], &state)
        let tp = TopicPartition("orders", 1)
        #expect(state.stack == [.topics, .topic("orders"), .messages(tp)])
        #expect(effects == [.loadMessages(MessagesQuery(topicPartition: tp, start: .latest))])
        #expect(state.pendingMessages?.topicPartition == tp)
        _ = Self.press([.escape], &state)
        #expect(state.view == .topic("orders"))
        #expect(state.viewState(.topic("orders")).selection.row == 1, "the selection is kept")
        _ = Self.press([.escape, .escape], &state)
        #expect(state.stack == [.topics], "Esc stops at a root view")
    }

    @Test func enterOnAGroupRowOpensItsMessagesAtTheCommittedOffset() {
        var state = ConsoleFixture.state(.group("audit"))
        let effects = Self.press([.down, .enter], &state)
        let row = Self.model.latest!.group("audit")!.rows[1]
        #expect(state.view == .messages(row.topicPartition))
        #expect(state.stack.first == .groups)
        #expect(effects == [.loadMessages(MessagesQuery(topicPartition: row.topicPartition, start: .offset(row.committedOffset!)))])
    }

    @Test func filterNarrowsAsYouTypeAndEscClearsIt() {
        var state = ConsoleFixture.state(.topics)
        _ = Self.press([.character("/")] + Self.type("PAY"), &state)
        #expect(state.input != nil)
        #expect(state.rowCount(.topics, model: Self.model) == 1, "the filter ignores case")
        _ = Self.press([.enter], &state)
        #expect(state.input == nil && state.viewState(.topics).filter == "PAY")
        _ = Self.press([.enter], &state)
        #expect(state.view == .topic("payments"))
        _ = Self.press([.escape], &state)
        _ = Self.press([.escape], &state)
        #expect(state.viewState(.topics).filter.isEmpty, "Esc clears the filter first")
        #expect(state.view == .topics)
        _ = Self.press([.character("/")] + Self.type("x") + [.escape], &state)
        #expect(state.viewState(.topics).filter.isEmpty && state.input == nil)
    }

    @Test func sortCyclesThroughSortableColumnsAndReverses() {
        var state = ConsoleFixture.state(.groups)
        #expect(GroupsView.items(Self.model, state.viewState(.groups)).map(\.groupId) == ["audit", "billing", "shipping"])
        _ = Self.press([.character("s")], &state)
        #expect(state.viewState(.groups).sort == TableSort(column: 1))
        _ = Self.press([.character("s"), .character("s"), .character("s")], &state)
        #expect(state.viewState(.groups).sort == TableSort(column: 4), "LAG; the trend column is not sortable")
        _ = Self.press([.character("S")], &state)
        #expect(state.viewState(.groups).sort == TableSort(column: 4, ascending: false))
        #expect(GroupsView.items(Self.model, state.viewState(.groups)).map(\.groupId) == ["audit", "shipping", "billing"])
        _ = Self.press([.character("s")], &state)
        #expect(state.viewState(.groups).sort == TableSort(column: 5), "TIME-LAG")
        _ = Self.press([.character("s")], &state)
        #expect(state.viewState(.groups).sort == TableSort(column: 6), "STATUS")
        _ = Self.press([.character("s"), .character("s")], &state)
        #expect(state.viewState(.groups).sort == TableSort(column: 0), "CONS/s, then around to GROUP")
    }

    @Test func statusFilterKeepsGroupsWithThatStatus() {
        var state = ConsoleFixture.state(.cluster)
        _ = state.runCommand("status warn", model: Self.model)
        #expect(state.view == .groups && state.viewState(.groups).status == .warn)
        #expect(GroupsView.items(Self.model, state.viewState(.groups)).map(\.groupId) == ["shipping"])
        _ = state.runCommand("status STALL", model: Self.model)
        #expect(GroupsView.items(Self.model, state.viewState(.groups)).map(\.groupId) == ["audit"])
        _ = state.runCommand("status REWIND", model: Self.model)
        #expect(GroupsView.items(Self.model, state.viewState(.groups)).isEmpty)
        _ = state.runCommand("status bogus", model: Self.model)
        #expect(state.status == .error("usage: :status [OK|WARN|STOP|STALL|REWIND]"))
        _ = state.runCommand("status", model: Self.model)
        #expect(state.viewState(.groups).status == nil && GroupsView.items(Self.model, state.viewState(.groups)).count == 3)
    }

    @Test func selectionKeysStayInsideTheRows() {
        var state = ConsoleFixture.state(.topic("orders"))
        _ = Self.press([.end], &state)
        #expect(state.viewState(.topic("orders")).selection.row == 5)
        _ = Self.press([.down, .pageDown], &state)
        #expect(state.viewState(.topic("orders")).selection.row == 5)
        _ = Self.press([.home, .up], &state)
        #expect(state.viewState(.topic("orders")).selection.row == 0)
    }

    @Test func commands() {
        var state = ConsoleFixture.state(.cluster)
        #expect(state.runCommand("theme dark", model: Self.model) == [.switchTheme("dark")])
        _ = state.runCommand("group shipping", model: Self.model)
        #expect(state.stack == [.groups, .group("shipping")])
        _ = state.runCommand("topic nope", model: Self.model)
        #expect(state.status?.kind == .error && state.status?.text.hasPrefix("UNKNOWN_TOPIC_OR_PARTITION") == true)
        #expect(state.view == .group("shipping"))
        _ = state.runCommand("bogus", model: Self.model)
        #expect(state.status == .error("unknown command :bogus; ? lists the commands"))
        _ = state.runCommand("messages orders x", model: Self.model)
        #expect(state.status == .error("usage: :messages TOPIC PARTITION [OFFSET]"))
        #expect(state.runCommand("messages payments 2 7", model: Self.model)
            == [.loadMessages(MessagesQuery(topicPartition: TopicPartition("payments", 2), start: .offset(7)))])
        #expect(state.runCommand("stop 2", model: Self.model) == [.demo(.stopBroker(2)), .refresh])
        #expect(state.runCommand("rate orders-producer 50", model: Self.model) == [.demo(.setRate(producer: "orders-producer", recordsPerSecond: 50)), .refresh])
        #expect(state.runCommand("pause audit-1", model: Self.model) == [.demo(.setPaused(worker: "audit-1", paused: true)), .refresh])
        _ = state.runCommand("topics", model: Self.model)
        #expect(state.view == .topics)
        _ = state.runCommand("theme", model: Self.model)
        #expect(state.status?.text.contains("high-contrast") == true)
    }

    @Test func backspaceOnAnEmptyCommandLineLeavesIt() {
        var state = ConsoleFixture.state(.topics)
        _ = Self.press([.character(":"), .character("t"), .backspace], &state)
        #expect(state.input == .command(TextField()))
        _ = Self.press([.backspace], &state)
        #expect(state.input == nil)
    }

    @Test func readOnlyRefusesEveryMutatingAction() {
        // (r opens the reset form: a read-only console still previews; AppResetTests.)
        for keys: [Key] in [[.character("p")], [.character("n")], [.character("d")], [.character("x")],
                            [.character("4"), .character("+")], Self.type(":stop 1") + [.enter], Self.type(":create") + [.enter]] {
            var state = ConsoleFixture.state(.cluster, readOnly: true)
            _ = Self.press([.character("4")], &state)
            if keys == [.character("x")] { _ = Self.press([.character("1")], &state) }
            let effects = Self.press(keys, &state)
            #expect(effects.isEmpty, "\(keys)")
            #expect(state.dialog == nil)
            #expect(state.status?.kind == .error && state.status?.text.hasPrefix("read-only:") == true, "\(keys): \(String(describing: state.status))")
        }
        var state = ConsoleFixture.state(.topics, readOnly: true)
        #expect(state.runCommand("theme dark", model: Self.model) == [.switchTheme("dark")], "themes are not the cluster's")
    }

    @Test func demoActionsNeedControls() {
        var state = ConsoleFixture.state(.cluster, controls: false)
        #expect(Self.press([.character("x")], &state).isEmpty)
        #expect(state.status?.text.contains("eddy demo") == true)
        _ = Self.press([.character("d")], &state)
        #expect(state.dialog == nil)
    }

    @Test func brokerKeysActOnTheSelectedBroker() {
        var state = ConsoleFixture.state(.cluster)
        #expect(Self.press([.down, .character("x")], &state) == [.demo(.stopBroker(2)), .refresh])
        #expect(state.status == StatusMessage("stopping broker 2..."))
        #expect(Self.press([.down, .character("u")], &state) == [.demo(.startBroker(3)), .refresh])
        #expect(Self.press([.home, .character("X")], &state) == [.demo(.killBroker(1)), .refresh])
    }

    @Test func memberKeysWorkOnDemoGroupsOnly() {
        var state = ConsoleFixture.state(.group("shipping"))
        #expect(Self.press([.character("+")], &state) == [.demo(.addMember(group: "shipping")), .refresh])
        #expect(Self.press([.character("-")], &state) == [.demo(.removeMember(group: "shipping")), .refresh])
        state = ConsoleFixture.state(.group("billing"))
        #expect(Self.press([.character("+")], &state).isEmpty)
        #expect(state.status?.text.contains("no demo consumers") == true)
    }

    @Test func demoMenuMakesCommands() {
        var state = ConsoleFixture.state(.cluster)
        _ = Self.press([.character("d")], &state)
        guard case let .demoMenu(menu) = state.dialog else { Issue.record("no demo menu"); return }
        #expect(menu.action == .stopBroker)
        #expect(Self.press([.tab, .down, .enter], &state) == [.demo(.stopBroker(2)), .refresh])

        state = ConsoleFixture.state(.topics)
        _ = Self.press([.character("d")], &state)
        // pause/resume: audit-1 is paused, so choosing it resumes it.
        #expect(Self.press([.tab, .end, .enter], &state) == [.demo(.setPaused(worker: "audit-1", paused: false)), .refresh])

        state = ConsoleFixture.state(.topics)
        _ = Self.press([.character("d"), .down, .down, .down, .tab, .tab, .enter], &state)
        guard case let .demoMenu(rate) = state.dialog else { Issue.record("the menu closed without a rate"); return }
        #expect(rate.form.message?.kind == .error)
        #expect(Self.press(Self.type("7.5") + [.enter], &state) == [.demo(.setRate(producer: "orders-producer", recordsPerSecond: 7.5)), .refresh])
    }

    @Test func produceDialogMakesATestRecord() {
        var state = ConsoleFixture.state(.topic("orders"))
        _ = Self.press([.character("p")] + Self.type("{\"a\":1}") + [.tab] + Self.type("source=ui, trace") + [.backTab, .backTab] + Self.type("k-1"), &state)
        let effects = Self.press([.enter], &state)
        let record = TestRecord(topic: "orders", partition: nil, key: "k-1", value: "{\"a\":1}",
                                headers: [RecordHeader(key: "source", value: Array("ui".utf8)), RecordHeader(key: "trace", value: nil)])
        #expect(effects == [.produce(record), .refresh])
        #expect(state.dialog == nil)

        // In the Messages view the partition is the one on screen; a bad partition keeps the dialog open.
        state = ConsoleFixture.state(.messages(TopicPartition("payments", 2)))
        _ = Self.press([.character("p")], &state)
        guard case let .produce(form) = state.dialog else { Issue.record("no produce dialog"); return }
        #expect(form.text("topic") == "payments" && form.text("partition") == "2")
        _ = Self.press([.backTab, .backTab, .backspace] + Self.type("x") + [.enter], &state)
        guard case let .produce(bad) = state.dialog else { Issue.record("the dialog closed"); return }
        #expect(bad.message?.kind == .error && bad.focusedID == "partition")
    }

    @Test func createTopicDialogMakesANewTopic() {
        var state = ConsoleFixture.state(.topics)
        let keys = [.character("n")] + Self.type("events") + [.tab, .backspace] + Self.type("12") + [.tab, .tab, .right, .tab] + Self.type("P7D") + [.enter]
        let effects = Self.press(keys, &state)
        let topic = Admin.NewTopic(name: "events", numPartitions: 12, replicationFactor: 2,
                                   configs: ["cleanup.policy": "compact", "retention.ms": "604800000"])
        #expect(effects == [.createTopic(topic), .refresh])
    }

    @Test func messagesKeysPageJumpAndSwitchFormat() {
        var state = ConsoleFixture.state(.topics)
        let tp = TopicPartition("orders", 1)
        _ = state.runCommand("messages orders 1 120", model: Self.model)
        _ = state.receive(.messages(ConsoleFixture.messagesPage()), model: Self.model)
        #expect(state.messages?.records.count == 8 && state.pendingMessages == nil)
        #expect(Self.press([.character("]")], &state) == [.loadMessages(MessagesQuery(topicPartition: tp, start: .offset(128)))])
        #expect(Self.press([.character("[")], &state) == [.loadMessages(MessagesQuery(topicPartition: tp, start: .offset(100), limit: 20))])
        #expect(Self.press([.character("g")], &state) == [.loadMessages(MessagesQuery(topicPartition: tp, start: .earliest))])
        #expect(Self.press([.character("G")], &state) == [.loadMessages(MessagesQuery(topicPartition: tp, start: .latest))])
        _ = Self.press([.character("v")], &state)
        #expect(state.valueFormat == .json)
        _ = Self.press([.character("o")] + [.control("u")] + Self.type("1000") + [.enter], &state)
        #expect(state.pendingMessages == MessagesQuery(topicPartition: tp, start: .offset(1000)))
        #expect(Self.press([.character("t")] + Self.type("PT5M") + [.enter], &state)
            == [.loadMessages(MessagesQuery(topicPartition: tp, start: .ago(milliseconds: 300_000)))])
        #expect(Self.press([.character("t")] + Self.type("2024-06-01T12:00:00Z") + [.enter], &state)
            == [.loadMessages(MessagesQuery(topicPartition: tp, start: .timestamp(ConsoleFixture.t0)))])
        _ = Self.press([.character("t")] + Self.type("yesterday") + [.enter], &state)
        guard case let .jumpToTime(form) = state.dialog else { Issue.record("a bad time closed the dialog"); return }
        #expect(form.message?.kind == .error)
    }

    @Test func aStalePageIsIgnored() {
        var state = ConsoleFixture.state(.topics)
        _ = state.runCommand("messages orders 1 120", model: Self.model)
        _ = state.runCommand("messages orders 1 300", model: Self.model)
        _ = state.receive(.messages(ConsoleFixture.messagesPage()), model: Self.model)
        #expect(state.messages == nil, "the answer to the first query arrived after the second was asked")
        #expect(state.pendingMessages?.start == .offset(300))
        _ = state.receive(.messagesFailed(MessagesQuery(topicPartition: TopicPartition("orders", 1), start: .offset(300)), "LEADER_NOT_AVAILABLE"), model: Self.model)
        #expect(state.pendingMessages == nil && state.status == .error("LEADER_NOT_AVAILABLE"))
    }

    @Test func aProducedRecordReloadsTheLatestPageOfItsPartition() {
        var state = ConsoleFixture.state(.topics)
        let tp = TopicPartition("orders", 1)
        _ = Self.press([.character("6")], &state)
        _ = state.runCommand("messages orders 1", model: Self.model)
        let latest = MessagesPage(query: MessagesQuery(topicPartition: tp, start: .latest), records: ConsoleFixture.records, logStartOffset: 0, highWatermark: 128)
        _ = state.receive(.messages(latest), model: Self.model)
        #expect(state.viewState(.messages(tp)).selection.row == 7, "the latest page selects the newest record")
        #expect(state.receive(.produced(tp, offset: 128), model: Self.model) == [.loadMessages(latest.query)])
        #expect(state.status == .success("produced to orders-1 at offset 128"))
        #expect(state.receive(.produced(TopicPartition("orders", 2), offset: 5), model: Self.model).isEmpty)
    }

    @Test func helpOverlayOpensAndCloses() {
        var state = ConsoleFixture.state(.messages(TopicPartition("orders", 0)))
        _ = Self.press([.character("?")], &state)
        guard case let .help(overlay) = state.dialog else { Issue.record("no help"); return }
        #expect(overlay.sections.map(\.title).contains("Messages"))
        #expect(Self.press([.down, .character("q")], &state).isEmpty, "q closes the overlay, not the console")
        #expect(state.dialog == nil)
    }

    @Test func themeSwitchOutcome() {
        var state = ConsoleFixture.state(.topics)
        _ = state.receive(.themeSwitched("light"), model: Self.model)
        #expect(state.themeName == "light" && state.status == .success("theme light"))
    }
}
