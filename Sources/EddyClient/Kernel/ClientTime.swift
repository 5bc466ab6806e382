import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time as clients use it. Deadlines and timeouts (linger.ms, request.timeout.ms,
/// delivery.timeout.ms, heartbeats, poll timeouts) run on the monotonic clock; record and
/// offset-commit timestamps are wall-clock milliseconds since the Unix epoch, as in Kafka.
public enum ClientTime {
    /// Milliseconds on a clock that never goes backwards (not related to the wall clock).
    public static func monotonicMs() -> Int64 {
        Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
    }

    /// Milliseconds since the Unix epoch, with one clock_gettime(2): the producer takes it for
    /// every record sent without a timestamp.
    public static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Sleeps for `ms` milliseconds; returns early (without throwing) if the task is cancelled.
    public static func sleep(ms: Int64) async {
        guard ms > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
    }
}
