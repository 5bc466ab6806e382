import Foundation
import Testing
@testable import EddyConsole

/// Widgets rendered at fixed sizes and compared with `Snapshots/*.txt` (text and styles).
@Suite struct WidgetSnapshotTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func partitionTable(selected: Int? = 1, sort: TableSort? = TableSort(column: 1, ascending: false)) -> Table {
        let columns = [
            TableColumn("PARTITION", width: .min(4), alignment: .right),
            TableColumn("LEADER", width: .fixed(6), alignment: .right),
            TableColumn("REPLICAS", width: .min(8)),
            TableColumn("LOG-END", width: .min(7), alignment: .right),
            TableColumn("TREND", width: .flex(min: 6, weight: 1)),
            TableColumn("OFFSETS", width: .flex(min: 10, weight: 2)),
        ]
        func replicas(_ ids: [Int], outOfISR: Set<Int>) -> TableCell {
            .spans(ids.enumerated().flatMap { i, id -> [Span] in
                let span = Span(String(id), outOfISR.contains(id) ? Style(.outOfISR) : .text)
                return i == 0 ? [span] : [Span(","), span]
            })
        }
        let rows = [
            TableRow(["0", "1", replicas([1, 2, 3], outOfISR: []), "1200", .sparkline(Sparkline(values: [0, 1, 2, 4, 8, 4, 2])),
                      .ruler(OffsetRuler(logStartOffset: 0, logEndOffset: 1200, highWatermark: 1200, position: 1200, committed: 1190))]),
            TableRow(["1", "2", replicas([2, 3, 1], outOfISR: [3]), "845", .sparkline(Sparkline(values: [5, 5, 0, 0, 1])),
                      .ruler(OffsetRuler(logStartOffset: 100, logEndOffset: 845, highWatermark: 800, position: 400, committed: 300))]),
            TableRow(["2", "-", replicas([3, 1, 2], outOfISR: [1, 2]), "0", .sparkline(Sparkline(values: [])),
                      .ruler(OffsetRuler(logStartOffset: 0, logEndOffset: 0, highWatermark: 0))], style: Style(.error)),
        ]
        return Table(columns: columns, rows: rows, sort: sort, selection: TableSelection(row: selected))
    }

    @Test(arguments: [("unicode", Glyphs.unicode), ("ascii", Glyphs.ascii)])
    func table(name: String, glyphs: Glyphs) {
        var grid = CellGrid(width: 64, height: 5)
        Self.partitionTable().render(into: &grid, rect: grid.bounds, glyphs: glyphs)
        Snapshot.assert(grid, named: "table-\(name)")
    }

    @Test func tableNarrowerThanItsColumns() {
        var grid = CellGrid(width: 30, height: 4)
        Self.partitionTable(selected: 0, sort: nil).render(into: &grid, rect: grid.bounds, glyphs: .unicode)
        Snapshot.assert(grid, named: "table-narrow")
    }

    @Test func tableScrollsToTheSelection() {
        let rows = (0..<50).map { TableRow([.text("topic-\($0)"), .text(HumanFormat.count(Int64($0) * 1234))]) }
        let table = Table(columns: [TableColumn("TOPIC", width: .flex), TableColumn("RECORDS", width: .min(7), alignment: .right)],
                          rows: rows, selection: TableSelection(row: 37, scrollOffset: 0))
        var grid = CellGrid(width: 24, height: 6)
        let used = table.render(into: &grid, rect: grid.bounds, glyphs: .unicode)
        #expect(used == TableSelection(row: 37, scrollOffset: 33))
        Snapshot.assert(grid, named: "table-scrolled")
    }

    @Test func emptyTable() {
        var grid = CellGrid(width: 30, height: 3)
        Table(columns: [TableColumn("GROUP"), TableColumn("STATE")], rows: [], emptyMessage: "no consumer groups yet")
            .render(into: &grid, rect: grid.bounds, glyphs: .unicode)
        Snapshot.assert(grid, named: "table-empty")
    }

    @Test func rulersAndLegend() {
        var grid = CellGrid(width: 60, height: 9)
        let rulers = [
            OffsetRuler(logStartOffset: 0, logEndOffset: 1000, highWatermark: 900, position: 500, committed: 450),
            OffsetRuler(logStartOffset: 0, logEndOffset: 1000, highWatermark: 1000, position: 1000, committed: 1000),
            OffsetRuler(logStartOffset: 500, logEndOffset: 1000, highWatermark: 990, position: nil, committed: 100),
            OffsetRuler(logStartOffset: 0, logEndOffset: 0, highWatermark: 0, position: 0, committed: 0),
            OffsetRuler(logStartOffset: 0, logEndOffset: 10, highWatermark: 0, position: 0, committed: nil),
            OffsetRuler(logStartOffset: 0, logEndOffset: 100, highWatermark: 90, position: 30, committed: 30, lastStableOffset: 60),
        ]
        for (i, ruler) in rulers.enumerated() {
            ruler.render(into: &grid, rect: Rect(x: 0, y: i, width: 40, height: 1), glyphs: .unicode)
            ruler.render(into: &grid, rect: Rect(x: 42, y: i, width: 18, height: 1), glyphs: .ascii)
        }
        grid.put(OffsetRuler.legend(glyphs: .unicode), in: Rect(x: 0, y: 7, width: 60, height: 1))
        grid.put(OffsetRuler.legend(glyphs: .ascii), in: Rect(x: 0, y: 8, width: 60, height: 1))
        Snapshot.assert(grid, named: "offset-rulers")
    }

    @Test func sparklines() {
        var grid = CellGrid(width: 12, height: 4)
        let values: [Double] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0.01]
        Sparkline(values: values).render(into: &grid, rect: Rect(x: 0, y: 0, width: 12, height: 1), glyphs: .unicode)
        Sparkline(values: values).render(into: &grid, rect: Rect(x: 0, y: 1, width: 12, height: 1), glyphs: .ascii)
        Sparkline(values: values, maximum: 16).render(into: &grid, rect: Rect(x: 0, y: 2, width: 6, height: 1), glyphs: .unicode)
        Sparkline(values: [0, 0, 0]).render(into: &grid, rect: Rect(x: 0, y: 3, width: 6, height: 1), glyphs: .unicode)
        Snapshot.assert(grid, named: "sparklines")
    }

    @Test func headerAndStatusLine() {
        var grid = CellGrid(width: 80, height: 6)
        let tabs = [TabBar.Tab(key: "1", title: "Cluster"), .init(key: "2", title: "Topics"), .init(key: "3", title: "Groups"), .init(key: "4", title: "Messages")]
        TabBar(tabs: tabs, active: 1, context: "orders › partition 3").render(into: &grid, rect: grid.bounds.row(0), glyphs: .unicode)
        TabBar(tabs: tabs, active: 2, context: "a very long context that cannot fit").render(into: &grid, rect: Rect(x: 0, y: 1, width: 40, height: 1), glyphs: .unicode)
        StatusLine(cluster: "demo", message: .success("Reset group audit: 6 partitions to earliest"), badges: ["read-only"],
                   refreshedAtMs: 1_700_000_000_000, refreshIntervalMs: 1000, timeZone: Self.utc)
            .render(into: &grid, rect: grid.bounds.row(3), glyphs: .unicode)
        StatusLine(cluster: "demo", message: .error("NOT_LEADER_OR_FOLLOWER: broker 2 is stopped; start it with s"),
                   refreshedAtMs: 1_700_000_000_000, refreshIntervalMs: 1000, timeZone: Self.utc)
            .render(into: &grid, rect: grid.bounds.row(4), glyphs: .ascii)
        StatusLine(cluster: "demo", message: StatusMessage("a message"), badges: ["read-only"], refreshedAtMs: 0, timeZone: Self.utc)
            .render(into: &grid, rect: Rect(x: 0, y: 5, width: 30, height: 1), glyphs: .unicode)
        Snapshot.assert(grid, named: "header-status")
    }

    static let help = HelpOverlay(sections: [
        .init("Views", [.init("1-6", "switch view"), .init(":topics", "go to a view by name"), .init("Enter", "open the selected row")]),
        .init("Actions", [.init("r", "reset the group's offsets"), .init("p", "produce a test record"), .init("q", "quit")]),
    ])

    @Test func helpOverlay() {
        var grid = CellGrid(width: 50, height: 14)
        grid.fill(grid.bounds, with: "x")
        Self.help.render(into: &grid, area: grid.bounds, glyphs: .unicode)
        Snapshot.assert(grid, named: "help-overlay")
    }

    @Test func helpOverlayScrolls() {
        var grid = CellGrid(width: 40, height: 9)
        var help = Self.help
        help.pageSize = HelpOverlay.visibleLines(in: grid.bounds)
        #expect(help.handle(.down) == .continuing)
        help.render(into: &grid, area: grid.bounds, glyphs: .ascii)
        #expect(grid.isASCII)
        Snapshot.assert(grid, named: "help-overlay-scrolled")
        #expect(help.handle(.escape) == .cancelled)
    }

    @Test func tooSmall() {
        var grid = CellGrid(width: 60, height: 7)
        TooSmallScreen(width: 60, height: 7).render(into: &grid, glyphs: .unicode)
        Snapshot.assert(grid, named: "too-small")
        #expect(TooSmallScreen.applies(width: 79, height: 24))
        #expect(TooSmallScreen.applies(width: 80, height: 23))
        #expect(!TooSmallScreen.applies(width: 80, height: 24))
    }

    static func resetForm() -> FormDialog {
        FormDialog(title: "Reset offsets: audit", fields: [
            .choice("scope", "Scope", ChoiceList(["whole group", "one topic", "partitions"], axis: .horizontal)),
            .choice("strategy", "Strategy", ChoiceList(["earliest", "latest", "to offset"], selected: 2)),
            .text("offset", "Offset", TextField("1200")),
        ], submitLabel: "preview")
    }

    @Test func formDialog() {
        var grid = CellGrid(width: 70, height: 16)
        var form = Self.resetForm()
        _ = form.handle(.tab)
        _ = form.handle(.tab)
        _ = form.handle(.left)
        form.message = .error("OFFSET_OUT_OF_RANGE: 99999 is past the log end 1200")
        form.render(into: &grid, area: grid.bounds, glyphs: .unicode)
        Snapshot.assert(grid, named: "form-dialog")
    }

    @Test func confirmDialogWithPreview() {
        let preview = Table(columns: [
            TableColumn("PARTITION", alignment: .right), TableColumn("OLD", alignment: .right), TableColumn("NEW", alignment: .right),
            TableColumn("LAG", alignment: .right),
        ], rows: (0..<6).map { p in TableRow([.text(String(p)), .text(String(1000 + p)), .text("0"), .text("+\(1000 + p)")]) },
           selection: TableSelection(row: nil))
        var dialog = ConfirmDialog(title: "Reset audit to earliest", message: ["6 partitions of orders will move back.", "The group's consumers are paused meanwhile."], preview: preview, confirmLabel: "Reset", maxPreviewRows: 4)
        #expect(dialog.handle(.tab) == .continuing)
        var grid = CellGrid(width: 60, height: 16)
        dialog.render(into: &grid, area: grid.bounds, glyphs: .unicode)
        Snapshot.assert(grid, named: "confirm-dialog")
    }
}

