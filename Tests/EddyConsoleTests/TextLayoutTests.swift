import Testing
@testable import EddyConsole

@Suite struct TextLayoutTests {
    @Test(arguments: [
        ("a", 1), ("abc", 3), ("", 0), ("日本", 4), ("é", 1), ("e\u{301}", 1), ("—", 1),
        ("🚀", 2), ("❤️", 2), ("\u{7}", 0), ("ｱ", 1), ("Ａ", 2), ("한국", 4),
    ])
    func displayWidth(text: String, width: Int) {
        #expect(DisplayWidth.of(text) == width)
    }

    @Test func truncateKeepsTextThatFits() {
        #expect(TextLayout.truncate("orders", to: 6) == "orders")
        #expect(TextLayout.truncate("orders", to: 5) == "orde…")
        #expect(TextLayout.truncate("orders", to: 1) == "o")
        #expect(TextLayout.truncate("orders", to: 0) == "")
        #expect(TextLayout.truncate("orders", to: 4, ellipsis: "~") == "ord~")
        #expect(TextLayout.truncate("日本語", to: 4) == "日…")
        #expect(TextLayout.truncate("日本語", to: 5) == "日本…")
        #expect(TextLayout.truncateHead("payments-eu-west", to: 8) == "…eu-west")
        #expect(TextLayout.truncateHead("short", to: 8) == "short")
    }

    /// Truncation never exceeds the width and keeps a prefix of the text, for every width.
    @Test func truncateIsBoundedForEveryWidth() {
        for text in ["", "a", "orders-events", "日本語のトピック", "mixed日本abc"] {
            for width in 0...20 {
                let cut = TextLayout.truncate(text, to: width)
                #expect(DisplayWidth.of(cut) <= width, "\(text) at \(width): \(cut)")
                if DisplayWidth.of(text) <= width { #expect(cut == text) }
                #expect(text.hasPrefix(cut.hasSuffix("…") ? String(cut.dropLast()) : cut))
            }
        }
    }

    @Test func padAligns() {
        #expect(TextLayout.pad("ab", to: 5) == "ab   ")
        #expect(TextLayout.pad("ab", to: 5, alignment: .right) == "   ab")
        #expect(TextLayout.pad("ab", to: 5, alignment: .center) == " ab  ")
        #expect(TextLayout.pad("abcdef", to: 4) == "abc…")
        #expect(TextLayout.pad("日", to: 3, alignment: .right) == " 日")
    }
}
