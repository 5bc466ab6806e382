import ArgumentParser

/// `eddy topics ...`: create, list, describe, alter and delete topics.
struct Topics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage topics.",
        subcommands: [Create.self, List.self, Describe.self, Alter.self, Delete.self, DeleteRecords.self, ElectLeaders.self,
                      GetOffsets.self])
}

/// Parses repeated `KEY=VALUE` arguments (`--config`, `--header`).
enum KeyValueArguments {
    /// Splits at the first `=`; the key must not be empty. Later duplicates are an error.
    static func parse(_ items: [String], flag: String) throws -> [(key: String, value: String)] {
        var seen = Set<String>()
        return try items.map { item in
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ValidationError("\(flag) expects KEY=VALUE, got '\(item)'")
            }
            let key = String(item[..<eq])
            guard seen.insert(key).inserted || flag == "--header" else {
                throw ValidationError("\(flag) '\(key)' is given more than once")
            }
            return (key, String(item[item.index(after: eq)...]))
        }
    }

    static func dictionary(_ items: [String], flag: String) throws -> [String: String] {
        Dictionary(try parse(items, flag: flag).map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
    }
}
