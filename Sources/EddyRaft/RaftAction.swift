/// What a `RaftNode` asks its owner to do, in order. Each must be done before the next: above
/// all, `persist` before any message that follows it is sent (a vote is durable before it is
/// granted), and an `append` is reported durable with `RaftNode.flushed` before the node counts
/// it (a follower does not fetch further, a leader does not count its own copy, until then).
public enum RaftAction: Sendable, Hashable {
    /// Write the election state durably (the `quorum-state` file).
    case persist(ElectionState)
    /// Send a message that needs nothing from the log.
    case send(to: Int32, RaftMessage)
    /// Answer a Fetch: `response` as it is, plus, if `recordsFrom` is set, the log's batches
    /// from that offset on (as many as fit the owner's fetch size; a batch is never split).
    case sendFetchResponse(to: Int32, response: FetchResponse, recordsFrom: Int64?)
    /// Answer a FetchSnapshot: `response` plus the snapshot's size and its bytes from
    /// `response.position` on (as many as fit the owner's chunk size).
    case sendSnapshotChunk(to: Int32, response: FetchSnapshotResponse)
    /// Append these batches to the log (as leader: one batch it just assigned offsets to).
    case append([RaftBatch])
    /// Remove every record at or above this offset.
    case truncate(to: Int64)
    /// Write bytes of a snapshot being fetched from the leader, at `position`.
    case writeSnapshotChunk(OffsetAndEpoch, position: Int64, bytes: [UInt8])
    /// The snapshot being fetched is complete: load it as the applied state and restart the
    /// log just after it (durably).
    case installSnapshot(OffsetAndEpoch)
    /// The high watermark moved up: records below it are committed and may be applied.
    case highWatermark(Int64)
    /// The node's role or epoch changed (for logs and the console's event list).
    case roleChanged(RaftNode.Role, epoch: Int32)
}
