import ArgumentParser

extension Topics {
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a topic and all its data.")

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("The topic.", valueName: "name"))
        var topic: String

        func run() throws {
            let found: Bool? = try Session.with(common, create: false) { try $0.deleteTopic(topic); return true }
            guard found != nil else { throw EddyError.unknownTopic(topic) }
            print("Deleted topic \(topic).")
        }
    }
}
