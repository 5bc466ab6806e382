import EddyProtocol

/// A transaction as `listTransactions` finds it (Kafka's `TransactionListing`).
public struct TransactionListing: Sendable, Equatable {
    public var transactionalId: String
    /// The broker coordinating it.
    public var coordinator: Int32
    public var producerId: Int64
    /// Kafka's state name (Empty, Ongoing, PrepareCommit, ...).
    public var state: String
}

/// A transaction as `describeTransactions` finds it (Kafka's `TransactionDescription`).
public struct TransactionDescription: Sendable, Equatable {
    public var transactionalId: String
    public var coordinator: Int32
    public var state: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var timeoutMs: Int32
    /// When the running transaction started; nil when none runs.
    public var startTimeMs: Int64?
    public var partitions: [TopicPartition]
}

extension TransactionDescription {
    /// A DescribeTransactions answer for one id, from `coordinator`.
    init(_ t: DescribeTransactionsResponse.DescribedTransaction, coordinator: Int32) {
        self.init(transactionalId: t.transactionalId, coordinator: coordinator, state: t.state, producerId: t.producerId,
                  producerEpoch: t.producerEpoch, timeoutMs: t.timeoutMs, startTimeMs: t.startTimeMs >= 0 ? t.startTimeMs : nil,
                  partitions: t.partitions)
    }
}

extension TransactionListing {
    /// The transactions one broker's ListTransactions answer lists.
    static func all(in r: ListTransactionsResponse, coordinator: Int32) -> [TransactionListing] {
        r.transactions.map { TransactionListing(transactionalId: $0.transactionalId, coordinator: coordinator, producerId: $0.producerId,
                                                state: $0.state) }
    }
}

extension Admin {
    /// ListTransactions on every broker (each lists what it coordinates), merged and sorted by
    /// transactional id. `states` are Kafka's names; `durationMs` keeps only transactions running
    /// longer than it (ListTransactions v1). A state name a broker does not know fails with
    /// INVALID_REQUEST.
    public func listTransactions(states: [String] = [], producerIds: [Int64] = [], durationMs: Int64? = nil) async throws(ClientError)
        -> [TransactionListing] {
        let deadline = deadline()
        let metadata = try await retrying(until: deadline) { () async throws(ClientError) in
            try await client.refreshMetadata(topics: [])
        }
        let request = ListTransactionsRequest(stateFilters: states, producerIdFilters: producerIds, durationFilterMs: durationMs ?? -1)
        var out: [TransactionListing] = []
        for node in metadata.brokers.keys.sorted() {
            let response = try await retrying(until: deadline) { () async throws(ClientError) -> ListTransactionsResponse in
                let response = try await client.send(.listTransactions(request), to: node)
                guard case let .listTransactions(r) = response else { throw Self.unexpected(response, expected: "ListTransactions") }
                try Self.check(r.errorCode, "broker \(node)")
                return r
            }
            if let unknown = response.unknownStateFilters.first {
                throw .broker(.invalidRequest, message: "broker \(node) knows no transaction state \(unknown)")
            }
            out += TransactionListing.all(in: response, coordinator: node)
        }
        return out.sorted { $0.transactionalId < $1.transactionalId }
    }

    /// What `listTransactionsBestEffort` found: the listings of the brokers that answered, and
    /// why each other broker did not.
    public struct TransactionListingResult: Sendable {
        public var listings: [TransactionListing]
        public var failures: [Int32: ClientError]
    }