/// The cluster picker `eddy console` opens with when the clusters file names clusters.
@Suite struct ClusterPickerTests {
    static let entries = [
        ClusterPicker.Entry(id: "prod", title: "prod", detail: "kafka-1:9093,kafka-2:9093 SASL_SSL  read-only"),
        ClusterPicker.Entry(id: "staging", title: "staging", detail: "staging-kafka:9092"),
        ClusterPicker.Entry(id: "", title: "this machine", detail: "eddy data directory ./eddy-data"),
    ]

    @Test func keysChooseAndQuit() {
        var p = ClusterPicker(entries: Self.entries)
        #expect(p.handle(.down) == nil && p.selected == 1)
        #expect(p.handle(.end) == nil && p.selected == 2)
        #expect(p.handle(.down) == nil && p.selected == 2)
        #expect(p.handle(.home) == nil && p.selected == 0)
        #expect(p.handle(.enter) == .pick(Self.entries[0]))
        #expect(p.handle(.character("3")) == .pick(Self.entries[2]))
        #expect(p.handle(.character("4")) == nil)
        #expect(p.handle(.character("q")) == .quit && p.handle(.escape) == .quit && p.handle(.control("c")) == .quit)
        var empty = ClusterPicker(entries: [])
        #expect(empty.handle(.enter) == .quit)
    }

    @Test func rendersAt80x24() {
        var p = ClusterPicker(entries: Self.entries)
        _ = p.handle(.down)
        Snapshot.assert(p.render(size: ScreenSize(width: 80, height: 24), glyphs: .unicode), named: "cluster-picker-80x24")
    }
}
