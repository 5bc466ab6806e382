import Foundation

/// Wall-clock time in milliseconds since the Unix epoch, injectable like Kafka's `Time`.
/// Retention, segment.ms, flush.ms and later session timeouts read time only through this.
public protocol Clock: Sendable {
    func nowMs() -> Int64
}

/// The real clock.
public struct SystemClock: Clock {
    public init() {}
    public func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A clock that moves only when told to, for deterministic tests (Kafka's `MockTime`).
public final class ManualClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    public init(nowMs: Int64 = 1_700_000_000_000) { now = nowMs }

    public func nowMs() -> Int64 { lock.withLock { now } }
    public func advance(ms: Int64) { lock.withLock { now += ms } }
    public func set(ms: Int64) { lock.withLock { now = ms } }
}
