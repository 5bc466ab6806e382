import Testing
@testable import EddyConsole

@Suite struct ThemeLocatorTests {
    /// A locator over an in-memory file system.
    func locator(files: [String: String], env: [String: String] = ["HOME": "/home/u"], exe: String? = "/opt/eddy/bin/eddy") -> ThemeLocator {
        ThemeLocator(environment: env, executablePath: exe, currentDirectory: "/work") { path throws(ThemeError) in files[path] }
    }

    @Test func searchOrder() {
        let dirs = locator(files: [:], env: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/home/u"]).searchDirectories
        #expect(dirs.first == "/cfg/eddy/themes")
        #expect(dirs.contains("/opt/eddy/bin/themes"))
        #expect(dirs.contains("/opt/eddy/share/eddy/themes"))
        #expect(dirs.last == "/work/themes")
        #expect(dirs.firstIndex(of: "/opt/eddy/share/eddy/themes")! < dirs.firstIndex(of: "/work/themes")!)
        #expect(locator(files: [:]).searchDirectories.first == "/home/u/.config/eddy/themes")
        // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
        #expect(locator(files: [:], env: ["XDG_CONFIG_HOME": "cfg", "HOME": "/h"]).searchDirectories.first == "/h/.config/eddy/themes")
        #expect(locator(files: [:], env: [:], exe: nil).searchDirectories == ["/work/themes"])
    }

    @Test func userThemesWinOverBundledFilesWhichWinOverBuiltIns() throws {
        let files = [
            "/home/u/.config/eddy/themes/dark.theme": "error = blue default",
            "/opt/eddy/share/eddy/themes/dark.theme": "error = green default",
            "/opt/eddy/share/eddy/themes/light.theme": "error = cyan default",
        ]
        let l = locator(files: files)
        #expect(try l.load("dark")[.error].foreground == .indexed(4))
        #expect(try l.load("light")[.error].foreground == .indexed(6))
        #expect(try l.load("high-contrast") == BundledThemes.theme(named: "high-contrast"))
        // Roles a user file leaves out come from the default theme.
        #expect(try l.load("dark")[.header] == BundledThemes.default[.header])
    }

    @Test func pathsAreLoadedDirectly() throws {
        let l = locator(files: ["/work/my.theme": "ok = red default", "/abs/x": "ok = blue default"])
        #expect(try l.load("my.theme")[.ok].foreground == .indexed(1))
        #expect(try l.load("/abs/x")[.ok].foreground == .indexed(4))
        #expect(throws: ThemeError.unreadable(path: "./none.theme", reason: "no such file")) { try l.load("./none.theme") }
    }

    @Test func errorsInFilesNameThePath() {
        let l = locator(files: ["/home/u/.config/eddy/themes/bad.theme": "ok = red default\nok = red default"])
        #expect(throws: ThemeError.duplicateRole(ThemeLocation(source: "/home/u/.config/eddy/themes/bad.theme", line: 2), .ok, firstLine: 1)) {
            try l.load("bad")
        }
    }

    @Test func unknownNamesListWhereTheyWereSought() {
        let l = locator(files: [:], env: [:], exe: nil)
        #expect(throws: ThemeError.notFound(name: "solarized", searched: ["/work/themes"])) { try l.load("solarized") }
        #expect(throws: ThemeError.invalidName("a b")) { try l.load("a b") }
        #expect(throws: ThemeError.invalidName("")) { try l.load("") }
    }

    @Test func availableNamesIncludeUserThemes() {
        let l = locator(files: [:])
        let names = l.availableNames { dir in dir == "/home/u/.config/eddy/themes" ? ["solarized.theme", "notes.txt", ".hidden.theme"] : [] }
        #expect(names == ["dark", "default", "high-contrast", "light", "monochrome", "solarized"])
    }

    /// The real themes directory of this checkout is found from the test's working directory.
    @Test func liveLocatorFindsTheRepositoryThemes() throws {
        let live = ThemeLocator.live()
        #expect(try live.load("default") == BundledThemes.theme(named: "default"))
    }
}
