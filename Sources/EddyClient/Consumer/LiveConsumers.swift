import EddyProtocol
import Foundation

/// What one open consumer of this process is doing right now: its group membership, its
/// assignment and its positions (the offset of the next record it will return for each
/// assigned partition that has one). The monitoring API shows the position next to the
/// committed offset, which may lag it by up to auto.commit.interval.ms (or forever, without
/// commits).
public struct LiveConsumerState: Sendable, Equatable {
    /// Nil for a consumer without `group.id`.
    public var groupId: String?
    /// The member id the coordinator gave; empty outside a group or before the first join.
    public var memberId: String
    public var clientId: String
    public var groupInstanceId: String?
    /// The assigned partitions, in assignment order.
    public var assignment: [TopicPartition]
    /// Partitions whose position is not known yet (just assigned) are absent.
    public var positions: [TopicPartition: Int64]
    /// Wall-clock time (ms since the epoch) of the last `poll`, 0 before the first.
    public var lastPollMs: Int64

    public init(groupId: String?, memberId: String, clientId: String, groupInstanceId: String?,
                assignment: [TopicPartition], positions: [TopicPartition: Int64], lastPollMs: Int64) {
        self.groupId = groupId
        self.memberId = memberId
        self.clientId = clientId
        self.groupInstanceId = groupInstanceId
        self.assignment = assignment
        self.positions = positions
        self.lastPollMs = lastPollMs
    }
}

/// Something registered in `LiveConsumers`: a consumer that reports its state on request.
protocol LiveConsumerSource: AnyObject, Sendable {
    func liveState() -> LiveConsumerState
}

/// The process-wide registry of open consumers, which the monitoring API reads the consumers'
/// positions from (the third of the "four positions": log-end offset, high watermark, position,
/// committed offset). A consumer registers when it is created and unregisters on close; the
/// registry asks each for its state when a snapshot is taken, so positions are current to the
/// last `poll`/`seek` without any cost on the consumer's path. A consumer dropped without
/// `close` disappears from snapshots once it is deallocated.
///
/// Thread-safe.
public final class LiveConsumers: @unchecked Sendable {
    public static let shared = LiveConsumers()

    private let lock = NSLock()
    private var sources: [ObjectIdentifier: WeakSource] = [:]

    public init() {}

    /// The current state of every open consumer of `groupId`; of every open consumer when nil.
    /// Ordered by group, then member id, then client id.
    public func snapshot(groupId: String?) -> [LiveConsumerState] {
        let live = lock.withLock { () -> [any LiveConsumerSource] in
            sources = sources.filter { $0.value.source != nil }
            return sources.values.compactMap(\.source)
        }
        // Ask outside the registry lock: each consumer takes its own.
        return live.map { $0.liveState() }
            .filter { groupId == nil || $0.groupId == groupId }
            .sorted { ($0.groupId ?? "", $0.memberId, $0.clientId) < ($1.groupId ?? "", $1.memberId, $1.clientId) }
    }

    func register(_ source: any LiveConsumerSource) {
        lock.withLock { sources[ObjectIdentifier(source)] = WeakSource(source) }
    }

    func unregister(_ source: any LiveConsumerSource) {
        _ = lock.withLock { sources.removeValue(forKey: ObjectIdentifier(source)) }
    }

    private struct WeakSource {
        weak var source: (any LiveConsumerSource)?
        init(_ s: any LiveConsumerSource) { source = s }
    }
}
