import EddyProtocol
import EddyStorage

/// Served by any running broker for its leader replicas (Kafka's `ReplicaManager.deleteRecords`).
extension Broker {
    /// DeleteRecords on this broker's leader replicas: offset -1 means the high watermark; an
    /// offset above the high watermark (or below -1) is OFFSET_OUT_OF_RANGE; one below the log
    /// start offset changes nothing. Internal topics are refused (INVALID_TOPIC_EXCEPTION), and
    /// so are topics whose cleanup.policy is compact only (POLICY_VIOLATION), as Kafka does. The
    /// low watermark reported is the leader's new log start offset, answered at once (followers
    /// follow it as they fetch; Kafka's broker waits for them).
    ///
    /// Called without the cluster lock, in three steps like a produce's: each partition's
    /// leadership is checked under the cluster lock; the records are deleted (segment files
    /// removed, which may wait for the log cleaner to pause) without it, under the replica's
    /// writer lock while it still leads in the epoch checked; waiting fetches of the partitions
    /// are woken under the broker's `purgatoryLock`.
    func handleDeleteRecords(_ request: DeleteRecordsRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        enum Step {
            case answered(DeleteRecordsResponse.DeleteRecordsPartitionResult)
            case delete(TopicPartition, Replica, epoch: Int32, offset: Int64)
        }
        let planned: [[Step]]? = cluster.lock.withLock { () -> [[Step]]? in
            guard isRunning else { return nil }
            return request.topics.map { t in
                t.partitions.map { p in
                    let tp = TopicPartition(t.name, p.partitionIndex)
                    // Kafka's ReplicaManager refuses internal topics, and its Partition a log whose
                    // cleanup.policy lacks delete (a compacted topic keeps every key's last value).
                    guard !TopicName.isInternal(tp.topic) else {
                        return .answered(.init(partitionIndex: p.partitionIndex, errorCode: .invalidTopicException))
                    }
                    switch leaderReplica(tp) {
                    case let .success(replica):
                        guard replica.log.config.delete else {
                            return .answered(.init(partitionIndex: p.partitionIndex, errorCode: .policyViolation))
                        }
                        return .delete(tp, replica, epoch: replica.leaderEpoch, offset: p.offset)
                    case let .failure(e): return .answered(.init(partitionIndex: p.partitionIndex, errorCode: e))
                    }
                }
            }
        }
        guard let planned else {
            return respond(.deleteRecords(DeleteRecordsResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: .notLeaderOrFollower) })
            })))
        }
        var deleted: [TopicPartition] = []
        let results = planned.map { steps in
            steps.map { step -> DeleteRecordsResponse.DeleteRecordsPartitionResult in
                switch step {
                case let .answered(result): return result
                case let .delete(tp, replica, epoch, offset):
                    do {
                        let low = try replica.whileWriter(.leader(epoch: epoch)) { () throws -> Int64 in
                            let log = replica.log
                            return try log.deleteRecords(before: offset == DeleteRecordsRequest.highWatermark ? log.highWatermark : offset)
                        }
                        guard let low else { return .init(partitionIndex: tp.partition, errorCode: .notLeaderOrFollower) }
                        deleted.append(tp)
                        return .init(partitionIndex: tp.partition, lowWatermark: low)
                    } catch let e as StorageError {
                        return .init(partitionIndex: tp.partition, errorCode: e.errorCode)
                    } catch {
                        return .init(partitionIndex: tp.partition, errorCode: .unknownServerError)
                    }
                }
            }
        }
        if !deleted.isEmpty {
            var responses: Deferred = []
            for tp in deleted { completeDelayedFetches(tp, into: &responses) }
            for r in responses { r() }
        }
        respond(.deleteRecords(DeleteRecordsResponse(topics: zip(request.topics, results).map { t, partitions in
            .init(name: t.name, partitions: partitions)
        })))
    }
}