    /// ListTransactions on every broker for monitoring: one request each, no retries; a broker
    /// that fails (killed, not fenced yet) costs only its own coordinator's transactions.
    /// Throws only when the metadata cannot be read, or when every broker refuses the API
    /// (UNSUPPORTED_VERSION: the cluster does not offer it).
    public func listTransactionsBestEffort() async throws(ClientError) -> TransactionListingResult {
        let metadata = try await client.refreshMetadata(topics: [])
        var result = TransactionListingResult(listings: [], failures: [:])
        var unsupported = 0
        for node in metadata.brokers.keys.sorted() {
            do throws(ClientError) {
                let response = try await client.send(.listTransactions(ListTransactionsRequest()), to: node)
                guard case let .listTransactions(r) = response else { throw Self.unexpected(response, expected: "ListTransactions") }
                try Self.check(r.errorCode, "broker \(node)")
                result.listings += TransactionListing.all(in: r, coordinator: node)
            } catch {
                if case .broker(.unsupportedVersion, _) = error { unsupported += 1 }
                result.failures[node] = error
            }
        }
        if unsupported > 0, unsupported == metadata.brokers.count {
            throw .broker(.unsupportedVersion, message: "no broker offers ListTransactions")
        }
        result.listings.sort { $0.transactionalId < $1.transactionalId }
        return result
    }

    /// FindCoordinator + DescribeTransactions for each transactional id (retrying while the
    /// coordinator moves or loads); an unknown id fails with TRANSACTIONAL_ID_NOT_FOUND.
    public func describeTransactions(_ transactionalIds: [String]) async throws(ClientError) -> [String: TransactionDescription] {
        var out: [String: TransactionDescription] = [:]
        let deadline = deadline()
        for id in transactionalIds {
            out[id] = try await retrying(until: deadline) { () async throws(ClientError) -> TransactionDescription in
                let node = try await client.coordinator(for: id, type: .transaction, timeoutMs: max(0, deadline - ClientTime.monotonicMs()))
                do throws(ClientError) {
                    let response = try await client.send(.describeTransactions(DescribeTransactionsRequest(transactionalIds: [id])), to: node)
                    guard case let .describeTransactions(r) = response, let t = r.transactions.first(where: { $0.transactionalId == id }) else {
                        throw Self.unexpected(response, expected: "DescribeTransactions")
                    }
                    try Self.check(t.errorCode, "transactional id \(id)")
                    return TransactionDescription(t, coordinator: node)
                } catch let error {
                    if Self.coordinatorMoved(error) { client.coordinatorFailed(for: id, type: .transaction) }
                    throw error
                }
            }
        }
        return out
    }

    /// DescribeTransactions for what `listTransactions` found: one request per coordinator
    /// however many ids it coordinates (for a console refresh), no retries. An id that its
    /// coordinator no longer knows or no longer coordinates (it expired or moved since the
    /// listing) is left out; a coordinator that does not answer fails the call.
    public func describeTransactions(listed: [TransactionListing]) async throws(ClientError) -> [TransactionDescription] {
        var byCoordinator: [Int32: [String]] = [:]
        for l in listed { byCoordinator[l.coordinator, default: []].append(l.transactionalId) }
        var out: [TransactionDescription] = []
        for (node, ids) in byCoordinator.sorted(by: { $0.key < $1.key }) {
            let response = try await client.send(.describeTransactions(DescribeTransactionsRequest(transactionalIds: ids)), to: node)
            guard case let .describeTransactions(r) = response else { throw Self.unexpected(response, expected: "DescribeTransactions") }
            out += r.transactions.filter { $0.errorCode == .none }.map { TransactionDescription($0, coordinator: node) }
        }
        return out.sorted { $0.transactionalId < $1.transactionalId }
    }

    /// Kafka's `forceTerminateTransaction` (KIP-939): ends whatever `transactionalId` has running
    /// by initialising its producer again, as a new instance of the producer would
    /// (InitProducerId with the id and its timeout): the coordinator aborts an open transaction,
    /// writing ABORT markers to its partitions, and bumps the epoch, so that the producer that
    /// left it open is fenced (PRODUCER_FENCED) on its next request. Retries while the
    /// coordinator aborts (CONCURRENT_TRANSACTIONS), moves or loads. Returns the producer id and
    /// the new epoch, which no producer holds.
    @discardableResult
    public func forceTerminateTransaction(_ transactionalId: String) async throws(ClientError) -> (producerId: Int64, epoch: Int16) {
        let deadline = deadline()
        let timeoutMs = try await describeTransactions([transactionalId])[transactionalId]?.timeoutMs ?? 60_000
        let request = InitProducerIdRequest(transactionalId: transactionalId, transactionTimeoutMs: timeoutMs)
        return try await retrying(until: deadline) { () async throws(ClientError) -> (Int64, Int16) in
            let node = try await client.coordinator(for: transactionalId, type: .transaction, timeoutMs: max(0, deadline - ClientTime.monotonicMs()))
            do throws(ClientError) {
                let response = try await client.send(.initProducerId(request), to: node)
                guard case let .initProducerId(r) = response else { throw Self.unexpected(response, expected: "InitProducerId") }
                try Self.check(r.errorCode, "transactional id \(transactionalId)")
                return (r.producerId, r.producerEpoch)
            } catch let error {
                if Self.coordinatorMoved(error) { client.coordinatorFailed(for: transactionalId, type: .transaction) }
                throw error
            }
        }
    }
}

