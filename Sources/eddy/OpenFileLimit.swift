#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The open-file limit (RLIMIT_NOFILE) of a process serving a cluster. A broker holds one
/// descriptor per log segment, plus one per connection; running out fails new segments and
/// connections, and the runtime's thread pool cannot even look at its own threads then. So
/// `eddy serve` and `eddy demo` raise the soft limit to the hard one (as the JVM does for
/// Kafka's brokers) and warn, once the cluster is open, when half the limit is already used.
enum OpenFileLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit in force after.
    @discardableResult
    static func raise() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// Descriptors open in this process now (Linux: /proc/self/fd); nil where unknown.
    static func openDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map(\.count)
    }

    /// The warning for `open` descriptors of `limit`, or nil below half of it.
    static func warning(open: Int, limit: UInt64) -> String? {
        guard limit > 0, UInt64(open) * 2 >= limit else { return nil }
        return "eddy: warning: \(open) of the \(limit) file descriptors this process may open are in use already "
            + "(one per log segment, one per connection); raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit) "
            + "before more partitions, segments or clients need them"
    }

    /// Prints `warning` for this process now, if any.
    static func warnIfNearLimit() {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, let open = openDescriptors(),
              let text = warning(open: open, limit: UInt64(limit.rlim_cur)) else { return }
        printNotice(text)
    }

    #if canImport(Glibc)
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    #endif
}
