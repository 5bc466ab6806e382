import EddyClient

/// The create-topic dialog (`n`): name, partitions, replication factor, cleanup policy and
/// an optional retention (milliseconds, or an ISO-8601 duration such as P7D).
enum CreateTopicForm {
    static let policies = ["delete", "compact", "compact,delete"]

    static func make(replicationFactor: Int) -> FormDialog {
        FormDialog(title: "Create a topic", fields: [
            .text("name", "Name", TextField(placeholder: "letters, digits, . _ -")),
            .text("partitions", "Partitions", TextField("3")),
            .text("replication", "Replication", TextField(String(replicationFactor))),
            .choice("cleanup", "cleanup.policy", ChoiceList(policies, axis: .horizontal)),
            .text("retention", "retention.ms", TextField(placeholder: "broker default; or e.g. 3600000 or PT1H")),
        ], submitLabel: "create", controlWidth: 36)
    }

    static func newTopic(from form: FormDialog) throws(InvalidInput) -> Admin.NewTopic {
        let name = form.text("name")?.trimmingSpaces ?? ""
        guard !name.isEmpty else { throw InvalidInput(field: "name", description: "the topic needs a name") }
        guard let partitions = Int32(form.text("partitions")?.trimmingSpaces ?? ""), partitions > 0 else {
            throw InvalidInput(field: "partitions", description: "partitions is a number >= 1")
        }
        guard let replication = Int16(form.text("replication")?.trimmingSpaces ?? ""), replication > 0 else {
            throw InvalidInput(field: "replication", description: "the replication factor is a number >= 1")
        }
        var configs = ["cleanup.policy": policies[form.choice("cleanup") ?? 0]]
        let retention = form.text("retention")?.trimmingSpaces ?? ""
        if !retention.isEmpty {
            if let ms = Int64(retention), ms >= -1 {
                configs["retention.ms"] = String(ms)
            } else {
                do {
                    configs["retention.ms"] = String(try KafkaDuration.parseMillis(retention))
                } catch {
                    throw InvalidInput(field: "retention", description: "retention.ms is milliseconds (-1: forever) or an ISO-8601 duration like PT1H")
                }
            }
        }
        return Admin.NewTopic(name: name, numPartitions: partitions, replicationFactor: replication, configs: configs)
    }
}