/// One producer of a partition as its leader knows it (Kafka's `ProducerState`, from
/// DescribeProducers).
public struct ProducerStateDescription: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int32
    /// -1 when no sequence is retained.
    public var lastSequence: Int32
    public var lastTimestamp: Int64
    /// The coordinator epoch of its last marker in the partition; nil before any.
    public var coordinatorEpoch: Int32?
    /// The first offset of its open transaction in the partition; nil when none is open.
    public var currentTransactionStartOffset: Int64?
}

/// What `abortTransaction` aborts (Kafka's `AbortTransactionSpec`): a producer's open
/// transaction in one partition.
public struct AbortTransactionSpec: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var producerId: Int64
    public var producerEpoch: Int16
    public var coordinatorEpoch: Int32

    public init(topicPartition: TopicPartition, producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32) {
        self.topicPartition = topicPartition
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.coordinatorEpoch = coordinatorEpoch
    }
}

extension Admin {
    /// Kafka's `describeProducers`: each partition's producers, from its leader.
    public func describeProducers(_ partitions: [TopicPartition]) async throws(ClientError) -> [TopicPartition: [ProducerStateDescription]] {
        try await leaderCall(partitions, deadline: deadline()) { [client] leader, tps throws(ClientError) in
            let response = try await client.send(.describeProducers(DescribeProducersRequest(partitions: tps)), to: leader)
            guard case let .describeProducers(r) = response else { throw Admin.unexpected(response, expected: "DescribeProducers") }
            var out: [TopicPartition: PartitionOutcome<[ProducerStateDescription]>] = [:]
            for tp in tps {
                guard let p = r.partition(tp) else { out[tp] = .failure(.unknownServerError); continue }
                guard p.errorCode == .none else { out[tp] = .failure(p.errorCode); continue }
                out[tp] = .success(p.activeProducers.map {
                    ProducerStateDescription(producerId: $0.producerId, producerEpoch: $0.producerEpoch, lastSequence: $0.lastSequence,
                                             lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch >= 0 ? $0.coordinatorEpoch : nil,
                                             currentTransactionStartOffset: $0.currentTxnStartOffset >= 0 ? $0.currentTxnStartOffset : nil)
                })
            }
            return out
        }
    }

    /// Kafka's `abortTransaction`: writes an ABORT marker for the producer's transaction in the
    /// partition, through its leader (WriteTxnMarkers), as a coordinator would. For hanging
    /// transactions, which no coordinator will end (see `eddy transactions find-hanging`).
    /// A newer producer epoch or coordinator epoch in the partition fails it
    /// (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED).
    public func abortTransaction(_ spec: AbortTransactionSpec) async throws(ClientError) {
        let marker = WriteTxnMarkersRequest(markers: [.init(
            producerId: spec.producerId, producerEpoch: spec.producerEpoch, committed: false,
            topics: [.init(name: spec.topicPartition.topic, partitionIndexes: [spec.topicPartition.partition])],
            coordinatorEpoch: spec.coordinatorEpoch)])
        _ = try await leaderCall([spec.topicPartition], deadline: deadline()) { [client] leader, tps throws(ClientError) in
            let response = try await client.send(.writeTxnMarkers(marker), to: leader)
            guard case let .writeTxnMarkers(r) = response else { throw Admin.unexpected(response, expected: "WriteTxnMarkers") }
            let code = r.errors(producerId: spec.producerId)[spec.topicPartition] ?? .unknownServerError
            return [spec.topicPartition: code == .none ? .success(()) : .failure(code)]
        }
    }
}

