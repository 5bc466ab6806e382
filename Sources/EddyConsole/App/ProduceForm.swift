import EddyClient
import EddyProtocol

/// The produce dialog (`p`): a test record's topic, optional partition, key, value and
/// headers (`name=value` pairs separated by commas; a name without `=` has a null value).
enum ProduceForm {
    static func make(topic: String?, partition: Int32?) -> FormDialog {
        var form = FormDialog(title: "Produce a test record", fields: [
            .text("topic", "Topic", TextField(topic ?? "", placeholder: "topic name")),
            .text("partition", "Partition", TextField(partition.map(String.init) ?? "", placeholder: "any (the partitioner picks)")),
            .text("key", "Key", TextField(placeholder: "none")),
            .text("value", "Value", TextField(placeholder: "text or JSON")),
            .text("headers", "Headers", TextField(placeholder: "name=value, name2=value2")),
        ], submitLabel: "produce", controlWidth: 40)
        form.focus(topic == nil ? "topic" : "value")
        return form
    }

    static func record(from form: FormDialog) throws(InvalidInput) -> TestRecord {
        let topic = form.text("topic")?.trimmingSpaces ?? ""
        guard !topic.isEmpty else { throw InvalidInput(field: "topic", description: "name the topic to write to") }
        let partitionText = form.text("partition")?.trimmingSpaces ?? ""
        var partition: Int32?
        if !partitionText.isEmpty {
            guard let p = Int32(partitionText), p >= 0 else {
                throw InvalidInput(field: "partition", description: "the partition is a number >= 0, or empty for any")
            }
            partition = p
        }
        let key = form.text("key") ?? ""
        return TestRecord(topic: topic, partition: partition, key: key.isEmpty ? nil : key, value: form.text("value") ?? "",
                          headers: try headers(form.text("headers") ?? ""))
    }

    /// `a=1, b=2, c` → headers a="1", b="2", c=null. Spaces around names are dropped.
    static func headers(_ text: String) throws(InvalidInput) -> [RecordHeader] {
        guard !text.trimmingSpaces.isEmpty else { return [] }
        var headers: [RecordHeader] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingSpaces
            guard !name.isEmpty else {
                throw InvalidInput(field: "headers", description: "each header needs a name: name=value, separated by commas")
            }
            headers.append(RecordHeader(key: name, value: parts.count > 1 ? Array(parts[1].trimmingSpaces.utf8) : nil))
        }
        return headers
    }
}
