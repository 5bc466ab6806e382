import ArgumentParser

extension Topics {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topic names, one per line, sorted.")

        @OptionGroup var common: DataDirectoryOptions

        func run() throws {
            let names = try Session.with(common, create: false) { $0.listTopics() } ?? []
            names.forEach { print($0) }
        }
    }
}
