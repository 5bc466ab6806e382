import EddyProtocol

/// The producer's background loop (Kafka's `Sender` on its I/O thread). Each turn it applies
/// the responses that arrived (a node's in the order its requests were sent, as over one Kafka
/// connection), expires batches past delivery.timeout.ms, then drains the sendable batches into
/// one Produce request per leader (at most max.in.flight.requests.per.connection unanswered per
/// broker) and hands them to the `KafkaClient`, in order, from this one task. Record
/// completions run here too. Between turns it waits for a signal (a new or full batch, a
/// response, a flush, a close) or the next linger, backoff or expiry deadline.
///
/// Produce requests go out through `KafkaClient.send(_:to:timeoutMs:completion:)` like every
/// other request: the client gives them their correlation ids, fails them after
/// request.timeout.ms (capped here by the batches' delivery deadline) and notes the nodes that
/// failed. The Sender keeps what is the producer's own: in-flight limits, retries, sequence
/// numbers and batch expiry.
///
/// Before the first batch of an idempotent producer, and after a batch with sequence numbers
/// failed, it gets a producer id with InitProducerId (retrying with retry.backoff.ms). After
/// retriable errors that suggest stale leaders it refreshes the metadata of the producer's
/// topics, at most once per retry.backoff.ms.
final class Sender: @unchecked Sendable {
    private let core: ProducerCore
    private let client: KafkaClient
    /// Only the loop touches these.
    private var lastMetadataRefreshMs = Int64.min / 2
    private var nextInitAttemptMs = Int64.min / 2

    init(core: ProducerCore, client: KafkaClient) {
        self.core = core
        self.client = client
    }

    /// Runs until the producer is closed and drained, or stopped.
    func run() async {
        let backoff = core.config.retryBackoffMs
        while true {
            let now = ClientTime.monotonicMs()
            let plan = core.plan(nowMs: now, metadata: client.metadata)
            if plan.stop { return }
            for r in plan.requests { send(r) }
            if !plan.addPartitions.isEmpty {
                await addPartitions(plan.addPartitions)
                continue
            }
            if let current = plan.initProducerId, now >= nextInitAttemptMs {
                await initProducerId(current)
                continue
            }
            if plan.refreshMetadata, now >= lastMetadataRefreshMs + backoff {
                await refreshMetadata()
                continue
            }
            var wakeAt = plan.wakeAtMs
            if plan.refreshMetadata { wakeAt = min(wakeAt ?? .max, lastMetadataRefreshMs + backoff) }
            if plan.initProducerId != nil { wakeAt = min(wakeAt ?? .max, nextInitAttemptMs) }
            await core.wakeup.wait(timeoutMs: wakeAt.map { $0 - ClientTime.monotonicMs() })
        }
    }

    /// Hands one Produce request to the client. Requests go out in the order they were
    /// planned, from this one task, so a node receives a partition's batches in sequence order;
    /// the answer (or the client's timeout) is kept for the next turn (`responseArrived`),
    /// whichever thread it comes on.
    private func send(_ r: RecordAccumulator.Request) {
        var topics: [(name: String, partitions: [ProduceRequest.PartitionProduceData])] = []
        for b in r.batches {
            b.encode()
            let data = ProduceRequest.PartitionProduceData(index: b.topicPartition.partition, records: b.bytes)
            if let i = topics.firstIndex(where: { $0.name == b.topicPartition.topic }) {
                topics[i].partitions.append(data)
            } else {
                topics.append((b.topicPartition.topic, [data]))
            }
        }
        let config = core.config
        let request = ProduceRequest(transactionalId: config.transactionalId, acks: config.acks.value,
                                     timeoutMs: Int32(clamping: config.requestTimeoutMs),
                                     topicData: topics.map { .init(name: $0.name, partitionData: $0.partitions) })
        let core = core
        client.send(.produce(request), to: r.node, timeoutMs: r.timeoutMs) { result in
            switch result {
            case let .success(.produce(p)):
                core.responseArrived(.success(p), for: r)
            case let .success(other):
                core.responseArrived(.failure(KafkaClient.unexpected(other, expected: "Produce")), for: r)
            case let .failure(e):
                core.responseArrived(.failure(e), for: r)
            }
        }
    }

    /// A transactional producer's partitions join the transaction before their batches go out
    /// (Kafka's sender sends AddPartitionsToTxn first): retried while the coordinator is busy
    /// or moving, within the producer's max.block.ms.
    private func addPartitions(_ tps: Set<TopicPartition>) async {
        let (producerId, epoch) = core.producerIdAndEpoch
        guard let transactionalId = core.config.transactionalId else { return }
        let request = AddPartitionsToTxnRequest(transactionalId: transactionalId, producerId: producerId, producerEpoch: epoch,
                                                partitions: tps.sorted())
        do throws(ClientError) {
            _ = try await TransactionCoordinatorCall(client: client, config: core.config).send(.addPartitionsToTxn(request)) {
                guard case let .addPartitionsToTxn(r) = $0 else { return nil }
                // OPERATION_NOT_ATTEMPTED marks the partitions left alone because of another one's error.
                return r.errors.values.first { $0 != .none && $0 != .operationNotAttempted } ?? ErrorCode.none
            }
            core.partitionsAdded(tps, error: nil)
        } catch {
            core.partitionsAdded(tps, error: error)
        }
    }

    private func refreshMetadata() async {
        lastMetadataRefreshMs = ClientTime.monotonicMs()
        let topics = core.topicNames
        guard !topics.isEmpty else { return }
        if let m = try? await client.refreshMetadata(topics: topics) {
            core.metadataRefreshed(m)
        }
    }

    /// One InitProducerId attempt; on a retriable failure the next waits retry.backoff.ms.
    private func initProducerId(_ current: (producerId: Int64, epoch: Int16)) async {
        let request = InitProducerIdRequest(transactionalId: nil, producerId: current.producerId, producerEpoch: current.epoch)
        do throws(ClientError) {
            let (_, response) = try await client.sendToAnyBroker(.initProducerId(request), timeoutMs: core.config.requestTimeoutMs)
            guard case let .initProducerId(r) = response else {
                throw KafkaClient.unexpected(response, expected: "InitProducerId")
            }
            switch r.errorCode {
            case .none:
                core.producerIdReceived(r.producerId, epoch: r.producerEpoch)
                return
            case .unsupportedVersion:
                core.producerIdUnavailable(.broker(.unsupportedVersion, message: "the brokers do not give out producer ids "
                    + "(InitProducerId), which the idempotent producer needs"), fallBack: true)
                return
            case let code where code.isRetriable:
                break
            case let code:
                core.producerIdUnavailable(.broker(code, message: "InitProducerId failed"), fallBack: false)
                return
            }
        } catch {
            // Transport failures: try again after the backoff.
        }
        nextInitAttemptMs = ClientTime.monotonicMs() + core.config.retryBackoffMs
    }
}
