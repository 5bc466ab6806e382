import EddyProtocol

extension Cluster {
    /// The metadata quorum as DescribeQuorum (KIP-595) and `kafka-metadata-quorum` describe it,
    /// from the active controller's view (`MetadataQuorum.describe`): its id and epoch, the high
    /// watermark, and each voter's log end offset as of its last fetch. Brokers that are not
    /// voters are observers: in process they apply the committed metadata as it is published,
    /// so their log end offset is the high watermark, and they are caught up as of now.
    /// Without an active controller: NOT_LEADER_OR_FOLLOWER, leader -1, and the voters with
    /// unknown offsets (-1), as a quorum that is electing shows.
    public func describeQuorum() -> DescribeQuorumResponse.Quorum {
        lock.withLock { describeQuorumLocked() }
    }

    func describeQuorumLocked() -> DescribeQuorumResponse.Quorum {
        let now = clock.nowMs()
        let voterIds = controllerQuorum.voterIds
        let observerIds = nodes.keys.sorted().filter { !voterIds.contains($0) }
        guard let quorum = metadata.quorum.describe(nowMs: now) else {
            return DescribeQuorumResponse.Quorum(errorCode: .notLeaderOrFollower, leaderId: -1, leaderEpoch: -1, highWatermark: -1,
                                                 voters: voterIds.map { .init(replicaId: $0, logEndOffset: -1) },
                                                 observers: observerIds.map { .init(replicaId: $0, logEndOffset: -1) })
        }
        let voters = quorum.voters.map {
            DescribeQuorumResponse.Replica(replicaId: $0.id, logEndOffset: $0.logEndOffset,
                                           lastFetchTimestampMs: $0.lastFetchMs, lastCaughtUpTimestampMs: $0.lastCaughtUpMs)
        }
        let observers = observerIds.map {
            DescribeQuorumResponse.Replica(replicaId: $0, logEndOffset: quorum.highWatermark, lastFetchTimestampMs: now, lastCaughtUpTimestampMs: now)
        }
        return DescribeQuorumResponse.Quorum(leaderId: quorum.leaderId, leaderEpoch: quorum.epoch, highWatermark: quorum.highWatermark,
                                             voters: voters, observers: observers)
    }
}
