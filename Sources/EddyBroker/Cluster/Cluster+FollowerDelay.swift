import EddyProtocol
import Synchronization

/// Followers that fetch a topic only every so often: a training knob (`eddy demo --scenario
/// acks` makes the followers of its topics lag behind their leader, so that what only the
/// leader held when it died is seen to be lost). Not a Kafka config: Kafka throttles replication
/// by bytes per second (`follower.replication.throttled.rate`); a fixed interval makes the lag
/// predictable on a screen.
struct FollowerDelays {
    /// Per topic, the least time between two fetches of one follower.
    var intervalMs: [String: Int64] = [:]
    /// When each follower last fetched each delayed partition.
    var lastFetchMs: [FetcherPartition: Int64] = [:]

    struct FetcherPartition: Hashable {
        var follower: Int32
        var partition: TopicPartition
    }
}

extension Cluster {
    /// Makes the followers of `topics` fetch at most every `intervalMs` (nil: as usual again).
    public func setFollowerFetchInterval(_ intervalMs: Int64?, topics: Set<String>) {
        followerDelays.withLock { delays in
            for topic in topics { delays.intervalMs[topic] = intervalMs.map { max(1, $0) } }
            delays.lastFetchMs = delays.lastFetchMs.filter { delays.intervalMs[$0.key.partition.topic] != nil }
        }
    }

    /// Whether `follower` may fetch `tp` in a replication round at `now` (and if so, notes it).
    func followerMayFetch(_ tp: TopicPartition, follower: Int32, now: Int64) -> Bool {
        followerDelays.withLock { delays in
            guard let interval = delays.intervalMs[tp.topic] else { return true }
            let key = FollowerDelays.FetcherPartition(follower: follower, partition: tp)
            if let last = delays.lastFetchMs[key], now - last < interval { return false }
            delays.lastFetchMs[key] = now
            return true
        }
    }
}
