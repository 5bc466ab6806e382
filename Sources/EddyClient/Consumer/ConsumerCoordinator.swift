import EddyProtocol
import Foundation

/// A member's place in its group: the generation it joined, the member id the coordinator gave
/// it, and the assignor the group chose (Kafka's `AbstractCoordinator.Generation`).
struct Generation: Equatable, Sendable {
    var generationId: Int32
    var memberId: String
    var protocolName: String?

    /// Not a member of any generation (Kafka's `Generation.NO_GENERATION`).
    static let none = Generation(generationId: JoinGroupRequest.unknownGenerationId, memberId: JoinGroupRequest.unknownMemberId,
                                 protocolName: nil)

    var hasGeneration: Bool { generationId >= 0 }
}

/// Kafka's `AbstractCoordinator.MemberState`.
enum MemberState: Equatable, Sendable {
    /// Not in the group: before the first join, after leaving, after the membership was reset.
    case unjoined
    /// JoinGroup sent, waiting for the rebalance to gather the members.
    case preparingRebalance
    /// JoinGroup answered, SyncGroup sent, waiting for the assignment.
    case completingRebalance
    /// Holding an assignment of the current generation.
    case stable
}

/// How a background join ended; `Consumer.poll` acts on it.
enum JoinOutcome: Sendable {
    /// Joined `generation`; `assignment` is this member's share.
    case joined(generation: Generation, assignment: [TopicPartition])
    /// The coordinator no longer knows this membership (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION):
    /// the generation was reset; owned partitions are lost and the member joins afresh.
    case reset(String)
    /// A fatal error (FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, ...): `poll` throws it.
    case failed(ClientError)
    /// The consumer closed.
    case cancelled
}

/// The group membership client of a consumer (Kafka's `ConsumerCoordinator` over the classic
/// group protocol): finds the group coordinator, joins and syncs in a background task when a
/// rebalance is needed, sends heartbeats from a background task, leaves on close or when the
/// application stops polling for `max.poll.interval.ms`, and commits and fetches offsets.
///
/// It owns only the membership; the assignment itself lives in the consumer's
/// `SubscriptionState`. `Consumer.poll` drives it: it prepares a rebalance (revokes
/// partitions, calls the listener), starts the join, and applies the result. Thread-safe: one
/// lock guards the membership and is never held across an await or while calling the consumer.
final class ConsumerCoordinator: @unchecked Sendable {
    let client: KafkaClient
    let groupId: String
    let groupInstanceId: String?
    let config: ConsumerConfig
    /// Eager or cooperative (`ConsumerConfig.rebalanceProtocol`).
    let rebalanceProtocol: RebalanceProtocol
    private let signal: ConsumerSignal

    private let lock = NSLock()
    private var generation = Generation.none
    private var state = MemberState.unjoined
    private var rejoinNeeded = true
    private var rejoinReason = "the consumer is joining the group"
    /// A rebalance must start with `onJoinPrepare` (revocations, listener) before the join.
    private var needsJoinPrepare = true
    private var joinTask: Task<Void, Never>?
    /// Identifies the current join; a join aborted since it started does not record its outcome.
    private var joinSequence: UInt64 = 0
    private var completedJoin: JoinOutcome?
    private var heartbeatTask: Task<Void, Never>?
    private var timers: HeartbeatTimers
    private var fatalError: ClientError?
    private var isClosed = false
    /// The partition counts the leader assigned from; a change means a new rebalance.
    private var assignmentSnapshot: [String: Int]?
    /// The generation of the last completed join (kept through resets, for the sticky assignor).
    private(set) var lastJoinedGenerationId: Int32 = -1
    /// Test hook: while true, no heartbeats are sent (a hung member whose process still lives).
    var heartbeatsPaused: Bool {
        get { lock.withLock { _heartbeatsPaused } }
        set { lock.withLock { _heartbeatsPaused = newValue } }
    }
    private var _heartbeatsPaused = false

    init(client: KafkaClient, groupId: String, config: ConsumerConfig, rebalanceProtocol: RebalanceProtocol, signal: ConsumerSignal) {
        self.client = client
        self.groupId = groupId
        groupInstanceId = config.groupInstanceId
        self.config = config
        self.rebalanceProtocol = rebalanceProtocol
        self.signal = signal
        timers = HeartbeatTimers(sessionTimeoutMs: Int64(config.sessionTimeoutMs), heartbeatIntervalMs: config.heartbeatIntervalMs,
                                 maxPollIntervalMs: config.maxPollIntervalMs, retryBackoffMs: config.retryBackoffMs,
                                 now: ClientTime.monotonicMs())
    }

