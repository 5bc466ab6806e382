import EddyProtocol
import Synchronization

extension Cluster {
    /// A consumer client, as fetches and group members name it.
    struct FetchClient: Hashable {
        var clientId: String
        var clientHost: String
    }

    /// A client's latest fetch from a partition.
    struct FetchMark {
        var offset: Int64
        var atMs: Int64
    }

    /// How many clients are remembered per partition (the ones that fetched last).
    static let fetchClientsPerPartition = 32
    /// Fetches older than this are not reported: the consumer has gone.
    static let fetchPositionTtlMs: Int64 = 300_000

    /// Records a consumer fetch (not a follower's): the offset each partition is read from, by
    /// client id and host, for EddyFetchPositions. Needs no cluster lock.
    func recordConsumerFetch(_ request: FetchRequest, context: RequestContext) {
        guard request.replicaId < 0 else { return }
        let client = FetchClient(clientId: context.clientId, clientHost: Cluster.clientHost(context))
        let now = clock.nowMs()
        consumerFetches.withLock { consumerFetches in
            for t in request.topics {
                for p in t.partitions {
                    let tp = TopicPartition(t.topic, p.partition)
                    // In place: a copy of the partition's marks on every fetch would rehash them.
                    consumerFetches[tp, default: [:]][client] = FetchMark(offset: p.fetchOffset, atMs: now)
                    if consumerFetches[tp]!.count > Cluster.fetchClientsPerPartition,
                       let oldest = consumerFetches[tp]!.min(by: { $0.value.atMs < $1.value.atMs })?.key {
                        consumerFetches[tp]!.removeValue(forKey: oldest)
                    }
                }
            }
        }
    }

    /// EddyFetchPositions: the recent consumer fetches of each partition, the latest first.
    func handleFetchPositions(_ request: EddyFetchPositionsRequest) -> EddyFetchPositionsResponse {
        let now = clock.nowMs()
        var out: [TopicPartition: [EddyFetchPositionsResponse.Fetcher]] = [:]
        let recorded = consumerFetches.withLock { all in request.partitions.map { all[$0] ?? [:] } }
        for (tp, marks) in zip(request.partitions, recorded) {
            out[tp] = marks
                .filter { now - $0.value.atMs <= Cluster.fetchPositionTtlMs }
                .sorted { $0.value.atMs > $1.value.atMs }
                .map { .init(clientId: $0.key.clientId, clientHost: $0.key.clientHost, fetchOffset: $0.value.offset, lastFetchMs: $0.value.atMs) }
        }
        return EddyFetchPositionsResponse(fetchers: out)
    }
}
