import EddyProtocol
import EddyStorage
import Synchronization

extension Broker {
    /// WriteTxnMarkers (Kafka's `KafkaApis.handleWriteTxnMarkersRequest`): a transaction
    /// coordinator asks this broker to end a transaction in the partitions it leads. Each
    /// marker is appended as a produce with acks=all would be (the same three steps as
    /// `handleProduce`, `LeaderWrite.marker`), in every partition the marker names, internal
    /// topics included, and each marker is answered once the high watermark has passed it in
    /// every partition (or with the partition's error: NOT_LEADER_OR_FOLLOWER,
    /// UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH,
    /// TRANSACTION_COORDINATOR_FENCED, or REQUEST_TIMED_OUT after `markerTimeoutMs`). The
    /// request is answered when every marker is.
    func handleWriteTxnMarkers(_ request: WriteTxnMarkersRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        guard !request.markers.isEmpty else { return respond(.writeTxnMarkers(WriteTxnMarkersResponse(markers: []))) }
        let answers = AnswerCountdown<[WriteTxnMarkersResponse.WritableTxnMarkerResult?]>(
            count: request.markers.count, initial: Array(repeating: nil, count: request.markers.count))
        let answer: @Sendable (Int, WriteTxnMarkersResponse.WritableTxnMarkerResult) -> Void = { i, result in
            if let all = answers.add({ $0[i] = result }) { respond(.writeTxnMarkers(WriteTxnMarkersResponse(markers: all.compactMap { $0 }))) }
        }
        for (i, marker) in request.markers.enumerated() {
            let write = LeaderWrite.marker(producerId: marker.producerId, producerEpoch: marker.producerEpoch,
                                           coordinatorEpoch: marker.coordinatorEpoch, committed: marker.committed)
            let planned: [PlannedAppend]? = isServing ? resolvingMissing(marker.topicPartitions.map { planAppend($0, write: write, acks: -1) }) : nil
            let topics = marker.topics
            let offsetsPartitions = marker.topicPartitions.filter { $0.topic == OffsetsTopic.name }
            let produced: @Sendable (KafkaResponse) -> Void = { [self] response in
                guard case let .produce(produced) = response else { return }
                completeGroupTransactions(marker, in: offsetsPartitions.filter {
                    produced.partition(topic: $0.topic, partition: $0.partition)?.errorCode == ErrorCode.none
                })
                answer(i, WriteTxnMarkersResponse.WritableTxnMarkerResult(producerId: marker.producerId, topics: topics.map { t in
                    .init(name: t.name, partitions: t.partitionIndexes.map { index in
                        .init(partitionIndex: index, errorCode: produced.partition(topic: t.name, partition: index)?.errorCode ?? .unknownServerError)
                    })
                }))
            }
            guard let planned else {
                answer(i, request.errorResponse(.notLeaderOrFollower).markers[i])
                continue
            }
            let appended = planned.map { $0.append() }
            var responses: Deferred = []
            let statuses = appended.map { finishAppend($0, acks: -1, into: &responses) }
            answerOrPark(DelayedProduce(deadlineMs: cluster.clock.nowMs() + Self.markerTimeoutMs, partitions: statuses,
                                        topicOrder: topics.map(\.name), respond: produced), into: &responses)
            for r in responses { r() }
        }
    }

    /// Once a marker is in `__consumer_offsets` partitions this broker leads, their group
    /// coordinator commits or drops the offsets the transaction committed there (Kafka's
    /// `onTransactionCompleted`), before the coordinator of the transaction hears back. A
    /// partition still loading reads the marker from its log instead. Called without the lock.
    private func completeGroupTransactions(_ marker: WriteTxnMarkersRequest.WritableTxnMarker, in partitions: [TopicPartition]) {
        guard !partitions.isEmpty else { return }
        cluster.lock.withLock {
            guard isRunning else { return }
            for tp in partitions where groups.partitions[tp.partition] == .loaded {
                groups.coordinator.completeTransaction(producerId: marker.producerId, committed: marker.committed, partition: tp.partition)
            }
        }
    }

    /// How long a marker waits for its replicas (Kafka uses the broker's request.timeout.ms).
    static let markerTimeoutMs: Int64 = 30_000
}

/// Answers that arrive on any thread, combined until the last of `count` is in (a
/// WriteTxnMarkers request's markers; a marker round's leaders).
final class AnswerCountdown<Value: Sendable>: Sendable {
    private let state: Mutex<(value: Value, left: Int)>

    init(count: Int, initial: Value) { state = Mutex((initial, count)) }

    /// Adds one answer (`merge` folds it in); the combined value once the last is in, else nil.
    func add(_ merge: (inout Value) -> Void) -> Value? {
        state.withLock { s in
            merge(&s.value)
            s.left -= 1
            return s.left == 0 ? s.value : nil
        }
    }
}
