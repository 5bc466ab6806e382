import EddyProtocol
import EddyStorage

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process). Expects the cluster lock held.
extension Broker {
    /// DeleteRecords on this broker's leader replicas: offset -1 means the high watermark; an
    /// offset above the high watermark (or below -1) is OFFSET_OUT_OF_RANGE; one below the log
    /// start offset changes nothing. The low watermark reported is the leader's new log start
    /// offset, answered at once (followers follow it as they fetch; Kafka's broker waits for them).
    func handleDeleteRecords(_ request: DeleteRecordsRequest) -> DeleteRecordsResponse {
        DeleteRecordsResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { p in
                let tp = TopicPartition(t.name, p.partitionIndex)
                let replica: Replica
                switch leaderReplica(tp) {
                case let .success(r): replica = r
                case let .failure(e): return .init(partitionIndex: p.partitionIndex, errorCode: e)
                }
                let log = replica.log
                let target = p.offset == DeleteRecordsRequest.highWatermark ? log.highWatermark : p.offset
                do {
                    let low = try log.deleteRecords(before: target)
                    completeDelayedFetches(tp)
                    return .init(partitionIndex: p.partitionIndex, lowWatermark: low)
                } catch let e as StorageError {
                    return .init(partitionIndex: p.partitionIndex, errorCode: e.errorCode)
                } catch {
                    return .init(partitionIndex: p.partitionIndex, errorCode: .unknownServerError)
                }
            })
        })
    }
}
