import EddyProtocol

/// Expects the cluster lock held.
extension Broker {
    /// ListTransactions: the transactions this broker coordinates (an admin client asks every
    /// broker), filtered by state names (unknown ones are listed back), producer ids, and (v1)
    /// how long they have been running: with a duration filter, only transactions running (
    /// Ongoing or preparing) longer than it. COORDINATOR_LOAD_IN_PROGRESS while a partition loads.
    func handleListTransactions(_ request: ListTransactionsRequest) -> ListTransactionsResponse {
        guard !transactions.isLoading else { return request.errorResponse(.coordinatorLoadInProgress) }
        var states = Set<TransactionState>()
        var unknown: [String] = []
        for name in request.stateFilters {
            if let s = TransactionState(name: name) { states.insert(s) } else { unknown.append(name) }
        }
        // Filters naming only unknown states match nothing.
        let listed = !request.stateFilters.isEmpty && states.isEmpty ? []
            : transactions.coordinator.list(states: states, producerIds: Set(request.producerIdFilters))
        let now = cluster.clock.nowMs()
        return ListTransactionsResponse(unknownStateFilters: unknown, transactions: listed.filter { m in
            request.durationFilterMs < 0 || (m.state.isRunning && m.startTimestampMs >= 0 && now - m.startTimestampMs > request.durationFilterMs)
        }.map { .init(transactionalId: $0.transactionalId, producerId: $0.producerId, state: $0.state.description) })
    }
}
