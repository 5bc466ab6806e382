import Foundation
import Testing
@testable import EddyConsole

/// Snapshot files: `Snapshots/NAME.txt` next to this file, holding a grid's size, its text
/// (`CellGrid.plainText`), its style mask and the mask's legend (`CellGrid.styleMask`).
/// Run with `EDDY_UPDATE_SNAPSHOTS=1` to rewrite them from the current renders, then review
/// the diff. A missing snapshot is recorded and fails the test.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static var updating: Bool { ProcessInfo.processInfo.environment["EDDY_UPDATE_SNAPSHOTS"] == "1" }

    /// The snapshot text of a grid.
    static func render(_ grid: CellGrid) -> String {
        let (mask, legend) = grid.styleMask()
        return "size \(grid.width)x\(grid.height)\n\(grid.plainText())\n--- styles\n\(mask)\n--- legend\n\(legend)\n"
    }

    /// Compares a grid with its snapshot file (or records it when updating or missing).
    static func assert(_ grid: CellGrid, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = render(grid)
        let url = directory.appendingPathComponent(name + ".txt")
        let expected = try? String(contentsOf: url, encoding: .utf8)
        if updating || expected == nil {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            do {
                try actual.write(to: url, atomically: true, encoding: .utf8)
            } catch {
                Issue.record("could not write snapshot \(url.path): \(error)", sourceLocation: sourceLocation)
            }
            if expected == nil && !updating {
                Issue.record("recorded new snapshot \(name); review Snapshots/\(name).txt and re-run", sourceLocation: sourceLocation)
            }
            return
        }
        if actual != expected {
            Issue.record(
                """
                snapshot \(name) differs (EDDY_UPDATE_SNAPSHOTS=1 rewrites it)
                --- expected
                \(expected ?? "")
                --- actual
                \(actual)
                """, sourceLocation: sourceLocation)
        }
    }
}

extension CellGrid {
    /// The text of one row, trailing spaces trimmed.
    func line(_ y: Int) -> String {
        let lines = plainText().split(separator: "\n", omittingEmptySubsequences: false)
        return y < lines.count ? String(lines[y]) : ""
    }

    /// True when every cell holds an ASCII character.
    var isASCII: Bool { cells.allSatisfy { $0.character.isASCII } }

    /// Checks the wide-character invariant: continuation cells exactly follow wide characters.
    func checkWideInvariant() -> Bool {
        for y in 0..<height {
            var x = 0
            while x < width {
                let cell = self[x, y]
                if cell.isContinuation { return false }
                if DisplayWidth.of(cell.character) == 2 {
                    guard x + 1 < width, self[x + 1, y].isContinuation else { return false }
                    x += 2
                } else {
                    x += 1
                }
            }
        }
        return true
    }
}
