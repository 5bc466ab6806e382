import EddyClient
import EddyProtocol
import Foundation

/// Carries out the effects that talk to the cluster, through the real client APIs: Admin for
/// resets and topics, a producer for test records, a group-less consumer for the Messages
/// view, and `DemoControls` for demo and broker controls. Each effect's result, or its error
/// with Kafka's name and what to do, comes back as an `EffectOutcome`.
actor EffectRunner {
    let client: KafkaClient
    let admin: Admin
    let controls: (any DemoControls)?
    private var producer: BytesProducer?

    init(client: KafkaClient, admin: Admin, controls: (any DemoControls)?) {
        self.client = client
        self.admin = admin
        self.controls = controls
    }

    /// Closes the producer, if one was made.
    func close() async {
        await producer?.close(timeoutMs: 2_000)
        producer = nil
    }

    /// The outcome of `effect`; nil for effects the UI loop handles itself.
    func run(_ effect: ConsoleEffect) async -> EffectOutcome? {
        switch effect {
        case .quit, .redraw, .refresh, .switchTheme, .switchCluster:
            return nil
        case let .previewReset(request):
            return await preview(request)
        case let .executeReset(request, plan, replay):
            return await execute(request, plan: plan, replay: replay)
        case let .produce(record):
            return await produce(record)
        case let .createTopic(topic):
            do throws(ClientError) {
                let created = try await admin.createTopic(topic)
                return .status(.success("created topic \(created.name): \(created.numPartitions) partitions, replication factor \(created.replicationFactor)"))
            } catch {
                return .status(.error("create topic \(topic.name): " + ErrorAdvice.text(error)))
            }
        case let .demo(command):
            return await demo(command)
        case let .abortTransaction(t):
            return await abort(t)
        case let .loadMessages(query):
            do {
                let page = try await MessagesReader(admin: admin).read(query)
                return .messages(page)
            } catch {
                return .messagesFailed(query, "reading \(query.topicPartition): " + ErrorAdvice.text(error))
            }
        }
    }

    // MARK: Reset

    private func preview(_ request: ResetRequest) async -> EffectOutcome {
        do {
            let plan = try await admin.planOffsetReset(group: request.group, scope: request.scope, strategy: request.strategy)
            return .resetPreview(request, plan, activeState: nil)
        } catch let OffsetResetError.groupNotInactive(_, state) {
            do {
                let plan = try await admin.planOffsetReset(group: request.group, scope: request.scope, strategy: request.strategy,
                                                           ignoringGroupState: true)
                return .resetPreview(request, plan, activeState: state)
            } catch {
                return .previewFailed(request, .error("reset \(request.group): " + ErrorAdvice.text(error)))
            }
        } catch {
            return .previewFailed(request, .error("reset \(request.group): " + ErrorAdvice.text(error)))
        }
    }

    private func execute(_ request: ResetRequest, plan: OffsetResetPlan, replay: Bool) async -> EffectOutcome {
        let what = "\(plan.entries.count) partition\(plan.entries.count == 1 ? "" : "s") \(ConsoleState.describe(request.strategy))"
        if !replay {
            do {
                try await admin.executeOffsetReset(plan)
                return .status(.success("reset group \(request.group): \(what)"))
            } catch {
                return .status(.error("reset \(request.group): " + ErrorAdvice.text(error)))
            }
        }
        guard let controls else {
            return .status(.error("reset \(request.group): replay needs the demo's controls (eddy demo)"))
        }
        let admin = self.admin
        do throws(ClientError) {
            let result = try await controls.withGroupPaused(request.group) { () async throws(ClientError) -> String in
                do {
                    // The consumers committed while stopping: plan again from the offsets now.
                    let fresh = try await admin.planOffsetReset(group: request.group, scope: request.scope, strategy: request.strategy)
                    try await admin.executeOffsetReset(fresh)
                    return "replay: reset group \(request.group), \(fresh.entries.count) partitions \(ConsoleState.describe(request.strategy)); consumers resumed"
                } catch let error as ClientError {
                    throw error
                } catch {
                    throw ClientError.illegalState(ErrorAdvice.text(error))
                }
            }
            return .status(.success(result))
        } catch {
            return .status(.error("replay \(request.group): " + ErrorAdvice.text(error)))
        }
    }

    // MARK: Transactions

    private func abort(_ t: TransactionSnapshot) async -> EffectOutcome {
        do throws(ClientError) {
            if let h = t.hanging {
                try await admin.abortTransaction(AbortTransactionSpec(
                    topicPartition: h.topicPartition, producerId: h.producerId, producerEpoch: Int16(clamping: h.producerEpoch),
                    coordinatorEpoch: max(0, h.coordinatorEpoch)))
                return .status(.success("aborted the hanging transaction of producer \(h.producerId) in \(h.topicPartition)"))
            }
            guard let id = t.transactionalId else { return .status(.error("abort: the transaction has no transactional id")) }
            let (producerId, epoch) = try await admin.forceTerminateTransaction(id)
            return .status(.success("ended transaction \(id) through its coordinator (aborted, unless it was already committing): "
                + "producer \(producerId) is at epoch \(epoch) now; the old epoch is fenced"))
        } catch {
            return .status(.error("abort \(t.displayName): " + ErrorAdvice.text(error)))
        }
    }

    // MARK: Produce

    private func produce(_ record: TestRecord) async -> EffectOutcome {
        do throws(ClientError) {
            let producer = try testRecordProducer()
            let metadata = try await producer.send(ProducerRecord(
                topic: record.topic, partition: record.partition, key: record.key.map { Array($0.utf8) },
                value: Array(record.value.utf8), headers: record.headers))
            return .produced(metadata.topicPartition, offset: metadata.offset)
        } catch {
            return .status(.error("produce to \(record.topic): " + ErrorAdvice.text(error)))
        }
    }

    private func testRecordProducer() throws(ClientError) -> BytesProducer {
        if let producer { return producer }
        var config = ProducerConfig()
        config.clientId = "eddy-console"
        config.lingerMs = 0
        config.deliveryTimeoutMs = 15_000
        config.requestTimeoutMs = 10_000
        config.maxBlockMs = 10_000
        let made = try BytesProducer(config: config, client: client)
        producer = made
        return made
    }

    // MARK: Demo

    private func demo(_ command: DemoCommand) async -> EffectOutcome {
        guard let controls else {
            return .status(.error("\(ConsoleState.describe(command)): needs the demo's controls (eddy demo)"))
        }
        do throws(ClientError) {
            let result: String
            switch command {
            case let .stopBroker(id): result = try await controls.stopBroker(id)
            case let .killBroker(id): result = try await controls.killBroker(id)
            case let .startBroker(id): result = try await controls.startBroker(id)
            case let .stopController(id): result = try await controls.stopController(id)
            case let .killController(id): result = try await controls.killController(id)
            case let .startController(id): result = try await controls.startController(id)
            case let .setPaused(worker, paused): result = try await controls.setPaused(worker, paused)
            case let .setRate(producer, rate): result = try await controls.setRate(producer, recordsPerSecond: rate)
            case let .addMember(group): result = try await controls.addMember(group: group)
            case let .removeMember(group): result = try await controls.removeMember(group: group)
            }
            return .status(.success(result))
        } catch {
            return .status(.error(ConsoleState.describe(command) + ": " + ErrorAdvice.text(error)))
        }
    }
}