/// An open transaction in a partition that its coordinator will not end (Kafka's
/// `kafka-transactions find-hanging`): it keeps the partition's last stable offset, and every
/// read_committed consumer, where it started until it is aborted (`abortTransaction`).
public struct HangingTransaction: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var producerId: Int64
    public var producerEpoch: Int32
    /// -1 when the producer never had a marker in the partition.
    public var coordinatorEpoch: Int32
    public var startOffset: Int64
    public var lastTimestamp: Int64

    public init(topicPartition: TopicPartition, producerId: Int64, producerEpoch: Int32, coordinatorEpoch: Int32, startOffset: Int64,
                lastTimestamp: Int64) {
        self.topicPartition = topicPartition
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.coordinatorEpoch = coordinatorEpoch
        self.startOffset = startOffset
        self.lastTimestamp = lastTimestamp
    }
}

extension Admin {
    /// Kafka's find-hanging: the producers of `partitions` with a transaction open and silent
    /// for at least `maxTransactionTimeoutMs` (the brokers' transaction.max.timeout.ms: no
    /// coordinator lets a transaction run longer), whose coordinator does not have that
    /// transaction running on the partition: no transactional id lists the producer id, or its
    /// current producer id differs or its epoch is older than the partition's, or it is not
    /// Ongoing (or preparing to end) with the partition among its partitions. (A coordinator
    /// that aborts a timed-out transaction has bumped the epoch by one: still its transaction.)
    public func findHangingTransactions(in partitions: [TopicPartition], maxTransactionTimeoutMs: Int64,
                                        nowMs: Int64) async throws(ClientError) -> [HangingTransaction] {
        let candidates = try await openTransactions(in: partitions, silentForMs: maxTransactionTimeoutMs, nowMs: nowMs)
        guard !candidates.isEmpty else { return [] }
        let listed = try await listTransactions(producerIds: Array(Set(candidates.map(\.producerId))).sorted())
        let described = try await describeTransactions(listed.map(\.transactionalId))
        return Self.hanging(candidates, described: Array(described.values))
    }

    /// The transactions open in `partitions` (DescribeProducers) whose producer has written
    /// nothing to the partition for at least `silentForMs`: find-hanging's candidates.
    public func openTransactions(in partitions: [TopicPartition], silentForMs: Int64, nowMs: Int64) async throws(ClientError)
        -> [HangingTransaction] {
        var candidates: [HangingTransaction] = []
        for (tp, producers) in try await describeProducers(partitions) {
            for p in producers {
                guard let start = p.currentTransactionStartOffset, nowMs - p.lastTimestamp >= silentForMs else { continue }
                candidates.append(HangingTransaction(topicPartition: tp, producerId: p.producerId, producerEpoch: p.producerEpoch,
                                                     coordinatorEpoch: p.coordinatorEpoch ?? -1, startOffset: start, lastTimestamp: p.lastTimestamp))
            }
        }
        return candidates
    }

    /// The open transactions among `candidates` that none of the coordinators' transactions
    /// (`described`) runs on their partition (see `findHangingTransactions`). Pure.
    public static func hanging(_ candidates: [HangingTransaction], described: [TransactionDescription]) -> [HangingTransaction] {
        let running: Set<String> = ["Ongoing", "PrepareCommit", "PrepareAbort", "PrepareEpochFence"]
        return candidates.filter { c in
            !described.contains { d in
                d.producerId == c.producerId && Int32(d.producerEpoch) >= c.producerEpoch && running.contains(d.state)
                    && d.partitions.contains(c.topicPartition)
            }
        }.sorted { ($0.topicPartition, $0.producerId) < ($1.topicPartition, $1.producerId) }
    }
}
