import Foundation
import Testing

/// The README's command reference lists every command the binary has: each subcommand that
/// `eddy --help` (and each group's `--help`) lists appears in a row of the table as
/// `eddy NAME` or `eddy GROUP NAME`.
@Suite struct ReadmeCommandTableTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")

    /// The names under SUBCOMMANDS in a `--help` text.
    static func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
        return help[start.upperBound...].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let first = line.split(separator: " ").first else { return nil }
            return String(first)
        }.filter { $0 != "See" }
    }

    @Test func everySubcommandHasARow() throws {
        try Eddy.requireBinary()
        let rows = try String(contentsOf: Self.readme, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("| `eddy") }.map(String.init)
        #expect(!rows.isEmpty)
        var commands: [String] = []
        for name in Self.subcommands(try Eddy.run(["--help"]).out) {
            let nested = Self.subcommands(try Eddy.run([name, "--help"]).out)
            commands += nested.isEmpty ? ["eddy \(name)"] : nested.map { "eddy \(name) \($0)" }
        }
        #expect(commands.count >= 25, "\(commands)")
        for command in commands {
            let words = command.split(separator: " ")
            // `eddy bench append|read` covers both.
            let found = rows.contains { row in
                // The first cell: up to " | " (escaped pipes inside it, `\|`, have no spaces).
                let cell = row.components(separatedBy: " | ").first ?? ""
                return cell.contains("`\(command) ") || cell.contains("`\(command)`") || cell.contains("\(command)\\|")
                    || (words.count == 3 && cell.contains("eddy \(words[1]) ") && cell.contains("\\|\(words[2])"))
            }
            #expect(found, "README.md's command table has no row for `\(command)`")
        }
    }
}
