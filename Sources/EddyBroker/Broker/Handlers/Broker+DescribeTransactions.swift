import EddyProtocol

/// Expects the cluster lock held.
extension Broker {
    /// DescribeTransactions: each transactional id's state, as its coordinator knows it
    /// (NOT_COORDINATOR for ids another broker coordinates, COORDINATOR_LOAD_IN_PROGRESS while
    /// their partition loads, TRANSACTIONAL_ID_NOT_FOUND for unknown ones). The start time is -1
    /// unless a transaction is running (Ongoing, PrepareCommit, PrepareAbort).
    func handleDescribeTransactions(_ request: DescribeTransactionsRequest) -> DescribeTransactionsResponse {
        DescribeTransactionsResponse(transactions: request.transactionalIds.map { id in
            let availability = transactions.availability(of: id)
            guard availability == .none else { return .init(errorCode: availability, transactionalId: id) }
            switch transactions.coordinator.describe(id) {
            case let .failure(e): return .init(errorCode: e, transactionalId: id)
            case let .success(m):
                return .init(transactionalId: id, state: m.state.description, timeoutMs: m.timeoutMs,
                             startTimeMs: m.state.isRunning ? m.startTimestampMs : -1, producerId: m.producerId, producerEpoch: m.producerEpoch,
                             partitions: m.sortedPartitions)
            }
        })
    }
}
