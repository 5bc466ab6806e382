import EddyProtocol

/// A Produce with acks=all waiting until every partition's high watermark has passed what it
/// appended (Kafka's `DelayedProduce` in the produce purgatory). Guarded by its broker's
/// `purgatoryLock` once parked.
final class DelayedProduce {
    struct PartitionStatus {
        var topicPartition: TopicPartition
        /// Offset the high watermark must reach: last appended offset + 1.
        var requiredOffset: Int64
        var response: ProduceResponse.PartitionProduceResponse
        var done: Bool
        /// The replica the records were appended to, and the leader epoch they were appended
        /// in: only that leadership may acknowledge them.
        var replica: Replica?
        var leaderEpoch: Int32 = -1

        /// A partition answered at once with `error`, nothing appended.
        static func failed(_ tp: TopicPartition, _ error: ErrorCode, _ message: String? = nil) -> PartitionStatus {
            var response = ProduceResponse.PartitionProduceResponse(index: tp.partition)
            response.errorCode = error
            response.errorMessage = message
            return PartitionStatus(topicPartition: tp, requiredOffset: 0, response: response, done: true)
        }
    }

    let deadlineMs: Int64
    var partitions: [PartitionStatus]
    let respond: @Sendable (KafkaResponse) -> Void
    let topicOrder: [String]

    init(deadlineMs: Int64, partitions: [PartitionStatus], topicOrder: [String],
         respond: @escaping @Sendable (KafkaResponse) -> Void) {
        self.deadlineMs = deadlineMs
        self.partitions = partitions
        self.topicOrder = topicOrder
        self.respond = respond
    }

    var isComplete: Bool { partitions.allSatisfy(\.done) }

    /// Marks every unfinished partition failed with `error` and queues the response.
    func complete(error: ErrorCode, into deferred: inout [@Sendable () -> Void]) {
        for i in partitions.indices where !partitions[i].done {
            partitions[i].response.errorCode = error
            partitions[i].response.baseOffset = -1
            partitions[i].done = true
        }
        queueResponse(into: &deferred)
    }

    func queueResponse(into deferred: inout [@Sendable () -> Void]) {
        var byTopic: [String: [ProduceResponse.PartitionProduceResponse]] = [:]
        for p in partitions { byTopic[p.topicPartition.topic, default: []].append(p.response) }
        let response = ProduceResponse(responses: topicOrder.map { .init(name: $0, partitionResponses: byTopic[$0] ?? []) })
        let respond = respond
        deferred.append { respond(.produce(response)) }
    }
}
