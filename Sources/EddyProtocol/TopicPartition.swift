/// A topic name and partition index, Kafka's `TopicPartition`. Its directory name on disk is
/// `<topic>-<partition>`.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }
    public var directoryName: String { "\(topic)-\(partition)" }

    /// Parses a `<topic>-<partition>` directory name (the topic may itself contain '-').
    public init?(directoryName: String) {
        guard let dash = directoryName.lastIndex(of: "-"),
              let p = Int32(directoryName[directoryName.index(after: dash)...]), p >= 0,
              dash > directoryName.startIndex else { return nil }
        topic = String(directoryName[..<dash])
        partition = p
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}
