import EddyProtocol
import EddyStorage

extension Broker {
    /// OffsetForLeaderEpoch (KIP-101, KIP-279): for each partition the leader holds, the end
    /// offset of the asked leader epoch (or of the largest epoch below it) from its epoch cache,
    /// which a follower or consumer truncates to after a leader change.
    func handleOffsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest) -> OffsetForLeaderEpochResponse {
        var response = request.errorResponse(.none)
        for t in response.topics.indices {
            for i in response.topics[t].partitions.indices {
                let asked = request.topics[t].partitions[i]
                let tp = TopicPartition(request.topics[t].topic, asked.partition)
                var out = response.topics[t].partitions[i]
                switch leaderReplica(tp, currentLeaderEpoch: asked.currentLeaderEpoch) {
                case let .failure(e): out.errorCode = e
                case let .success(replica):
                    let (epoch, end) = replica.log.endOffset(forLeaderEpoch: asked.leaderEpoch)
                    out.leaderEpoch = epoch
                    out.endOffset = end
                }
                response.topics[t].partitions[i] = out
            }
        }
        return response
    }
}
