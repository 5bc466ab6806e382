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
        let answers = MarkerAnswers(count: request.markers.count) { respond(.writeTxnMarkers(WriteTxnMarkersResponse(markers: $0))) }
        for (i, marker) in request.markers.enumerated() {
            let write = LeaderWrite.marker(producerId: marker.producerId, producerEpoch: marker.producerEpoch,
                                           coordinatorEpoch: marker.coordinatorEpoch, committed: marker.committed)
            let planned: [PlannedAppend]? = cluster.lock.withLock {
                guard isRunning else { return nil }
                return marker.topicPartitions.map { planAppend($0, write: write, acks: -1) }
            }
            let topics = marker.topics
            let answer: @Sendable (KafkaResponse) -> Void = { response in
                guard case let .produce(produced) = response else { return }
                answers.set(i, WriteTxnMarkersResponse.WritableTxnMarkerResult(producerId: marker.producerId, topics: topics.map { t in
                    .init(name: t.name, partitions: t.partitionIndexes.map { index in
                        .init(partitionIndex: index, errorCode: produced.partition(topic: t.name, partition: index)?.errorCode ?? .unknownServerError)
                    })
                }))
            }
            guard let planned else {
                answers.set(i, request.errorResponse(.notLeaderOrFollower).markers[i])
                continue
            }
            let appended = planned.map { $0.append() }
            cluster.lock.withLock {
                answerOrPark(DelayedProduce(deadlineMs: cluster.clock.nowMs() + Self.markerTimeoutMs,
                                            partitions: appended.map { finishAppend($0, acks: -1) },
                                            topicOrder: topics.map(\.name), respond: answer))
            }
        }
    }

    /// How long a marker waits for its replicas (Kafka uses the broker's request.timeout.ms).
    static let markerTimeoutMs: Int64 = 30_000
}

/// The answers to one WriteTxnMarkers request's markers, in request order, collected as each
/// marker completes (on whichever thread completes it); the request is answered with the last.
final class MarkerAnswers: Sendable {
    private let results: Mutex<(answers: [WriteTxnMarkersResponse.WritableTxnMarkerResult?], left: Int)>
    private let done: @Sendable ([WriteTxnMarkersResponse.WritableTxnMarkerResult]) -> Void

    init(count: Int, done: @escaping @Sendable ([WriteTxnMarkersResponse.WritableTxnMarkerResult]) -> Void) {
        results = Mutex((Array(repeating: nil, count: count), count))
        self.done = done
    }

    func set(_ i: Int, _ result: WriteTxnMarkersResponse.WritableTxnMarkerResult) {
        let all: [WriteTxnMarkersResponse.WritableTxnMarkerResult]? = results.withLock { r in
            guard r.answers[i] == nil else { return nil }
            r.answers[i] = result
            r.left -= 1
            return r.left == 0 ? r.answers.compactMap { $0 } : nil
        }
        if let all { done(all) }
    }
}
