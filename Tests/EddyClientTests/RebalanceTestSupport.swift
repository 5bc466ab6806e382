import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

/// Who owns which partition right now, across all members of a test group, fed by their
/// rebalance listeners: a partition assigned to one member while another still owns it is a
/// violation (two members consuming one partition at once).
final class OwnershipTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var owner: [TopicPartition: String] = [:]
    private var _violations: [String] = []
    /// (generation, member, assignment) after every completed rebalance of every member.
    private var _generations: [(generation: Int32, member: String, assignment: Set<TopicPartition>)] = []

    var violations: [String] { lock.withLock { _violations } }

    func assigned(_ member: String, _ partitions: [TopicPartition]) {
        lock.withLock {
            for tp in partitions {
                if let other = owner[tp], other != member {
                    _violations.append("\(tp) assigned to \(member) while \(other) owns it")
                }
                owner[tp] = member
            }
        }
    }

    func released(_ member: String, _ partitions: [TopicPartition]) {
        lock.withLock {
            for tp in partitions where owner[tp] == member { owner[tp] = nil }
        }
    }

    func recordGeneration(_ generation: Int32, member: String, assignment: Set<TopicPartition>) {
        lock.withLock { _generations.append((generation, member, assignment)) }
    }

    /// Violations of "no partition owned twice in one generation", from the recorded generations.
    func generationOverlaps() -> [String] {
        lock.withLock {
            var latest: [Int32: [String: Set<TopicPartition>]] = [:]
            for g in _generations { latest[g.generation, default: [:]][g.member] = g.assignment }
            var problems: [String] = []
            for (generation, members) in latest {
                var seen: [TopicPartition: String] = [:]
                for (member, assignment) in members {
                    for tp in assignment {
                        if let other = seen[tp] { problems.append("generation \(generation): \(tp) owned by \(other) and \(member)") }
                        seen[tp] = member
                    }
                }
            }
            return problems
        }
    }
}

/// A group member polling in a background task, as an application's poll loop does; its
/// listener feeds an `OwnershipTracker`.
final class MemberRunner: ConsumerRebalanceListener, @unchecked Sendable {
    let name: String
    let consumer: Consumer
    let tracker: OwnershipTracker
    let events = RecordingListener()
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var _records: [ConsumerRecord] = []
    private var _error: ClientError?
    private var _paused = false

    init(name: String, consumer: Consumer, tracker: OwnershipTracker) {
        self.name = name
        self.consumer = consumer
        self.tracker = tracker
    }

    var records: [ConsumerRecord] { lock.withLock { _records } }
    var error: ClientError? { lock.withLock { _error } }

    /// Subscribes and starts polling.
    func start(topics: [String]) async throws {
        try await consumer.subscribe(topics: topics, listener: self)
        startPolling()
    }

    func startPolling() {
        lock.withLock {
            _paused = false
            guard task == nil else { return }
            task = Task { [self] in
                while !Task.isCancelled {
                    if lock.withLock({ _paused }) {
                        await ClientTime.sleep(ms: 5)
                        continue
                    }
                    do throws(ClientError) {
                        let r = try await consumer.poll(timeoutMs: 20)
                        lock.withLock { _records += r }
                    } catch {
                        lock.withLock { _error = error }
                        if case .closed = error { return }
                        await ClientTime.sleep(ms: 10)
                    }
                }
            }
        }
    }

    /// The application stops calling poll (a slow or stuck member) until `startPolling`.
    func pausePolling() { lock.withLock { _paused = true } }

    /// Stops the poll loop and waits for it.
    func stop() async {
        let t = lock.withLock { () -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        t?.cancel()
        await t?.value
    }

    func close() async {
        await stop()
        await consumer.close()
    }

    /// Crashes: polling stops, nothing is committed, no LeaveGroup.
    func crash() async {
        await stop()
        consumer.simulateCrash()
    }

    var memberId: String { consumer.groupMetadata()?.memberId ?? "" }
    var generationId: Int32 { consumer.groupMetadata()?.generationId ?? -1 }

    /// Stable in a generation with nothing pending.
    var isStable: Bool {
        guard let c = consumer.coordinator else { return false }
        return c.memberState == .stable && !c.rejoinNeededOrPending
    }

    func onPartitionsRevoked(_ partitions: [TopicPartition]) async {
        tracker.released(name, partitions)
        await events.onPartitionsRevoked(partitions)
    }

    func onPartitionsAssigned(_ partitions: [TopicPartition]) async {
        tracker.assigned(name, partitions)
        if let m = consumer.groupMetadata() {
            tracker.recordGeneration(m.generationId, member: name, assignment: consumer.assignment())
        }
        await events.onPartitionsAssigned(partitions)
    }

    func onPartitionsLost(_ partitions: [TopicPartition]) async {
        tracker.released(name, partitions)
        await events.onPartitionsLost(partitions)
    }
}

/// Whether `members` form a settled group over `partitions`: all stable in one generation,
/// the assignments disjoint and covering every partition.
func settled(_ members: [MemberRunner], _ partitions: Set<TopicPartition>) -> Bool {
    guard !members.isEmpty, members.allSatisfy(\.isStable) else { return false }
    guard Set(members.map(\.generationId)).count == 1 else { return false }
    let assignments = members.map { $0.consumer.assignment() }
    let union = assignments.reduce(into: Set<TopicPartition>()) { $0.formUnion($1) }
    return union == partitions && assignments.map(\.count).reduce(0, +) == partitions.count
}

func waitSettled(_ members: [MemberRunner], _ partitions: Set<TopicPartition>, seconds: Double = 60,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await waitUntil("\(members.count) members settle over \(partitions.count) partitions", seconds: seconds,
                  sourceLocation: sourceLocation) { settled(members, partitions) }
}
