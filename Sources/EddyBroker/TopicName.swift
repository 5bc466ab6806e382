/// Kafka's rules for topic names (`org.apache.kafka.common.internals.Topic`).
public enum TopicName {
    /// Longest legal name. Kafka caps it at 249 so that `<topic>-<partition>` plus the
    /// `.<uuid>-delete` suffix of a deleted partition's directory fits in 255 bytes.
    public static let maxLength = 249
    /// The metadata log's partition directory name; its topic is internal and never user-created.
    public static let clusterMetadata = "__cluster_metadata"
    public static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state", clusterMetadata]

    /// Why `name` is not a legal topic name, or nil if it is. Kafka's wording, prefixed by
    /// the caller with "Topic name is invalid: ".
    public static func invalidReason(_ name: String) -> String? {
        if name.isEmpty { return "the empty string is not allowed" }
        if name == "." { return "'.' is not allowed" }
        if name == ".." { return "'..' is not allowed" }
        // Java's String.length(): UTF-16 code units, checked before the characters, as Kafka does.
        if name.utf16.count > maxLength {
            return "the length of '\(name)' is longer than the max allowed length \(maxLength)"
        }
        if !name.utf8.allSatisfy(isLegal) {
            return "'\(name)' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
        }
        return nil
    }

    /// Throws INVALID_TOPIC_EXCEPTION unless `name` is legal.
    public static func validate(_ name: String) throws(BrokerError) {
        if let reason = invalidReason(name) { throw .invalidTopic("Topic name is invalid: \(reason)") }
    }

    public static func isValid(_ name: String) -> Bool { invalidReason(name) == nil }

    public static func isInternal(_ name: String) -> Bool { internalTopics.contains(name) }

    /// Whether the name contains '.' or '_', the characters that can collide in metric names.
    public static func hasCollisionChars(_ name: String) -> Bool { name.contains(".") || name.contains("_") }

    /// The name with every '.' replaced by '_': two topics collide when these are equal.
    public static func unifyCollisionChars(_ name: String) -> String {
        String(name.map { $0 == "." ? "_" : $0 })
    }

    /// Whether two names differ only by '.' versus '_' (or are equal).
    public static func collide(_ a: String, _ b: String) -> Bool { unifyCollisionChars(a) == unifyCollisionChars(b) }

    /// Kafka's `kafka-topics --create` warning for names that could collide.
    public static let collisionWarning = "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both."

    private static func isLegal(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "A") ... UInt8(ascii: "Z"),
             UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
