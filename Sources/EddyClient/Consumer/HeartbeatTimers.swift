/// The three clocks of a group member (Kafka's `Heartbeat`), as a value: times in, decisions
/// out; the coordinator's heartbeat task carries them out.
///
/// - heartbeat timer: the next heartbeat is due `heartbeat.interval.ms` after the last one was
///   sent, or `retry.backoff.ms` after one failed;
/// - session timer: no successful heartbeat response for `session.timeout.ms` means the
///   coordinator has probably evicted this member (the client then looks for the coordinator
///   again);
/// - poll timer: no `poll` for `max.poll.interval.ms` means the application is stuck, and the
///   member leaves the group so its partitions move on.
///
/// All times are monotonic milliseconds.
struct HeartbeatTimers: Equatable {
    let sessionTimeoutMs: Int64
    let heartbeatIntervalMs: Int64
    let maxPollIntervalMs: Int64
    let retryBackoffMs: Int64

    private(set) var nextHeartbeatMs: Int64
    private(set) var lastSessionResetMs: Int64
    private(set) var lastPollMs: Int64
    /// A heartbeat was sent and its response has not arrived.
    private(set) var heartbeatInFlight = false

    init(sessionTimeoutMs: Int64, heartbeatIntervalMs: Int64, maxPollIntervalMs: Int64, retryBackoffMs: Int64, now: Int64) {
        self.sessionTimeoutMs = sessionTimeoutMs
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.maxPollIntervalMs = maxPollIntervalMs
        self.retryBackoffMs = retryBackoffMs
        nextHeartbeatMs = now + heartbeatIntervalMs
        lastSessionResetMs = now
        lastPollMs = now
    }

    /// The application polled.
    mutating func poll(now: Int64) { lastPollMs = now }

    func pollTimeoutExpired(now: Int64) -> Bool { now - lastPollMs > maxPollIntervalMs }

    /// Milliseconds until the poll timer expires (0 if it has).
    func timeToPollTimeout(now: Int64) -> Int64 { max(0, lastPollMs + maxPollIntervalMs + 1 - now) }

    func sessionTimeoutExpired(now: Int64) -> Bool { now - lastSessionResetMs > sessionTimeoutMs }

    /// A heartbeat is due and none is in flight.
    func shouldHeartbeat(now: Int64) -> Bool { !heartbeatInFlight && now >= nextHeartbeatMs }

    /// Milliseconds until the next heartbeat is due (0 if it is).
    func timeToNextHeartbeat(now: Int64) -> Int64 { max(0, nextHeartbeatMs - now) }

    mutating func sentHeartbeat(now: Int64) {
        heartbeatInFlight = true
        nextHeartbeatMs = now + heartbeatIntervalMs
    }

    /// A heartbeat response without error arrived.
    mutating func receivedHeartbeat(now: Int64) {
        heartbeatInFlight = false
        lastSessionResetMs = now
    }

    /// The heartbeat failed (transport, coordinator moved): try again after the backoff.
    mutating func failedHeartbeat(now: Int64) {
        heartbeatInFlight = false
        nextHeartbeatMs = now + retryBackoffMs
    }

    /// A join completed (the coordinator reset this member's session then): start afresh.
    mutating func resetSessionTimeout(now: Int64) {
        lastSessionResetMs = now
        nextHeartbeatMs = now + heartbeatIntervalMs
        heartbeatInFlight = false
    }
}