    // MARK: State

    var currentGeneration: Generation { lock.withLock { generation } }
    var memberState: MemberState { lock.withLock { state } }
    var closed: Bool { lock.withLock { isClosed } }

    /// The generation when the member is stable in it (commits need one), else nil.
    func generationIfStable() -> Generation? {
        lock.withLock { state == .stable && generation.hasGeneration ? generation : nil }
    }

    /// Whether a rebalance is under way (joined or about to join, not yet stable).
    var rebalanceInProgress: Bool { lock.withLock { state == .preparingRebalance || state == .completingRebalance } }

    /// Kafka's `rejoinNeededOrPending`.
    var rejoinNeededOrPending: Bool { lock.withLock { rejoinNeeded || joinTask != nil || completedJoin != nil } }

    func throwIfFatal() throws(ClientError) {
        if let e = lock.withLock({ fatalError }) { throw e }
    }

    /// The application polled: the poll timer restarts.
    func pollCalled() { lock.withLock { timers.poll(now: ClientTime.monotonicMs()) } }

    /// Asks for a rebalance at the next `poll` (Kafka's `requestRejoin`).
    func requestRejoin(_ reason: String) {
        lock.withLock {
            rejoinNeeded = true
            rejoinReason = reason
        }
        signal.notify()
    }

    /// Forgets the generation (and the member id when `resetMemberId`), as after an
    /// UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION: the next rebalance treats owned partitions as
    /// lost and joins afresh (Kafka's `resetStateAndRejoin`).
    func resetGeneration(_ reason: String, resetMemberId: Bool = true) {
        lock.withLock { resetGenerationLocked(reason, resetMemberId: resetMemberId) }
        signal.notify()
    }

    private func resetGenerationLocked(_ reason: String, resetMemberId: Bool) {
        generation = resetMemberId ? .none
            : Generation(generationId: JoinGroupRequest.unknownGenerationId, memberId: generation.memberId, protocolName: nil)
        state = .unjoined
        rejoinNeeded = true
        rejoinReason = reason
        needsJoinPrepare = true
    }

    /// When a rebalance should start with `onJoinPrepare`: nil if not (no rebalance needed, or
    /// it was prepared already). `generationLost` tells whether the membership was lost
    /// (revoke as lost) rather than merely rebalancing.
    func joinPrepareNeeded() -> (generationLost: Bool, reason: String)? {
        lock.withLock {
            guard rejoinNeeded, joinTask == nil, completedJoin == nil, needsJoinPrepare, !isClosed else { return nil }
            return (!generation.hasGeneration, rejoinReason)
        }
    }

    func joinPrepared() { lock.withLock { needsJoinPrepare = false } }

    /// The completed join, if one finished since the last call.
    func takeCompletedJoin() -> JoinOutcome? {
        lock.withLock {
            defer { completedJoin = nil }
            return completedJoin
        }
    }

    /// After `poll` applied a join: the next rebalance needs preparing again.
    func joinApplied() { lock.withLock { needsJoinPrepare = true } }

    /// The leader remembers the partition counts it assigned from; `metadataChanged` compares.
    func partitionCountsChanged(_ counts: [String: Int]) -> Bool {
        lock.withLock {
            guard let snapshot = assignmentSnapshot, state == .stable else { return false }
            return snapshot.contains { counts[$0.key] != nil && counts[$0.key] != $0.value }
        }
    }

    // MARK: Background tasks

    /// Starts the heartbeat task (idempotent).
    func start() {
        lock.withLock {
            guard heartbeatTask == nil, !isClosed else { return }
            heartbeatTask = Task { [weak self] in await self?.heartbeatLoop() }
        }
    }

    /// Starts a join with `protocols` (each assignor's subscription metadata) unless one is
    /// running or none is needed.
    func startJoinIfNeeded(protocols: @Sendable () -> [JoinGroupRequest.JoinGroupRequestProtocol]) {
        let start: Bool = lock.withLock {
            guard rejoinNeeded, joinTask == nil, completedJoin == nil, !needsJoinPrepare, !isClosed, fatalError == nil else { return false }
            rejoinNeeded = false
            return true
        }
        guard start else { return }
        let protocols = protocols()
        let (reason, sequence) = lock.withLock { () -> (String, UInt64) in
            joinSequence &+= 1
            return (rejoinReason, joinSequence)
        }
        let task = Task { [weak self] in
            guard let self else { return }
            let outcome = await self.join(protocols: protocols, reason: reason)
            let recorded: Bool = self.lock.withLock {
                guard self.joinSequence == sequence else { return false }
                self.joinTask = nil
                if case let .failed(e) = outcome { self.fatalError = e }
                self.completedJoin = outcome
                return true
            }
            if recorded { self.signal.notify() }
        }
        lock.withLock {
            // The task may already have finished (and recorded its outcome) on another thread.
            if joinSequence == sequence, completedJoin == nil, !isClosed { joinTask = task }
        }
    }

