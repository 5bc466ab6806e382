/// How long a client waits before connecting to a broker again after a connection to it failed
/// or dropped: Kafka's `reconnect.backoff.ms` and `reconnect.backoff.max.ms` (KIP-144), as its
/// `ExponentialBackoff` computes them.
///
/// The wait doubles with each consecutive failure, from `initialMs` up to `maxMs`, and is spread
/// by ±`jitter` (Kafka's 20 %) so that clients that lost the same broker do not all come back
/// at once. A connection that completes its ApiVersions exchange resets the count.
///
/// Invariants (checked in `ReconnectBackoffTests`): `delayMs` is never above `maxMs`, never
/// negative, and without jitter it is `initialMs`, 2·`initialMs`, 4·`initialMs`, ... capped at
/// `maxMs`.
public struct ReconnectBackoff: Sendable, Equatable {
    /// reconnect.backoff.ms (Kafka's default: 50).
    public var initialMs: Int64
    /// reconnect.backoff.max.ms (Kafka's default: 1000).
    public var maxMs: Int64
    /// The relative spread around each wait: the wait is multiplied by a factor drawn from
    /// [1 - jitter, 1 + jitter).
    public var jitter: Double

    public init(initialMs: Int64 = 50, maxMs: Int64 = 1000, jitter: Double = 0.2) {
        self.initialMs = max(0, initialMs)
        // As in Kafka, a maximum below the initial wait is raised to it.
        self.maxMs = max(self.initialMs, maxMs)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait after `failures` consecutive failed connections (0 for none: connect at once).
    /// `random` is a number in [0, 1), the jitter's draw.
    public func delayMs(failures: Int, random: Double) -> Int64 {
        guard failures > 0, initialMs > 0 else { return 0 }
        // The exponent stops growing once the wait reaches the maximum (and before it overflows).
        var term = Double(initialMs)
        var doublings = failures - 1
        while doublings > 0, term < Double(maxMs) {
            term *= 2
            doublings -= 1
        }
        // As Kafka's ExponentialBackoff: the jitter spreads the capped wait, so that clients
        // that keep failing still come back at different times (800 to 1000 ms by default).
        term = min(term, Double(maxMs))
        let factor = jitter > 0 ? 1 - jitter + 2 * jitter * min(max(random, 0), 1) : 1
        return min(maxMs, max(0, Int64(term * factor)))
    }
}
