import EddyProtocol

/// Produce acknowledgement rules that depend on the ISR (Kafka's `Partition.appendRecordsToLeader`
/// and `checkEnoughReplicasReachOffset`). `min.insync.replicas` is capped at the replica count
/// (Kafka's effective min ISR), so a topic configured above its replication factor still works.
extension PartitionLeaderState {
    /// Whether an acks=all (-1) produce may be appended now: NOT_ENOUGH_REPLICAS when the
    /// committed ISR is smaller than the effective `min.insync.replicas` (nothing is appended);
    /// nil when it may. acks=0 and acks=1 are never refused for this reason.
    public func checkAppend(requiredAcks: Int16, minInsyncReplicas: Int) -> ErrorCode? {
        guard requiredAcks == -1, isr.count < effectiveMinIsr(minInsyncReplicas) else { return nil }
        return .notEnoughReplicas
    }

    /// Where an acks=all produce stands once appended.
    public enum AcksAllOutcome: Sendable, Hashable {
        /// The high watermark has not reached the produce's records yet: keep waiting (until
        /// the request times out with REQUEST_TIMED_OUT).
        case waiting
        /// Answer now with this error: `.none`, or NOT_ENOUGH_REPLICAS_AFTER_APPEND if the
        /// maximal ISR shrank below the effective `min.insync.replicas` after the append (the
        /// records are committed all the same).
        case complete(ErrorCode)
    }

    /// The state of an acks=all produce whose last record is at `requiredOffset - 1`.
    public func acksAllOutcome(requiredOffset: Int64, minInsyncReplicas: Int) -> AcksAllOutcome {
        guard highWatermark >= requiredOffset else { return .waiting }
        return .complete(maximalIsr.count >= effectiveMinIsr(minInsyncReplicas) ? .none : .notEnoughReplicasAfterAppend)
    }

    /// Kafka's `effectiveMinIsr`: `min.insync.replicas` capped at the replica count.
    public func effectiveMinIsr(_ minInsyncReplicas: Int) -> Int { min(minInsyncReplicas, replicas.count) }
}