    /// Abandons a join in progress (unsubscribe, close): its outcome is ignored.
    func abortJoin() {
        let task: Task<Void, Never>? = lock.withLock {
            joinSequence &+= 1
            defer { joinTask = nil; completedJoin = nil }
            return joinTask
        }
        task?.cancel()
    }

    /// Stops the background tasks; no request is sent.
    func close() {
        let tasks: [Task<Void, Never>] = lock.withLock {
            isClosed = true
            defer { heartbeatTask = nil; joinTask = nil }
            return [heartbeatTask, joinTask].compactMap { $0 }
        }
        for t in tasks { t.cancel() }
        signal.notify()
    }

    // MARK: Join and sync

    /// One rebalance from this member's side: JoinGroup (retrying MEMBER_ID_REQUIRED,
    /// coordinator moves and loads), the assignment if it leads, SyncGroup.
    private func join(protocols: [JoinGroupRequest.JoinGroupRequestProtocol], reason: String) async -> JoinOutcome {
        let joinTimeoutMs = max(config.requestTimeoutMs, config.maxPollIntervalMs + 5_000)
        while true {
            if Task.isCancelled || closed { return .cancelled }
            let node: Int32
            do {
                node = try await client.coordinator(forGroup: groupId, timeoutMs: config.requestTimeoutMs)
            } catch {
                if !error.isRetriable { return .failed(error) }
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            }
            let memberId: String = lock.withLock {
                state = .preparingRebalance
                return generation.memberId
            }
            let request = JoinGroupRequest(groupId: groupId, sessionTimeoutMs: config.sessionTimeoutMs,
                                           rebalanceTimeoutMs: Int32(clamping: config.maxPollIntervalMs), memberId: memberId,
                                           groupInstanceId: groupInstanceId, protocolType: ConsumerProtocol.protocolType,
                                           protocols: protocols, reason: reason)
            let response: JoinGroupResponse
            do {
                guard case let .joinGroup(r) = try await client.send(.joinGroup(request), to: node, timeoutMs: joinTimeoutMs) else {
                    return .failed(.broker(.unknownServerError, message: "expected a JoinGroup response"))
                }
                response = r
            } catch {
                client.coordinatorFailed(forGroup: groupId)
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            }
            switch response.errorCode {
            case .none:
                break
            case .memberIdRequired:
                // KIP-394: the first join only fetches a member id; join again with it at once.
                lock.withLock { generation = Generation(generationId: -1, memberId: response.memberId, protocolName: nil) }
                continue
            case .unknownMemberId, .illegalGeneration:
                lock.withLock { resetGenerationLocked("JoinGroup answered \(response.errorCode.name)", resetMemberId: true) }
                return .reset("JoinGroup answered \(response.errorCode.name)")
            case .coordinatorNotAvailable, .notCoordinator:
                client.coordinatorFailed(forGroup: groupId)
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            case .coordinatorLoadInProgress, .rebalanceInProgress, .requestTimedOut:
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            default:
                lock.withLock { state = .unjoined }
                return .failed(.broker(response.errorCode, message: "JoinGroup of group \(groupId) failed"))
            }
            let joined = Generation(generationId: response.generationId, memberId: response.memberId, protocolName: response.protocolName)
            lock.withLock {
                generation = joined
                state = .completingRebalance
                timers.resetSessionTimeout(now: ClientTime.monotonicMs())
            }
            var assignments: [SyncGroupRequest.SyncGroupRequestAssignment] = []
            if response.isLeader, !response.skipAssignment {
                do {
                    assignments = try await assign(protocolName: response.protocolName ?? "", members: response.members)
                } catch {
                    // No metadata for now: join again (a new round) after the backoff.
                    if error.isRetriable {
                        await ClientTime.sleep(ms: config.retryBackoffMs)
                        continue
                    }
                    lock.withLock { state = .unjoined }
                    return .failed(error)
                }
            }
            let sync = SyncGroupRequest(groupId: groupId, generationId: joined.generationId, memberId: joined.memberId,
                                        groupInstanceId: groupInstanceId, protocolType: ConsumerProtocol.protocolType,
                                        protocolName: joined.protocolName, assignments: assignments)
            let syncResponse: SyncGroupResponse
            do {
                guard case let .syncGroup(r) = try await client.send(.syncGroup(sync), to: node, timeoutMs: joinTimeoutMs) else {
                    return .failed(.broker(.unknownServerError, message: "expected a SyncGroup response"))
                }
                syncResponse = r
            } catch {
                client.coordinatorFailed(forGroup: groupId)
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            }
            switch syncResponse.errorCode {
            case .none:
                let assignment: ConsumerProtocol.AssignmentData
                do { assignment = try ConsumerProtocol.decodeAssignment(syncResponse.assignment) } catch {
                    return .failed(error)
                }
                let stillCurrent: Bool = lock.withLock {
                    guard generation == joined, !isClosed else { return false }
                    state = .stable
                    lastJoinedGenerationId = joined.generationId
                    timers.resetSessionTimeout(now: ClientTime.monotonicMs())
                    return true
                }
                guard stillCurrent else { return .cancelled }
                return .joined(generation: joined, assignment: assignment.partitions)
            case .rebalanceInProgress:
                // Another member joined meanwhile: join the new round with the same membership.
                continue
            case .unknownMemberId, .illegalGeneration:
                lock.withLock { resetGenerationLocked("SyncGroup answered \(syncResponse.errorCode.name)", resetMemberId: true) }
                return .reset("SyncGroup answered \(syncResponse.errorCode.name)")
            case .coordinatorNotAvailable, .notCoordinator:
                client.coordinatorFailed(forGroup: groupId)
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            case .coordinatorLoadInProgress, .requestTimedOut:
                await ClientTime.sleep(ms: config.retryBackoffMs)
                continue
            default:
                lock.withLock { state = .unjoined }
                return .failed(.broker(syncResponse.errorCode, message: "SyncGroup of group \(groupId) failed"))
            }
        }
    }

