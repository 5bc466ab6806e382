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
            out += response.transactions.map {
                TransactionListing(transactionalId: $0.transactionalId, coordinator: node, producerId: $0.producerId, state: $0.state)
            }
        }
        return out.sorted { $0.transactionalId < $1.transactionalId }
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
                    return TransactionDescription(transactionalId: id, coordinator: node, state: t.state, producerId: t.producerId,
                                                  producerEpoch: t.producerEpoch, timeoutMs: t.timeoutMs,
                                                  startTimeMs: t.startTimeMs >= 0 ? t.startTimeMs : nil, partitions: t.partitions)
                } catch let error {
                    if Self.coordinatorMoved(error) { client.coordinatorFailed(for: id, type: .transaction) }
                    throw error
                }
            }
        }
        return out
    }
}
