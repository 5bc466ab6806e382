/// Placement of consumer groups on Kafka's internal `__consumer_offsets` topic.
///
/// A group's coordinator is the leader of partition `abs(hashCode(groupId)) % partitionCount`,
/// where `hashCode` is Java's `String.hashCode` and `abs` is Kafka's `Utils.abs`. Both are
/// reproduced bit for bit so that a group lands on the same partition as it would in Kafka.
public enum OffsetsTopic {
    /// `__consumer_offsets`.
    public static let name = "__consumer_offsets"
    /// `offsets.topic.num.partitions` default.
    public static let defaultPartitionCount: Int32 = 50

    /// Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in
    /// wrapping 32-bit arithmetic. Characters outside the BMP count as two code units.
    public static func javaStringHashCode(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// Kafka's `Utils.abs`: the absolute value, except that `Int32.min` maps to 0 (Java's
    /// `Math.abs` would return `Int32.min` itself).
    public static func kafkaAbs(_ n: Int32) -> Int32 {
        n == .min ? 0 : Swift.abs(n)
    }

    /// The `__consumer_offsets` partition that stores `groupId`'s offsets and metadata.
    /// `partitionCount` must be positive.
    public static func partitionFor(groupId: String, partitionCount: Int32 = defaultPartitionCount) -> Int32 {
        precondition(partitionCount > 0, "partitionCount must be positive")
        return kafkaAbs(javaStringHashCode(groupId)) % partitionCount
    }
}