    /// The leader's part: every member's subscription, the partition counts of all their topics,
    /// and the assignor the coordinator chose (Kafka's `ConsumerCoordinator.onLeaderElected`).
    private func assign(protocolName: String, members: [JoinGroupResponse.JoinGroupResponseMember]) async throws(ClientError)
        -> [SyncGroupRequest.SyncGroupRequestAssignment] {
        guard config.partitionAssignmentStrategy.contains(protocolName), let assignor = PartitionAssignors.named(protocolName) else {
            throw .illegalState("the coordinator chose assignor \(protocolName), which this consumer does not support")
        }
        var subscriptions: [String: Subscription] = [:]
        for m in members {
            subscriptions[m.memberId] = try ConsumerProtocol.decodeSubscription(m.metadata).subscription(groupInstanceId: m.groupInstanceId)
        }
        let topics = Set(subscriptions.values.flatMap(\.topics)).sorted()
        let metadata = try await client.refreshMetadata(topics: topics)
        var partitionsPerTopic: [String: Int] = [:]
        for t in topics { if let tm = metadata.topics[t] { partitionsPerTopic[t] = tm.partitions.count } }
        let assignment: [String: [TopicPartition]]
        if rebalanceProtocol == .cooperative, let cooperative = assignor as? CooperativeStickyAssignor {
            assignment = cooperative.assignWithRevocations(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions).assignment
        } else {
            assignment = assignor.assign(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
        }
        lock.withLock { assignmentSnapshot = partitionsPerTopic }
        return members.map { m in
            .init(memberId: m.memberId, assignment: ConsumerProtocol.encode(ConsumerProtocol.AssignmentData(partitions: assignment[m.memberId] ?? [])))
        }
    }

    // MARK: Heartbeats

    private enum HeartbeatStep {
        case stop
        case sleep(Int64)
        case send(Generation)
        case leave(Generation)
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            switch nextHeartbeatStep(now: ClientTime.monotonicMs()) {
            case .stop:
                return
            case let .sleep(ms):
                await ClientTime.sleep(ms: max(1, ms))
            case let .leave(g):
                await sendLeaveGroup(g, reason: "consumer poll timeout has expired: the time between polls exceeded max.poll.interval.ms (\(config.maxPollIntervalMs))")
                signal.notify()
            case let .send(g):
                await sendHeartbeat(g)
            }
        }
    }

