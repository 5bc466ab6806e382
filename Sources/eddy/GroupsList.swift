import ArgumentParser
import EddyClient

extension Groups {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consumer groups with their state.",
            discussion: """
                One row per group, sorted: GROUP and STATE (Empty, PreparingRebalance, \
                CompletingRebalance, Stable, Dead), as kafka-consumer-groups --list --state. \
                Nothing is printed when there are no groups.
                """)

        @OptionGroup var common: ConnectionOptions

        func run() throws {
            let groups = try Groups.withAdmin(common) { try await $0.listConsumerGroups() } ?? []
            guard !groups.isEmpty else { return }
            let rows = [["GROUP", "STATE"]] + groups.map { [$0.groupId, $0.state.name] }
            TextTable.render(rows).forEach { print($0) }
        }
    }
}
