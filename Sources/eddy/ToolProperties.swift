import Foundation

/// The `--property` settings of Kafka's console tools, as eddy takes them: kafka-console-
/// producer's line reader (`LineFormat`) and kafka-console-consumer's message formatter
/// (`RecordFormat(kafkaProperties:)`). Unlike Kafka, which ignores names it does not know, an
/// unknown name is an error, so that a misspelt one does not go unnoticed.
struct ToolProperties {
    let values: [String: String]

    init(_ values: [String: String], known: [String]) throws(ToolPropertyError) {
        for name in values.keys.sorted() where !known.contains(name) {
            throw ToolPropertyError(description: "unknown --property '\(name)' (known: \(known.joined(separator: ", ")))")
        }
        self.values = values
    }

    subscript(name: String) -> String? { values[name] }

    /// `true` or `false` in any case, around spaces (as Kafka reads them); `defaultValue` when unset.
    func flag(_ name: String, default defaultValue: Bool) throws(ToolPropertyError) -> Bool {
        guard let text = values[name] else { return defaultValue }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": return true
        case "false": return false
        default: throw ToolPropertyError(description: "--property \(name) must be true or false, not '\(text)'")
        }
    }
}

/// A `--property` setting eddy cannot take: a usage error.
struct ToolPropertyError: Error, CustomStringConvertible {
    var description: String
}
