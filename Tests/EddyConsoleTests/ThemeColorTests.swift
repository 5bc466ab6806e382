import Testing
@testable import EddyConsole

@Suite struct ThemeColorTests {
    @Test(arguments: [
        (UInt8(0), UInt8(0)), (1, 1), (7, 7), (9, 1), (10, 2), (12, 4), (15, 7), (8, 7), (244, 7), (240, 0), (242, 7), (238, 0),
        (196, 1), (46, 2), (21, 4), (226, 3), (201, 5), (51, 6), (16, 0), (231, 7), (232, 0), (255, 7),
        (39, 6), (214, 3), (24, 6),
    ])
    func nearestBasicColour(index: UInt8, basic: UInt8) {
        #expect(XtermPalette.nearestBasic(to: index) == basic)
    }

    @Test func paletteRGB() {
        #expect(XtermPalette.rgb(16) == (0, 0, 0))
        #expect(XtermPalette.rgb(196) == (255, 0, 0))
        #expect(XtermPalette.rgb(244) == (128, 128, 128))
        #expect(XtermPalette.rgb(231) == (255, 255, 255))
    }

    @Test func eightColourThemesUseOnlyBasicColours() throws {
        let dark = try #require(BundledThemes.theme(named: "dark")).adapted(to: .colors8)
        for role in ThemeRole.allCases {
            for color in [dark[role].foreground, dark[role].background] {
                if case .indexed(let i) = color { #expect(i < 8, "\(role.rawValue): \(i)") }
            }
        }
        #expect(dark[.selected].background == .indexed(6))
        #expect(dark[.selected].attributes == [])
    }

    @Test func eightColourRolesThatMergeWithTextTakeMonochromeAttributes() throws {
        let theme = try ThemeParser.parse("text = 252 235\nmuted = 244 default\nerror = 196 default bold", name: "t", source: "t", fallback: BundledThemes.default)
        let basic = theme.adapted(to: .colors8)
        // 244 and 252 are both white on 8 colours: muted would vanish into text, so it is dimmed.
        #expect(basic[.muted] == RoleStyle(foreground: .indexed(7), background: .terminalDefault, attributes: .dim))
        // Red stays red: no extra attributes.
        #expect(basic[.error] == RoleStyle(foreground: .indexed(1), background: .terminalDefault, attributes: .bold))
        #expect(basic[.text] == RoleStyle(foreground: .indexed(7), background: .indexed(0)))
    }

    @Test func withoutColourRolesThatUsedColourTakeMonochromeAttributes() throws {
        let theme = try ThemeParser.parse(
            "text = default default\nselected = white blue\nerror = default default underline\nwarning = yellow default bold",
            name: "t", source: "t", fallback: BundledThemes.default)
        let mono = theme.adapted(to: .none)
        for role in ThemeRole.allCases {
            #expect(mono[role].foreground == .terminalDefault && mono[role].background == .terminalDefault)
        }
        #expect(mono[.selected].attributes == BundledThemes.monochrome[.selected].attributes)
        #expect(mono[.selected].attributes.contains(.reverse))
        // A role that did not rely on colour keeps its own attributes.
        #expect(mono[.error].attributes == .underline)
        #expect(mono[.warning].attributes == BundledThemes.monochrome[.warning].attributes)
    }

    @Test func noColorDisablesColour() {
        #expect(ColorCapability.detect(colors: 256, environment: ["NO_COLOR": "1"]) == ColorCapability.none)
        #expect(ColorCapability.detect(colors: 256, environment: ["NO_COLOR": ""]) == .colors256)
        #expect(ColorCapability.detect(colors: 256, environment: [:]) == .colors256)
        #expect(ColorCapability.detect(colors: 16, environment: [:]) == .colors8)
        #expect(ColorCapability.detect(colors: 8, environment: [:]) == .colors8)
        #expect(ColorCapability.detect(colors: 2, environment: [:]) == ColorCapability.none)
        #expect(ColorCapability.detect(colors: 0, environment: [:]) == ColorCapability.none)
    }

    @Test func colorPairsAreAllocatedOnceAndDegradeWhenExhausted() {
        var table = ColorPairTable(capacity: 2)
        #expect(table.pair(foreground: -1, background: -1) == (0, false))
        #expect(table.pair(foreground: 1, background: -1) == (1, true))
        #expect(table.pair(foreground: 1, background: -1) == (1, false))
        #expect(table.pair(foreground: 2, background: 4) == (2, true))
        #expect(table.pair(foreground: 3, background: 4) == (0, false))
        #expect(table.pair(foreground: 2, background: 4) == (2, false))
        #expect(ThemeColor.terminalDefault.cursesNumber(isForeground: true, defaultColors: true) == -1)
        #expect(ThemeColor.terminalDefault.cursesNumber(isForeground: true, defaultColors: false) == 7)
        #expect(ThemeColor.terminalDefault.cursesNumber(isForeground: false, defaultColors: false) == 0)
        #expect(ThemeColor.indexed(200).cursesNumber(isForeground: true, defaultColors: true) == 200)
    }
}
