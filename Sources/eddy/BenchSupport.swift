#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic nanoseconds, for benchmarks.
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// This process's resource usage so far (getrusage).
private func processUsage() -> rusage {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return usage
}

/// User plus system CPU time of this process so far, in seconds (getrusage).
func processCpuSeconds() -> Double {
    let usage = processUsage()
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Context switches of this process so far, voluntary and not (getrusage).
func processContextSwitches() -> Int {
    let usage = processUsage()
    return usage.ru_nvcsw + usage.ru_nivcsw
}

/// Latency samples in nanoseconds, summarized as percentiles.
struct LatencySamples {
    private(set) var nanos: [UInt64] = []

    init(capacity: Int) { nanos.reserveCapacity(capacity) }

    mutating func add(_ ns: UInt64) { nanos.append(ns) }

    /// The value at percentile `p` (0...100) by nearest rank, 0 when empty.
    func percentile(_ p: Double) -> UInt64 {
        guard !nanos.isEmpty else { return 0 }
        let sorted = nanos.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// Human formatting for benchmark lines.
enum BenchFormat {
    /// 1234567.8 → "1,234,568".
    static func grouped(_ value: Double) -> String {
        let n = Int64(value.rounded())
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0 ..< decimals { scale *= 10 }
        let n = Int64((value * scale).rounded())
        guard decimals > 0 else { return String(n) }
        let sign = n < 0 ? "-" : ""
        let m = n.magnitude
        let frac = String(m % UInt64(scale))
        return sign + String(m / UInt64(scale)) + "." + String(repeating: "0", count: decimals - frac.count) + frac
    }

    /// Nanoseconds as microseconds with one decimal.
    static func micros(_ ns: UInt64) -> String { fixed(Double(ns) / 1000, 1) + " µs" }

    /// Bytes per second in MB/s (1 MB = 10^6 bytes).
    static func mbPerSecond(bytes: Int, nanos: UInt64) -> String {
        fixed(Double(bytes) / (Double(nanos) / 1e9) / 1e6, 1) + " MB/s"
    }
}
