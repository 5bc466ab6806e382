import EddyProtocol

/// Callbacks around a group rebalance (Kafka's `ConsumerRebalanceListener`). They run inside
/// `Consumer.poll` (or `close`/`unsubscribe`), on the task that called it, and may call the
/// consumer (`commitSync`, `seek`, `position`, ...), but not `poll`.
///
/// Order, as in Kafka: with an eager protocol every member revokes everything before it rejoins,
/// so every `onPartitionsRevoked` of a rebalance runs before any `onPartitionsAssigned`. With
/// cooperative-sticky, `onPartitionsRevoked` gets only the partitions that move away (after the
/// rebalance that decided it), and `onPartitionsAssigned` only the newly added ones.
/// `onPartitionsRevoked` and `onPartitionsLost` are called only with a non-empty set;
/// `onPartitionsAssigned` after every completed rebalance, possibly with an empty set.
public protocol ConsumerRebalanceListener: Sendable {
    /// The consumer is about to stop owning `partitions`, and still may commit their offsets.
    func onPartitionsRevoked(_ partitions: [TopicPartition]) async
    /// The consumer now owns `partitions`; positions are resolved on the next fetch (committed
    /// offset or auto.offset.reset), unless this callback seeks.
    func onPartitionsAssigned(_ partitions: [TopicPartition]) async
    /// The consumer lost `partitions` without a chance to revoke them (its membership expired or
    /// was fenced): other members may already own them, so committing is pointless. Defaults to
    /// `onPartitionsRevoked`, as in Kafka.
    func onPartitionsLost(_ partitions: [TopicPartition]) async
}

extension ConsumerRebalanceListener {
    public func onPartitionsLost(_ partitions: [TopicPartition]) async {
        await onPartitionsRevoked(partitions)
    }
}
