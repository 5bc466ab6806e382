import Foundation

/// Time as clients use it. Deadlines and timeouts (linger.ms, request.timeout.ms,
/// delivery.timeout.ms, heartbeats, poll timeouts) run on the monotonic clock; record and
/// offset-commit timestamps are wall-clock milliseconds since the Unix epoch, as in Kafka.
public enum ClientTime {
    /// Milliseconds on a clock that never goes backwards (not related to the wall clock).
    public static func monotonicMs() -> Int64 {
        Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
    }

    /// Milliseconds since the Unix epoch.
    public static func wallClockMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Sleeps for `ms` milliseconds; returns early (without throwing) if the task is cancelled.
    public static func sleep(ms: Int64) async {
        guard ms > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
    }
}
