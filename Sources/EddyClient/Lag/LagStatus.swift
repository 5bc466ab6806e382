import EddyProtocol

/// Burrow's statuses of a consumer group's partition, from a sliding window of the group's
/// commits on it and its current lag, checked in the order of Burrow's evaluator:
///
/// 1. **OK** when the current lag is 0: a caught-up partition is never in trouble;
/// 2. **STOP** when no commit came for longer than the window spans (now − last commit > last
///    commit − first commit): the consumer stopped committing (even if it was caught up once);
/// 3. **OK** when some commit in the window had lag 0: the rules below are skipped;
/// 4. **REWIND** when the committed offset went backwards between two commits of the window;
/// 5. **STALL** when commits keep coming but the offset does not move (every commit of the
///    window has the same offset): the consumer is stuck;
/// 6. **WARN** when the lag never decreased from one commit to the next: it falls behind;
/// 7. **OK** otherwise.
///
/// With lag, a window of fewer than two commits has no status yet (nil). The order of the cases
/// is severity, as Burrow ranks them: a group's status is its worst partition's.
public enum LagStatus: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case ok = 1
    case warn
    case stop
    case stall
    case rewind

    public var name: String {
        switch self {
        case .ok: "OK"
        case .warn: "WARN"
        case .stop: "STOP"
        case .stall: "STALL"
        case .rewind: "REWIND"
        }
    }

    public var description: String { name }

    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        self = s
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// One commit of a group on a partition: the offset, when it was committed (the broker's
/// commit timestamp from `__consumer_offsets`, or when eddy saw the offset change), and the
/// lag then (high watermark − offset, from the offsets eddy read closest to that moment).
public struct CommitObservation: Sendable, Equatable, Codable {
    public var offset: Int64
    public var timestampMs: Int64
    public var lag: Int64

    public init(offset: Int64, timestampMs: Int64, lag: Int64) {
        self.offset = offset
        self.timestampMs = timestampMs
        self.lag = lag
    }
}

/// The last `capacity` commits of a group on one partition (Burrow's `intervals`, default 10).
/// A commit less than `minDistanceMs` after the one before the newest replaces the newest
/// (Burrow's min-distance), so that a consumer committing many times a second still spans a
/// meaningful window; commits older than the newest are ignored (the log may be read twice
/// after a reconnect).
public struct CommitWindow: Sendable, Equatable {
    public private(set) var commits: [CommitObservation] = []
    public let capacity: Int
    public let minDistanceMs: Int64

    public init(capacity: Int = 10, minDistanceMs: Int64 = 1_000) {
        self.capacity = max(2, capacity)
        self.minDistanceMs = minDistanceMs
    }

    public mutating func record(_ commit: CommitObservation) {
        if let last = commits.last {
            guard commit.timestampMs >= last.timestampMs else { return }
            // The newest entry is always the latest commit; the ones before it are at least
            // minDistanceMs apart.
            if commits.count > 1, commit.timestampMs - commits[commits.count - 2].timestampMs < minDistanceMs {
                commits[commits.count - 1] = commit
                return
            }
        }
        commits.append(commit)
        if commits.count > capacity { commits.removeFirst(commits.count - capacity) }
    }

    /// The partition's status at `nowMs` with the partition's current lag (see `LagStatus`);
    /// nil while there is lag and the window is too short to tell.
    public func status(nowMs: Int64, currentLag: Int64?) -> LagStatus? {
        if let currentLag, currentLag <= 0 { return .ok }
        guard let first = commits.first, let last = commits.last, commits.count >= 2 else { return nil }
        if nowMs - last.timestampMs > last.timestampMs - first.timestampMs { return .stop }
        if commits.contains(where: { $0.lag <= 0 }) { return .ok }
        let pairs = zip(commits, commits.dropFirst())
        if pairs.contains(where: { $1.offset < $0.offset }) { return .rewind }
        if commits.allSatisfy({ $0.offset == first.offset }) { return .stall }
        if pairs.allSatisfy({ $1.lag >= $0.lag }) { return .warn }
        return .ok
    }
}

/// Every group's commit windows, by group and partition: what the statuses are computed from.
/// A value, fed by `CommitTracker` (or by tests) and read by `LagReport`.
public struct CommitHistory: Sendable, Equatable {
    public private(set) var windows: [String: [TopicPartition: CommitWindow]] = [:]
    public let capacity: Int
    public let minDistanceMs: Int64

    public init(capacity: Int = 10, minDistanceMs: Int64 = 1_000) {
        self.capacity = capacity
        self.minDistanceMs = minDistanceMs
    }

    public mutating func record(group: String, _ tp: TopicPartition, _ commit: CommitObservation) {
        windows[group, default: [:]][tp, default: CommitWindow(capacity: capacity, minDistanceMs: minDistanceMs)].record(commit)
    }

    /// Forgets a group's commits on a partition (its offset was deleted) or all of them.
    public mutating func forget(group: String, _ tp: TopicPartition? = nil) {
        if let tp { windows[group]?[tp] = nil } else { windows[group] = nil }
    }

    public func window(group: String, _ tp: TopicPartition) -> CommitWindow? { windows[group]?[tp] }

    /// Forgets every group not in `groups` (they no longer exist).
    public mutating func keep(groups: Set<String>) {
        windows = windows.filter { groups.contains($0.key) }
    }

    public func status(group: String, _ tp: TopicPartition, nowMs: Int64, currentLag: Int64?) -> LagStatus? {
        if let currentLag, currentLag <= 0 { return .ok }
        return windows[group]?[tp]?.status(nowMs: nowMs, currentLag: currentLag)
    }
}