    /// Kafka's `HeartbeatThread.run`, one step: nothing to do outside a generation; leave when
    /// the poll timer expired; look for the coordinator again when the session timer did.
    private func nextHeartbeatStep(now: Int64) -> HeartbeatStep {
        lock.withLock {
            guard !isClosed else { return .stop }
            let idle = max(1, min(config.heartbeatIntervalMs, config.retryBackoffMs))
            guard generation.hasGeneration, state == .stable || state == .completingRebalance else { return .sleep(idle) }
            if timers.pollTimeoutExpired(now: now) {
                let leaving = generation
                resetGenerationLocked("consumer poll timeout has expired", resetMemberId: true)
                return .leave(leaving)
            }
            if _heartbeatsPaused { return .sleep(idle) }
            if timers.sessionTimeoutExpired(now: now) {
                // Kafka's markCoordinatorUnknown("session timed out without receiving a heartbeat response").
                // The next heartbeat looks the coordinator up again.
                client.coordinatorFailed(forGroup: groupId)
            }
            guard timers.shouldHeartbeat(now: now) else {
                return .sleep(min(timers.timeToNextHeartbeat(now: now), timers.timeToPollTimeout(now: now)))
            }
            timers.sentHeartbeat(now: now)
            return .send(generation)
        }
    }

    private func sendHeartbeat(_ g: Generation) async {
        let response: HeartbeatResponse
        do {
            let node = try await client.coordinator(forGroup: groupId, timeoutMs: config.requestTimeoutMs)
            let request = HeartbeatRequest(groupId: groupId, generationId: g.generationId, memberId: g.memberId, groupInstanceId: groupInstanceId)
            guard case let .heartbeat(r) = try await client.send(.heartbeat(request), to: node) else {
                lock.withLock { timers.failedHeartbeat(now: ClientTime.monotonicMs()) }
                return
            }
            response = r
        } catch {
            client.coordinatorFailed(forGroup: groupId)
            lock.withLock { timers.failedHeartbeat(now: ClientTime.monotonicMs()) }
            return
        }
        let now = ClientTime.monotonicMs()
        var wake = false
        lock.withLock {
            switch response.errorCode {
            case .none:
                timers.receivedHeartbeat(now: now)
            case .rebalanceInProgress:
                // The coordinator waits for this member to rejoin (during a sync it is our own rebalance).
                timers.receivedHeartbeat(now: now)
                if state == .stable, generation == g {
                    rejoinNeeded = true
                    rejoinReason = "the group is rebalancing (heartbeat answered REBALANCE_IN_PROGRESS)"
                    wake = true
                }
            case .illegalGeneration, .unknownMemberId:
                timers.failedHeartbeat(now: now)
                if generation == g, state == .stable {
                    resetGenerationLocked("heartbeat answered \(response.errorCode.name)", resetMemberId: true)
                    wake = true
                }
            case .fencedInstanceId:
                timers.failedHeartbeat(now: now)
                if generation == g {
                    fatalError = .broker(.fencedInstanceId, message: "another consumer with group.instance.id \(groupInstanceId ?? "") joined group \(groupId)")
                    resetGenerationLocked("fenced", resetMemberId: true)
                    wake = true
                }
            case .coordinatorNotAvailable, .notCoordinator:
                client.coordinatorFailed(forGroup: groupId)
                timers.failedHeartbeat(now: now)
            default:
                timers.failedHeartbeat(now: now)
            }
        }
        if wake { signal.notify() }
    }

    // MARK: Leaving

    /// Leaves the group (LeaveGroup) unless this is a static member, and forgets the generation
    /// (Kafka's `maybeLeaveGroup`). Errors are ignored: the session timeout removes the member
    /// anyway.
    func leaveGroup(reason: String) async {
        let leaving: Generation = lock.withLock {
            let g = generation
            resetGenerationLocked(reason, resetMemberId: true)
            return g
        }
        await sendLeaveGroup(leaving, reason: reason)
    }

    private func sendLeaveGroup(_ g: Generation, reason: String) async {
        // Static members never leave by request (KIP-345): their session timeout decides.
        guard groupInstanceId == nil, !g.memberId.isEmpty else { return }
        guard let node = try? await client.coordinator(forGroup: groupId, timeoutMs: config.requestTimeoutMs) else { return }
        _ = try? await client.send(.leaveGroup(LeaveGroupRequest(groupId: groupId, member: g.memberId, reason: reason)), to: node)
    }
}
