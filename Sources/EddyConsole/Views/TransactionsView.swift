import EddyClient
import EddyProtocol

/// View 7: the transactions the coordinators keep (ListTransactions, DescribeTransactions) and
/// the hanging ones, open in a partition that no coordinator runs. Sorted by age, oldest
/// first, so that what holds read_committed consumers longest comes first; those that run
/// nothing (Empty, CompleteCommit, ...) follow. `a` aborts the selected one after a
/// confirmation.
///
///     Transactions 3 │ running 2 │ hanging 1
///     TRANSACTIONAL ID STATE   PRODUCER EPOCH COORD STARTED     AGE TIMEOUT PARTITIONS
///     (none)           Hanging      777     3 -     11:35:00 25m29s       - orders-1
///     payments-etl     Ongoing     4001     0 1     12:00:10    19s     41s payments-2
///     audit-tx         Empty       4003     0 1     -           -       - -
enum TransactionsView {
    static func spec(nowMs: Int64) -> TableSpec<TransactionSnapshot> {
        TableSpec(
            columns: [
                TableColumn("TRANSACTIONAL ID", width: .min(12)), TableColumn("STATE", width: .min(7)),
                TableColumn("PRODUCER", width: .min(8), alignment: .right), TableColumn("EPOCH", width: .min(5), alignment: .right),
                TableColumn("COORD", width: .min(5)), TableColumn("STARTED", width: .min(8)),
                TableColumn("AGE", width: .min(6), alignment: .right), TableColumn("TIMEOUT", width: .min(7), alignment: .right),
                TableColumn("PARTITIONS", width: .flex(min: 10, weight: 1)),
            ],
            orderings: [
                0: { ($0.transactionalId ?? "") < ($1.transactionalId ?? "") },
                1: { $0.state < $1.state },
                2: { $0.producerId < $1.producerId },
                6: { ascending($0.ageMs(nowMs: nowMs), $1.ageMs(nowMs: nowMs)) },
                7: { ascending($0.timeoutLeftMs(nowMs: nowMs), $1.timeoutLeftMs(nowMs: nowMs)) },
            ],
            searchText: { t in ([t.transactionalId ?? "", t.state, String(t.producerId)] + t.partitions.map(\.description)).joined(separator: " ") },
            defaultSort: TableSort(column: 6, ascending: false))
    }

    /// The rows in display order (what the selection indexes).
    static func items(_ model: ConsoleModel, _ state: ViewState) -> [TransactionSnapshot] {
        spec(nowMs: model.latest?.takenAtMs ?? 0).arrange(model.latest?.transactions ?? [], state: state)
    }

    static func tableRect(body: Rect) -> Rect { body.splitTop(1).rest }

    static func render(into grid: inout CellGrid, body: Rect, context: ViewContext) {
        let glyphs = context.glyphs
        let viewState = context.viewState(.transactions)
        guard let snapshot = context.snapshot else {
            grid.put("Waiting for the first sample of the cluster...", in: body.row(0), style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        guard let all = snapshot.transactions else {
            grid.put("The cluster lists no transactions: it does not offer ListTransactions (Kafka 3.0+), or listing them failed.",
                     in: body.row(0), style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        let now = snapshot.takenAtMs
        let spec = spec(nowMs: now)
        let rows = spec.arrange(all, state: viewState)
        let running = all.filter(\.isRunning).count
        let hanging = all.filter { $0.hanging != nil }.count
        var pairs: [(String, String, Style)] = [("Transactions", String(all.count), .text), ("running", String(running), .text)]
        if hanging > 0 { pairs.append(("hanging", String(hanging), Style(.error, attributes: .bold))) }
        SummaryLine.render(SummaryLine.pairs(pairs, glyphs: glyphs), filter: viewState.filter, shown: rows.count, total: all.count,
                           into: &grid, rect: body, glyphs: glyphs)
        let tableRows = rows.map { t -> TableRow in
            TableRow([
                t.transactionalId.map { .text($0) } ?? .text("(none)", Style(.muted)),
                stateCell(t.state),
                .text(String(t.producerId)), .text(String(t.producerEpoch)),
                .text(t.coordinator.map(String.init) ?? "-"),
                .text(t.isRunning ? t.startTimeMs.map { HumanFormat.timeOfDay(epochMs: $0, timeZone: context.state.timeZone) } ?? "-" : "-"),
                ageCell(t, nowMs: now),
                timeoutCell(t.timeoutLeftMs(nowMs: now)),
                .text(t.partitions.isEmpty ? "-" : t.partitions.map(\.description).joined(separator: ",")),
            ])
        }
        let empty = viewState.filter.isEmpty ? "no transactional producer has used this cluster" : "no transaction matches the filter"
        Table(columns: spec.columns, rows: tableRows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: empty).render(into: &grid, rect: tableRect(body: body), glyphs: glyphs)
    }

    static func stateCell(_ state: String) -> TableCell {
        switch state {
        case TransactionSnapshot.hangingState: .text(state, Style(.error, attributes: .bold))
        case "Ongoing": .text(state, Style(.warning))
        case "PrepareCommit", "PrepareAbort", "PrepareEpochFence": .text(state, Style(.warning, attributes: .bold))
        case "CompleteCommit": .text(state, Style(.ok))
        default: .text(state, Style(.muted))
        }
    }

    /// AGE: how long the running transaction has held its partitions' last stable offset; in
    /// warning past a minute (Kafka's default transaction.timeout.ms), in error when hanging.
    static func ageCell(_ t: TransactionSnapshot, nowMs: Int64) -> TableCell {
        guard let age = t.ageMs(nowMs: nowMs) else { return .text("-", Style(.muted)) }
        let style = t.hanging != nil ? Style(.error, attributes: .bold) : age >= 60_000 ? Style(.warning) : Style(.text)
        return .text(HumanFormat.duration(ms: age), style)
    }

    /// TIMEOUT: the time left before the coordinator aborts it; negative, in error, once it is
    /// overdue (the coordinator has not aborted it yet).
    static func timeoutCell(_ left: Int64?) -> TableCell {
        guard let left else { return .text("-", Style(.muted)) }
        return left >= 0 ? .text(HumanFormat.duration(ms: left)) : .text("-" + HumanFormat.duration(ms: -left), Style(.error))
    }
}
