import EddyProtocol
import EddyStorage

extension Broker {
    /// ListOffsets (Kafka's `Partition.fetchOffsetForTimestamp`). What a client may see ends at
    /// the high watermark (read_uncommitted) or the last stable offset (read_committed), or at
    /// the log end for a replica or debugging client (replicaId >= 0 or -2):
    /// - -2 earliest (and -4 earliest local): the log start offset;
    /// - -1 latest: that end;
    /// - -3 max timestamp (KIP-734): the first record with the largest timestamp;
    /// - t >= 0: the first record with a timestamp >= t;
    /// - -5 latest tiered: offset -1 (eddy has no tiered storage); other negative values are
    ///   INVALID_REQUEST;
    /// a lookup finding no record below the end answers offset -1, timestamp -1. The leader
    /// epoch is the epoch of the batch holding the answer (the latest epoch for "latest").
    ///
    /// Called without the cluster lock: the leaders are checked under it, and the logs searched
    /// (a timestamp lookup reads segments) without it.
    func handleListOffsets(_ request: ListOffsetsRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var response = request.errorResponse(.none)
        let leaders: [[Replica?]]? = cluster.lock.withLock {
            guard isRunning else { return nil }
            return response.topics.indices.map { t in
                response.topics[t].partitions.indices.map { i in
                    let asked = request.topics[t].partitions[i]
                    switch leaderReplica(TopicPartition(request.topics[t].name, asked.partitionIndex),
                                         currentLeaderEpoch: asked.currentLeaderEpoch) {
                    case let .failure(e):
                        response.topics[t].partitions[i].errorCode = e
                        return nil
                    case let .success(replica): return replica
                    }
                }
            }
        }
        guard let leaders else { return respond(.listOffsets(request.errorResponse(.notLeaderOrFollower))) }
        for t in response.topics.indices {
            for i in response.topics[t].partitions.indices {
                guard let replica = leaders[t][i] else { continue }
                listOffset(&response.topics[t].partitions[i], request.topics[t].partitions[i].timestamp, log: replica.log,
                           upTo: request.replicaId >= 0 || request.replicaId == -2 ? nil
                               : Self.readableEnd(replica.log, request.isolationLevel))
            }
        }
        respond(.listOffsets(response))
    }

    private func listOffset(_ out: inout ListOffsetsResponse.ListOffsetsPartitionResponse, _ timestamp: Int64, log: PartitionLog, upTo: Int64?) {
        let end = upTo ?? log.logEndOffset
        let epochs = log.leaderEpochEntries
        func epoch(at offset: Int64) -> Int32 { epochs.last(where: { $0.startOffset <= offset })?.epoch ?? -1 }
        out.timestamp = -1
        out.offset = -1
        out.leaderEpoch = -1
        do {
            switch timestamp {
            case ListOffsetsRequest.earliestTimestamp, ListOffsetsRequest.earliestLocalTimestamp:
                out.offset = log.logStartOffset
                out.leaderEpoch = epoch(at: out.offset)
            case ListOffsetsRequest.latestTimestamp:
                out.offset = end
                out.leaderEpoch = epochs.last?.epoch ?? -1
            case ListOffsetsRequest.maxTimestamp:
                let largest = log.segments.map(\.largestTimestamp).max() ?? -1
                if largest >= 0, let found = try log.offset(forTimestamp: largest), found.offset < end {
                    out.offset = found.offset
                    out.timestamp = found.timestamp
                    out.leaderEpoch = epoch(at: found.offset)
                }
            case let ts where ts >= 0:
                if let found = try log.offset(forTimestamp: ts), found.offset < end {
                    out.offset = found.offset
                    out.timestamp = found.timestamp
                    out.leaderEpoch = epoch(at: found.offset)
                }
            case ListOffsetsRequest.latestTieredTimestamp:
                break // nothing is tiered: no offset
            default:
                out.errorCode = .invalidRequest
            }
        } catch let e as StorageError {
            out.errorCode = e.errorCode
        } catch {
            out.errorCode = .unknownServerError
        }
    }
}
