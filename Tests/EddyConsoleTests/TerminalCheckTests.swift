import Testing
@testable import EddyConsole

@Suite struct TerminalCheckTests {
    func evaluate(stdin: Bool = true, stdout: Bool = true, term: String? = "xterm-256color", terminfo: TerminalCheck.Terminfo = .usable) -> TerminalError? {
        TerminalCheck.evaluate(stdinIsTTY: stdin, stdoutIsTTY: stdout, term: term) { _ in terminfo }
    }

    @Test func refusals() {
        #expect(evaluate() == nil)
        #expect(evaluate(stdout: false) == .stdoutNotATerminal)
        #expect(evaluate(stdin: false) == .stdinNotATerminal)
        #expect(evaluate(stdin: false, stdout: false) == .stdoutNotATerminal)
        #expect(evaluate(term: nil) == .termUnset)
        #expect(evaluate(term: "") == .termUnset)
        #expect(evaluate(term: "dumb") == .cannotMoveCursor(term: "dumb"))
        #expect(evaluate(term: "nosuch", terminfo: .unknown) == .unknownTerminal(term: "nosuch"))
        #expect(evaluate(term: "lpr", terminfo: .hardCopy) == .cannotMoveCursor(term: "lpr"))
        #expect(evaluate(term: "glass", terminfo: .noCursorAddressing) == .cannotMoveCursor(term: "glass"))
        #expect(evaluate(terminfo: .databaseUnavailable) == .terminfoUnavailable(term: "xterm-256color"))
    }

    @Test func messagesAreOneLine() {
        let all: [TerminalError] = [.stdinNotATerminal, .stdoutNotATerminal, .termUnset, .cannotMoveCursor(term: "dumb"),
                                    .unknownTerminal(term: "x"), .terminfoUnavailable(term: "x")]
        for error in all {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("eddy: "))
        }
        #expect(TerminalError.cannotMoveCursor(term: "dumb").description.contains("'dumb' cannot move the cursor"))
    }

    /// The real terminfo database (ncurses-base is installed wherever ncurses is).
    @Test func realTerminfoLookups() {
        #expect(TerminalCheck.lookup("xterm-256color") == .usable)
        #expect(TerminalCheck.lookup("vt100") == .usable)
        #expect(TerminalCheck.lookup("no-such-terminal-type") == .unknown)
        #expect(TerminalCheck.lookup("dumb") != .usable)
    }

    @Test func utf8Codesets() {
        for name in ["UTF-8", "utf8", "utf-8", "UTF8"] { #expect(TerminalLocale.isUTF8(codeset: name)) }
        for name in ["ANSI_X3.4-1968", "ISO-8859-1", "", "UTF-16"] { #expect(!TerminalLocale.isUTF8(codeset: name)) }
        #expect(Glyphs.forLocale(utf8: false) == .ascii)
        #expect(Glyphs.forLocale(utf8: true) == .unicode)
    }
}
