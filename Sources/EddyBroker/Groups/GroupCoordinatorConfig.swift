/// Broker configs of the group coordinator, with Kafka's names and defaults.
public struct GroupCoordinatorConfig: Equatable, Sendable {
    /// `group.min.session.timeout.ms`
    public var groupMinSessionTimeoutMs: Int32 = 6_000
    /// `group.max.session.timeout.ms`
    public var groupMaxSessionTimeoutMs: Int32 = 1_800_000
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an Empty group waits
    /// for more members; extended by the same amount while new members keep arriving, up to the
    /// rebalance timeout. 0 disables the delay.
    public var groupInitialRebalanceDelayMs: Int32 = 3_000
    /// `group.max.size`
    public var groupMaxSize: Int = Int(Int32.max)
    /// `offsets.topic.num.partitions`
    public var offsetsTopicNumPartitions: Int32 = OffsetsTopic.defaultPartitionCount
    /// `offset.metadata.max.bytes`
    public var offsetMetadataMaxBytes: Int = 4_096

    public init() {}
}
