import EddyProtocol

extension Cluster {
    /// The metadata quorum as DescribeQuorum (KIP-595) and `kafka-metadata-quorum` describe it.
    /// eddy has one controller (node 0, also a broker, as in KRaft's combined mode): it is the
    /// quorum's only voter and its leader, in the epoch its metadata log's batches carry; its
    /// high watermark is the committed end of that log, its log end offset the log's end. The
    /// other running brokers are observers: in process they apply the committed metadata as it
    /// is published, so their log end offset is the committed end. Timestamps are now for the
    /// voter (it is the leader) and for observers (they are up to date at once).
    public func describeQuorum() -> DescribeQuorumResponse.Quorum {
        lock.withLock { describeQuorumLocked() }
    }

    func describeQuorumLocked() -> DescribeQuorumResponse.Quorum {
        let now = clock.nowMs()
        let committedEnd = metadataLog.image.offset + 1
        let voter = DescribeQuorumResponse.Replica(replicaId: Cluster.controllerId, logEndOffset: metadataLog.logEndOffset,
                                                   lastFetchTimestampMs: now, lastCaughtUpTimestampMs: now)
        let observers = nodes.keys.sorted().filter { $0 != Cluster.controllerId }.map {
            DescribeQuorumResponse.Replica(replicaId: $0, logEndOffset: committedEnd, lastFetchTimestampMs: now, lastCaughtUpTimestampMs: now)
        }
        return DescribeQuorumResponse.Quorum(leaderId: Cluster.controllerId, leaderEpoch: metadataLog.epoch, highWatermark: committedEnd,
                                             voters: [voter], observers: observers)
    }
}
