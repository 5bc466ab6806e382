import Testing
@testable import EddyConsole

@Suite struct ThemeParserTests {
    func parse(_ text: String) throws(ThemeError) -> Theme {
        try ThemeParser.parse(text, name: "t", source: "t.theme", fallback: BundledThemes.default)
    }

    @Test func parsesColoursAttributesAndComments() throws {
        let theme = try parse("""
            # a comment

            text = default default
              selected   =  bright-white   24   bold reverse   # trailing comment
            error=#ff0000 default underline
            OUT-OF-ISR = 9 Black
            """)
        #expect(theme[.text] == RoleStyle())
        #expect(theme[.selected] == RoleStyle(foreground: .indexed(15), background: .indexed(24), attributes: [.bold, .reverse]))
        #expect(theme[.error] == RoleStyle(foreground: .indexed(196), background: .terminalDefault, attributes: .underline))
        #expect(theme[.outOfISR] == RoleStyle(foreground: .indexed(9), background: .indexed(0)))
        #expect(theme.definedRoles == [.text, .selected, .error, .outOfISR])
        // Roles left out come from the fallback.
        #expect(theme[.header] == BundledThemes.default[.header])
    }

    @Test func defaultColoursInheritTheTextRole() throws {
        let theme = try parse("text = 252 235\nmuted = 244 default\nerror = default default bold")
        #expect(theme.resolve(Style(.muted)) == ResolvedStyle(foreground: .indexed(244), background: .indexed(235), attributes: []))
        #expect(theme.resolve(Style(.error)) == ResolvedStyle(foreground: .indexed(252), background: .indexed(235), attributes: .bold))
        // A span's foreground over a row's background: colours from each, attributes from both.
        let mixed = theme.resolve(Style(foreground: .error, background: .muted, attributes: .underline))
        #expect(mixed == ResolvedStyle(foreground: .indexed(252), background: .indexed(235), attributes: [.bold, .underline]))
    }

    @Test(arguments: [
        ("text = default default\nfoo bar", ThemeError.missingEquals(ThemeLocation(source: "t.theme", line: 2))),
        ("\n\nheadr = red blue", .unknownRole(ThemeLocation(source: "t.theme", line: 3), "headr")),
        ("error = red default\n# x\nerror = blue default", .duplicateRole(ThemeLocation(source: "t.theme", line: 3), .error, firstLine: 1)),
        ("ok =", .missingColors(ThemeLocation(source: "t.theme", line: 1), .ok)),
        ("ok = green", .missingColors(ThemeLocation(source: "t.theme", line: 1), .ok)),
        ("ok = green bold", .missingBackground(ThemeLocation(source: "t.theme", line: 1), .ok, found: "bold")),
        ("ok = grene default", .invalidColor(ThemeLocation(source: "t.theme", line: 1), "grene")),
        ("ok = 256 default", .invalidColor(ThemeLocation(source: "t.theme", line: 1), "256")),
        ("ok = green #12345", .invalidColor(ThemeLocation(source: "t.theme", line: 1), "#12345")),
        ("ok = green default blink", .unknownAttribute(ThemeLocation(source: "t.theme", line: 1), "blink")),
        ("ok = green default bold red", .unknownAttribute(ThemeLocation(source: "t.theme", line: 1), "red")),
        (" = green default", .missingEquals(ThemeLocation(source: "t.theme", line: 1))),
    ])
    func errorsNameTheirLine(text: String, expected: ThemeError) {
        #expect(throws: expected) { try parse(text) }
    }

    @Test func errorMessagesStartWithFileAndLine() {
        do {
            _ = try parse("text = default default\nheader = black cyan sparkly")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "t.theme:2: unknown attribute `sparkly`; attributes are bold, dim, underline, reverse")
        }
    }

    @Test func colourTokens() {
        #expect(ThemeColor(token: "default") == .terminalDefault)
        #expect(ThemeColor(token: "red") == .indexed(1))
        #expect(ThemeColor(token: "bright-cyan") == .indexed(14))
        #expect(ThemeColor(token: "grey") == .indexed(8))
        #expect(ThemeColor(token: "255") == .indexed(255))
        #expect(ThemeColor(token: "0") == .indexed(0))
        #expect(ThemeColor(token: "#000000") == .indexed(16))
        #expect(ThemeColor(token: "#ffffff") == .indexed(231))
        #expect(ThemeColor(token: "#808080") == .indexed(244))
        for bad in ["", "-1", "1000", "+5", "bright-", "bright-grey", "#gggggg", "0x10"] {
            #expect(ThemeColor(token: bad) == nil, "\(bad)")
        }
        // Every colour prints as a token that parses back to itself.
        for i in 0...255 {
            let color = ThemeColor.indexed(UInt8(i))
            #expect(ThemeColor(token: color.description) == color)
        }
    }
}
