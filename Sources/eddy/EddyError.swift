/// A runtime failure reported as `eddy: <description>` with exit status 1. Where Kafka has a
/// name for the error, the description starts with it (`TOPIC_ALREADY_EXISTS: ...`).
struct EddyError: Error, CustomStringConvertible {
    var description: String
    /// Kafka's error name, when the error has one.
    private(set) var kafkaName: String?

    init(_ description: String) { self.description = description }

    /// `NAME: message`, Kafka's error name first.
    init(kafka name: String, _ message: String) {
        description = "\(name): \(message)"
        kafkaName = name
    }

    /// `UNKNOWN_TOPIC_OR_PARTITION: Topic 'name' does not exist.`
    static func unknownTopic(_ topic: String) -> EddyError {
        EddyError(kafka: "UNKNOWN_TOPIC_OR_PARTITION", "Topic '\(topic)' does not exist.")
    }

    /// `UNKNOWN_TOPIC_OR_PARTITION: Partition 5 of topic 'name' does not exist (the topic has 2 partitions).`
    static func unknownPartition(_ partition: Int32, of topic: String, partitionCount: Int) -> EddyError {
        EddyError(kafka: "UNKNOWN_TOPIC_OR_PARTITION",
                  "Partition \(partition) of topic '\(topic)' does not exist (the topic has \(partitionCount) partitions).")
    }
}
