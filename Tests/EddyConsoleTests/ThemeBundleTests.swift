import Foundation
import Testing
@testable import EddyConsole

@Suite struct ThemeBundleTests {
    static let themesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("themes")

    @Test(arguments: BundledThemes.names)
    func bundledThemeFileParsesAndDefinesEveryRole(name: String) throws {
        let url = Self.themesDirectory.appendingPathComponent(name + ".theme")
        let text = try String(contentsOf: url, encoding: .utf8)
        let theme = try ThemeParser.parse(text, name: name, source: url.path, fallback: nil)
        let missing = Set(ThemeRole.allCases).subtracting(theme.definedRoles)
        #expect(missing.isEmpty, "\(name).theme does not define \(missing.map(\.rawValue).sorted())")
    }

    /// The compiled-in copies match the files. With EDDY_UPDATE_SNAPSHOTS=1 this rewrites
    /// BundledThemes+Text.swift from the files instead.
    @Test func compiledInThemesMatchTheFiles() throws {
        var texts: [String: String] = [:]
        for name in BundledThemes.names {
            texts[name] = try String(contentsOf: Self.themesDirectory.appendingPathComponent(name + ".theme"), encoding: .utf8)
        }
        if Snapshot.updating {
            try Self.generatedSource(texts).write(to: Self.generatedFile, atomically: true, encoding: .utf8)
            return
        }
        for name in BundledThemes.names {
            #expect(BundledThemes.texts[name] == texts[name], "\(name).theme differs from its compiled-in copy; run EDDY_UPDATE_SNAPSHOTS=1 swift test --filter ThemeBundleTests")
        }
        #expect(Set(BundledThemes.texts.keys) == Set(BundledThemes.names))
    }

    static let generatedFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/EddyConsole/Theme/BundledThemes+Text.swift")

    static func generatedSource(_ texts: [String: String]) -> String {
        var lines = [
            "// Generated from themes/*.theme; ThemeBundleTests checks that they match.",
            "// After editing a theme file, run `EDDY_UPDATE_SNAPSHOTS=1 swift test --filter ThemeBundleTests`.",
            "",
            "extension BundledThemes {",
            "    /// Theme file texts by name, in `names` order.",
            "    static let texts: [String: String] = [",
        ]
        for name in BundledThemes.names {
            lines.append("        \"\(name)\": \"\"\"")
            let body = texts[name]!.hasSuffix("\n") ? String(texts[name]!.dropLast()) : texts[name]!
            for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
                lines.append(line.isEmpty ? "" : "        " + line)
            }
            lines.append("")
            lines.append("        \"\"\",")
        }
        lines.append("    ]")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func builtInThemesAreComplete() {
        for name in BundledThemes.names {
            let theme = BundledThemes.theme(named: name)
            #expect(theme != nil)
            #expect(theme?.definedRoles == Set(ThemeRole.allCases), "\(name)")
        }
        #expect(BundledThemes.theme(named: "nope") == nil)
    }

    @Test func monochromeUsesNoColour() {
        for role in ThemeRole.allCases {
            #expect(BundledThemes.monochrome[role].foreground == .terminalDefault)
            #expect(BundledThemes.monochrome[role].background == .terminalDefault)
        }
    }

    /// Every role stands apart from body text in every bundled theme, also on 8-colour and
    /// colourless terminals, except roles meant to look like text.
    @Test func rolesStayVisibleOnEveryCapability() throws {
        let plain: Set<ThemeRole> = [.text, .dialog, .border, .ok, .sparkline, .rulerConsumed]
        for name in BundledThemes.names {
            for capability in [ColorCapability.colors256, .colors8, .none] {
                let theme = try #require(BundledThemes.theme(named: name)).adapted(to: capability)
                let text = theme.resolve(.text)
                for role in ThemeRole.allCases where !plain.contains(role) {
                    if capability == .none && [.rulerCommitted, .rulerPosition, .rulerHighWatermark].contains(role) { continue }
                    #expect(theme.resolve(Style(role)) != text, "\(name) \(capability): \(role.rawValue) looks like text")
                }
                // A selected row must differ from an unselected one.
                #expect(theme.resolve(Style(.selected)) != text)
                #expect(theme.resolve(Style(foreground: .outOfISR, background: .selected)) != theme.resolve(Style(.selected)))
            }
        }
    }
}
