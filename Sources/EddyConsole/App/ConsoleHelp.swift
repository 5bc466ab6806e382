/// The keys and commands, for the `?` overlay and the hint line. One list, so the overlay
/// never disagrees with what `ConsoleState.handle` does.
enum ConsoleHelp {
    static let global: [HelpOverlay.Entry] = [
        .init("1 - 7", "Cluster, Topics, Topic, Groups, Group, Messages, Transactions"),
        .init("Enter", "open the selected row"),
        .init("Esc", "clear the filter, else go back"),
        .init("Up Down", "move the selection (PgUp PgDn Home End too)"),
        .init("/", "filter the rows (Enter keeps, Esc clears)"),
        .init("s / S", "sort by the next column / reverse the sort"),
        .init(":", "command line (see Commands)"),
        .init("?", "this help"),
        .init("Ctrl-L", "redraw the screen"),
        .init("q  Ctrl-C", "quit"),
    ]

    static let actions: [HelpOverlay.Entry] = [
        .init("p", "produce a test record (key, value, headers)"),
        .init("n", "create a topic"),
        .init("r", "reset the group's offsets (Groups, Group)"),
        .init("+ / -", "add / remove a member of a demo group"),
        .init("d", "demo controls: workers, rates, members, nodes"),
        .init("x / X / u", "stop / kill / start the selected node: broker or controller (Cluster)"),
        .init("a", "abort the selected transaction, after a confirmation (Transactions)"),
    ]

    static let messages: [HelpOverlay.Entry] = [
        .init("v", "value format: UTF-8, JSON, hex"),
        .init("o", "jump to an offset"),
        .init("t", "jump to a time (date-time, or a duration ago)"),
        .init("g / G", "first / last records"),
        .init("[ / ]", "previous / next page"),
        .init("R", "reload the page"),
    ]

    /// The Group view's columns, as the man page defines them.
    static let positions: [HelpOverlay.Entry] = [
        .init("LOG-END", "the leader's log end (includes unreplicated records)"),
        .init("HW", "high watermark: the end of what consumers can read"),
        .init("LSO", "last stable offset: where read_committed consumers stop (held: an open transaction)"),
        .init("POSITION", "next offset the member's consumer fetches, at or ahead of what it has processed"),
        .init("COMMITTED", "the group's committed offset"),
        .init("LOG-START", "the first offset still stored"),
        .init("LAG / POS-LAG", "HW minus COMMITTED (or LOG-START) / HW minus POSITION"),
        .init("TIME-LAG", "how old the record at COMMITTED is"),
        .init("STATUS", "Burrow's: OK WARN STOP STALL REWIND; LOST n: records deleted unread"),
    ]

    /// The Transactions view's columns.
    static let transactions: [HelpOverlay.Entry] = [
        .init("STATE", "Kafka's: Empty Ongoing PrepareCommit PrepareAbort CompleteCommit CompleteAbort; Hanging: open in a partition, run by no coordinator"),
        .init("PRODUCER EPOCH", "the producer id and epoch the coordinator holds (older epochs are fenced)"),
        .init("STARTED AGE", "when the running transaction started, and how long it has held its partitions' LSO"),
        .init("TIMEOUT", "what is left of transaction.timeout.ms before the coordinator aborts it (negative: overdue)"),
        .init("a", "abort: Ongoing through its coordinator (fences the producer); Hanging with an ABORT marker"),
    ]

    static let commands: [HelpOverlay.Entry] = [
        .init(":cluster :brokers", "the Cluster view"),
        .init(":topics :groups", "the Topics / Groups view"),
        .init(":transactions :txns", "the Transactions view"),
        .init(":topic NAME", "a topic's partitions"),
        .init(":group NAME", "a group's positions"),
        .init(":status [S]", "groups with status S (OK, WARN, ...); none: all"),
        .init(":messages T P [O]", "records of topic T, partition P, from offset O"),
        .init(":theme NAME|PATH", "switch the theme live (:theme lists them)"),
        .init(":reset [GROUP]", "reset a group's offsets"),
        .init(":produce [TOPIC]", "produce a test record"),
        .init(":create", "create a topic"),
        .init(":stop :kill ID", "stop (clean) or kill (crash) node ID"),
        .init(":start ID", "start node ID"),
        .init(":pause :resume W", "pause or resume demo worker W"),
        .init(":rate W N", "set demo producer W to N records/s"),
        .init(":add-member G", "add a consumer to demo group G"),
        .init(":remove-member G", "remove a consumer from demo group G"),
        .init(":demo", "demo controls"),
        .init(":help :quit", "this help; quit"),
    ]

    static func overlay(for state: ConsoleState) -> HelpOverlay {
        var sections = [HelpOverlay.Section("Everywhere", global)]
        if case .messages = state.view { sections.append(HelpOverlay.Section("Messages", messages)) }
        if case .group = state.view { sections.append(HelpOverlay.Section("Positions", positions)) }
        if case .transactions = state.view { sections.append(HelpOverlay.Section("Transactions", transactions)) }
        sections.append(HelpOverlay.Section("Actions" + (state.readOnly ? " (refused: read-only)" : ""), actions))
        sections.append(HelpOverlay.Section("Commands", commands))
        return HelpOverlay(title: "eddy keys", sections: sections)
    }

    /// The hint line's keys for the current view.
    static func hints(for state: ConsoleState) -> [(String, String)] {
        var hints: [(String, String)]
        switch state.view {
        case .cluster:
            hints = [("1-7", "views")]
            if state.hasDemoControls { hints += [("x", "stop"), ("X", "kill"), ("u", "start"), ("d", "demo")] }
        case .topics: hints = [("Enter", "partitions"), ("/", "filter"), ("s", "sort"), ("p", "produce"), ("n", "new topic")]
        case .topic: hints = [("Enter", "messages"), ("Esc", "back"), ("s", "sort"), ("p", "produce")]
        case .groups: hints = [("Enter", "positions"), ("r", "reset offsets"), ("/", "filter"), ("s", "sort")]
        case .group:
            hints = [("r", "reset offsets"), ("Enter", "messages"), ("Esc", "back")]
            if state.hasDemoControls { hints += [("+/-", "member")] }
        case .messages: hints = [("v", "format"), ("o", "offset"), ("t", "time"), ("[ ]", "page"), ("Esc", "back")]
        case .transactions: hints = [("a", "abort"), ("Enter", "messages"), ("/", "filter"), ("s", "sort")]
        }
        return hints + [(":", "command"), ("q", "quit")]
    }
}
