import EddyProtocol

/// One broker in `eddy cluster describe`.
public struct BrokerDescription: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Running and unfenced.
        case running
        /// Stopped (controlled shutdown or fenced after a crash); its replicas are out of the ISR.
        case stopped
        /// Crashed and not yet fenced (its session has not timed out).
        case unresponsive
    }

    public var id: Int32
    public var state: State
    public var leaderCount: Int
    public var replicaCount: Int
}

/// The cluster as `eddy cluster describe` shows it.
public struct ClusterDescription: Sendable, Equatable {
    public var clusterId: String
    public var controllerId: Int32
    public var brokers: [BrokerDescription]
    public var topicCount: Int
    public var partitionCount: Int
    /// Partitions whose ISR is smaller than their replica list.
    public var underReplicatedPartitions: Int
    /// Partitions with no leader.
    public var offlinePartitions: Int
    /// Records possibly lost to unclean leader elections since the cluster was opened.
    public var uncleanElectionLosses: [TopicPartition: Int64]
    /// The metadata quorum (`Cluster.describeQuorum`).
    public var quorum: DescribeQuorumResponse.Quorum
}
