import Testing
@testable import EddyConsole

/// With the ASCII glyph set, no widget writes a non-ASCII character of its own.
@Suite struct AsciiFallbackTests {
    @Test func everyWidgetDrawsPlainASCII() {
        var grid = CellGrid(width: 100, height: 40)
        WidgetSnapshotTests.partitionTable().render(into: &grid, rect: Rect(x: 0, y: 0, width: 100, height: 5), glyphs: .ascii)
        TabBar(tabs: [.init(key: "1", title: "Cluster")], active: 0, context: "orders / 3").render(into: &grid, rect: grid.bounds.row(6), glyphs: .ascii)
        StatusLine(cluster: "demo", message: .error("x"), badges: ["read-only"], refreshedAtMs: 0).render(into: &grid, rect: grid.bounds.row(7), glyphs: .ascii)
        grid.put(OffsetRuler.legend(glyphs: .ascii), x: 0, y: 8)
        WidgetSnapshotTests.help.render(into: &grid, area: Rect(x: 0, y: 9, width: 50, height: 14), glyphs: .ascii)
        WidgetSnapshotTests.resetForm().render(into: &grid, area: Rect(x: 50, y: 9, width: 50, height: 14), glyphs: .ascii)
        ConfirmDialog(title: "t", message: ["m"]).render(into: &grid, area: Rect(x: 0, y: 24, width: 50, height: 10), glyphs: .ascii)
        TooSmallScreen(width: 10, height: 5).render(into: &grid, glyphs: .ascii)
        #expect(grid.isASCII)
        var tooSmall = CellGrid(width: 40, height: 6)
        TooSmallScreen(width: 40, height: 6).render(into: &tooSmall, glyphs: .ascii)
        #expect(tooSmall.isASCII)
    }

    @Test func glyphSetsAreComplete() {
        for glyphs in [Glyphs.unicode, .ascii] {
            #expect(glyphs.sparkBlocks.count == 8)
            #expect(Set(glyphs.sparkBlocks).count == 8)
            #expect(DisplayWidth.of(glyphs.ellipsis) == 1)
            let marks = [glyphs.markCommitted, glyphs.markPosition, glyphs.markHighWatermark]
            #expect(Set(marks).count == 3)
            let track = [glyphs.rulerConsumed, glyphs.rulerLag, glyphs.rulerUnreplicated]
            #expect(Set(track).count == 3 && Set(track).isDisjoint(with: marks))
        }
        let ascii = Glyphs.ascii
        let all: [Character] = [ascii.horizontal, ascii.vertical, ascii.topLeft, ascii.topRight, ascii.bottomLeft, ascii.bottomRight,
                                ascii.arrowUp, ascii.arrowDown, ascii.arrowLeft, ascii.arrowRight, ascii.rulerConsumed, ascii.rulerLag,
                                ascii.rulerUnreplicated] + ascii.sparkBlocks
        #expect(all.allSatisfy { $0.isASCII })
        let texts = ascii.ellipsis + ascii.radioOn + ascii.radioOff + ascii.separator
        #expect(texts.allSatisfy { $0.isASCII })
    }
}
