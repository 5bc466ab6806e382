import EddyProtocol
import Foundation

/// Cumulative bytes each broker moved since the cluster opened, as Kafka's per-broker
/// `BytesInPerSec` / `BytesOutPerSec` meters count them: in, the record bytes the broker
/// appended as leader (Produce requests, and its group coordinator's writes to
/// `__consumer_offsets`; duplicates of retried idempotent batches are not written, so not
/// counted); out, the record bytes of Fetch responses the broker sent, to consumers and to
/// follower replicas alike. Rates are deltas over time, left to the reader.
///
/// Thread-safe (its own lock: fetch answers are counted outside the cluster lock).
public final class BrokerTraffic: @unchecked Sendable {
    /// One broker's counters.
    public struct Counters: Sendable, Equatable {
        public var bytesIn: Int64 = 0
        public var bytesOut: Int64 = 0

        public init(bytesIn: Int64 = 0, bytesOut: Int64 = 0) {
            self.bytesIn = bytesIn
            self.bytesOut = bytesOut
        }
    }

    private let lock = NSLock()
    private var counters: [Int32: Counters] = [:]

    public init() {}

    func noteIn(_ broker: Int32, bytes: Int) {
        guard bytes > 0 else { return }
        lock.withLock { counters[broker, default: Counters()].bytesIn += Int64(bytes) }
    }

    func noteOut(_ broker: Int32, bytes: Int) {
        guard bytes > 0 else { return }
        lock.withLock { counters[broker, default: Counters()].bytesOut += Int64(bytes) }
    }

    /// Every broker that moved any bytes, with its totals.
    public func snapshot() -> [Int32: Counters] { lock.withLock { counters } }
}

extension Cluster {
    /// Bytes in and out per broker since the cluster opened (see `BrokerTraffic`).
    public func brokerTraffic() -> [Int32: BrokerTraffic.Counters] { traffic.snapshot() }

    /// `respond`, counting the record bytes of the Fetch response as broker `node`'s bytes out.
    func countingFetchBytes(on node: Int32, _ respond: @escaping @Sendable (KafkaResponse) -> Void) -> @Sendable (KafkaResponse) -> Void {
        let traffic = traffic
        return { response in
            if case let .fetch(f) = response {
                traffic.noteOut(node, bytes: f.responses.reduce(0) { sum, t in t.partitions.reduce(sum) { $0 + $1.recordsByteCount } })
            }
            respond(response)
        }
    }
}
