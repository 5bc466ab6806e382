import Foundation
import EddyProtocol

/// The render half of issue 5's frame budget (one frame for 200 topics and 2,000 partitions in
/// at most 10 ms): a seeded synthetic partition table, turned into table rows (formatting every
/// number, as a view does) and rendered with a header and status line into a 160x48 grid.
/// `eddy bench render` times `renderFrame`.
public enum RenderBenchmark {
    /// One synthetic partition: what the topic detail and group detail views show per row.
    public struct Partition: Hashable, Sendable {
        public var topic: String
        public var partition: Int
        public var leader: Int
        public var replicas: [Int]
        public var isr: [Int]
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var highWatermark: Int64
        public var position: Int64
        public var committed: Int64
        public var sizeBytes: Int64
        public var recordsPerSecond: Double
        public var history: [Double]
    }

    /// `partitions` rows over `topics` topics, reproducible from `seed`.
    public static func makeModel(topics: Int = 200, partitions: Int = 2000, seed: UInt64 = 5) -> [Partition] {
        var random = SplitMix64(seed: seed)
        let perTopic = max(1, partitions / max(1, topics))
        return (0..<partitions).map { i in
            let replicas = [0, 1, 2].map { ($0 + i) % 3 + 1 }
            let isr = Int.random(in: 0..<10, using: &random) == 0 ? Array(replicas.prefix(2)) : replicas
            let start = Int64.random(in: 0..<5_000, using: &random)
            let end = start + Int64.random(in: 0..<2_000_000, using: &random)
            let hw = max(start, end - Int64.random(in: 0..<50, using: &random))
            let lag = Int.random(in: 0..<4, using: &random) == 0 ? Int64.random(in: 0...(hw - start), using: &random) : Int64.random(in: 0..<1_000, using: &random)
            let position = max(start, hw - lag)
            let committed = max(start, position - Int64.random(in: 0..<500, using: &random))
            return Partition(
                topic: "topic-\(i / perTopic)", partition: i % perTopic, leader: replicas[0], replicas: replicas, isr: isr,
                logStartOffset: start, logEndOffset: end, highWatermark: hw, position: position, committed: committed,
                sizeBytes: (end - start) * 180, recordsPerSecond: Double.random(in: 0..<5_000, using: &random),
                history: (0..<60).map { _ in Double.random(in: 0..<5_000, using: &random) })
        }
    }

    /// Builds the table for `model` and renders a full frame.
    public static func renderFrame(_ model: [Partition], width: Int = 160, height: Int = 48, glyphs: Glyphs = .unicode, selectedRow: Int = 1000) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        let columns = [
            TableColumn("TOPIC", width: .min(8)), TableColumn("PART", width: .min(4), alignment: .right),
            TableColumn("LEADER", width: .min(6), alignment: .right), TableColumn("REPLICAS", width: .min(8)),
            TableColumn("ISR", width: .min(5)), TableColumn("LOG-START", width: .min(9), alignment: .right),
            TableColumn("LOG-END", width: .min(9), alignment: .right), TableColumn("HW", width: .min(9), alignment: .right),
            TableColumn("SIZE", width: .min(8), alignment: .right), TableColumn("REC/S", width: .min(7), alignment: .right),
            TableColumn("TREND", width: .flex(min: 10, weight: 1)), TableColumn("OFFSETS", width: .flex(min: 20, weight: 2)),
        ]
        let rows = model.map { p -> TableRow in
            let replicaSpans = p.replicas.enumerated().flatMap { i, r -> [Span] in
                let span = Span(String(r), p.isr.contains(r) ? .text : Style(.outOfISR))
                return i == 0 ? [span] : [Span(","), span]
            }
            return TableRow([
                .text(p.topic), .text(String(p.partition)), .text(String(p.leader)), .spans(replicaSpans),
                .text(p.isr.map(String.init).joined(separator: ",")), .text(String(p.logStartOffset)),
                .text(String(p.logEndOffset)), .text(String(p.highWatermark)), .text(HumanFormat.bytes(p.sizeBytes)),
                .text(HumanFormat.rate(p.recordsPerSecond)), .sparkline(Sparkline(values: p.history)),
                .ruler(OffsetRuler(logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, highWatermark: p.highWatermark, position: p.position, committed: p.committed)),
            ])
        }
        let table = Table(columns: columns, rows: rows, sort: TableSort(column: 0), selection: TableSelection(row: selectedRow))
        let tabs = TabBar(tabs: [.init(key: "1", title: "Cluster"), .init(key: "2", title: "Topics"), .init(key: "3", title: "Groups"), .init(key: "4", title: "Messages")], active: 1, context: "\(model.count) partitions")
        let status = StatusLine(cluster: "bench", message: StatusMessage("rendered"), refreshedAtMs: 0, refreshIntervalMs: 1000, timeZone: .gmt)
        let (top, rest) = grid.bounds.splitTop(1)
        let (body, bottom) = rest.splitBottom(1)
        tabs.render(into: &grid, rect: top, glyphs: glyphs)
        table.render(into: &grid, rect: body, glyphs: glyphs)
        status.render(into: &grid, rect: bottom, glyphs: glyphs)
        return grid
    }

    /// Times `iterations` frames after one warm-up frame; returns each frame's duration.
    public static func measure(iterations: Int, model: [Partition]) -> [Duration] {
        let clock = ContinuousClock()
        _ = renderFrame(model)
        return (0..<max(1, iterations)).map { _ in
            let start = clock.now
            let grid = renderFrame(model)
            precondition(grid.width > 0)
            return clock.now - start
        }
    }
}
