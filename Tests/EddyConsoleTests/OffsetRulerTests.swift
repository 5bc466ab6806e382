import EddyProtocol
import Testing
@testable import EddyConsole

@Suite struct OffsetRulerTests {
    @Test func columns() {
        let ruler = OffsetRuler(logStartOffset: 100, logEndOffset: 200, highWatermark: 150)
        #expect(ruler.column(of: 100, width: 10) == 0)
        #expect(ruler.column(of: 150, width: 10) == 5)
        #expect(ruler.column(of: 200, width: 10) == 9)
        #expect(ruler.column(of: 50, width: 10) == 0)
        #expect(ruler.column(of: 500, width: 10) == 9)
    }

    /// Over random offsets and widths: marks get distinct columns inside the bar, keep their
    /// left-to-right order by offset, and a mark alone on its column sits at its true column.
    @Test func markPlacementProperties() {
        var random = SplitMix64(seed: 3)
        for _ in 0..<3000 {
            let start = Int64.random(in: 0...50, using: &random)
            let end = start + Int64.random(in: 0...200, using: &random)
            let hw = Int64.random(in: start...end, using: &random)
            let position: Int64? = Bool.random(using: &random) ? Int64.random(in: start...hw, using: &random) : nil
            let committed: Int64? = Bool.random(using: &random) ? Int64.random(in: (start - 10)...hw, using: &random) : nil
            let lso: Int64? = Bool.random(using: &random) ? Int64.random(in: start...hw, using: &random) : nil
            let ruler = OffsetRuler(logStartOffset: start, logEndOffset: end, highWatermark: hw, position: position, committed: committed,
                                    lastStableOffset: lso)
            let held = lso.map { $0 < hw } ?? false
            let width = Int.random(in: 1...30, using: &random)
            let marks = ruler.markColumns(width: width)
            let context = "seed 3: \(ruler) width \(width) -> \(marks)"
            #expect(Set(marks.map(\.column)).count == marks.count, "\(context)")
            #expect(marks.allSatisfy { $0.column >= 0 && $0.column < width }, "\(context)")
            #expect(marks.count == min(width, 1 + (position == nil ? 0 : 1) + (committed == nil ? 0 : 1) + (held ? 1 : 0)), "\(context)")
            let offsets: [OffsetRuler.Mark: Int64] = [.committed: committed ?? 0, .position: position ?? 0, .lastStable: lso ?? 0, .highWatermark: hw]
            for (a, b) in zip(marks, marks.dropFirst()) {
                #expect(offsets[a.mark]! <= offsets[b.mark]!, "\(context)")
            }
            let trueColumns = marks.map { ruler.column(of: offsets[$0.mark]!, width: width) }
            for (i, mark) in marks.enumerated() where trueColumns.filter({ $0 == trueColumns[i] }).count == 1 && width >= 3 {
                // Alone on its column and not displaced by a crowd next to it: at its true column,
                // or moved by at most the number of other marks.
                #expect(abs(mark.column - trueColumns[i]) <= marks.count - 1, "\(context)")
            }
        }
    }

    /// S marks the last stable offset only where an open transaction holds it below the high
    /// watermark, and is kept after H when the bar is narrow.
    @Test func theLastStableOffsetIsMarkedOnlyWhenHeldBack() {
        let held = OffsetRuler(logStartOffset: 0, logEndOffset: 100, highWatermark: 100, position: 20, lastStableOffset: 40)
        #expect(held.markColumns(width: 10).map(\.mark) == [.position, .lastStable, .highWatermark])
        #expect(held.markColumns(width: 10).first { $0.mark == .lastStable }?.column == 4)
        #expect(held.markColumns(width: 2).map(\.mark) == [.lastStable, .highWatermark])
        let free = OffsetRuler(logStartOffset: 0, logEndOffset: 100, highWatermark: 100, position: 20, lastStableOffset: 100)
        #expect(free.markColumns(width: 10).map(\.mark) == [.position, .highWatermark])
    }

    @Test func narrowBarsDropCommittedFirst() {
        let ruler = OffsetRuler(logStartOffset: 0, logEndOffset: 10, highWatermark: 10, position: 10, committed: 10)
        #expect(ruler.markColumns(width: 2).map(\.mark) == [.position, .highWatermark])
        #expect(ruler.markColumns(width: 1).map(\.mark) == [.highWatermark])
        #expect(ruler.markColumns(width: 0).isEmpty)
    }
}
