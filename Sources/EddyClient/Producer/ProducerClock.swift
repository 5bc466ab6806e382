#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The record timestamp (ms since the Unix epoch, as `ClientTime.wallClockMs`) with one
/// clock_gettime(2) and no Foundation: `send` takes it for every record without a timestamp.
enum ProducerClock {
    static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
