@testable import EddyBroker
import EddyProtocol

/// Drives a `GroupCoordinator` like a broker would: collects delayed responses and appended
/// records, and advances injected time through `expireTimers`.
struct GroupHarness {
    typealias JoinResult = GroupCoordinator.JoinResult
    typealias SyncResult = GroupCoordinator.SyncResult

    var coordinator: GroupCoordinator
    var now: Int64 = 0
    var joins: [GroupRequestToken: JoinResult] = [:]
    var syncs: [GroupRequestToken: SyncResult] = [:]
    var records: [GroupCoordinator.StoredRecord] = []
    var timers: [(GroupTimer, Int64)] = []
    private var nextToken: GroupRequestToken = 1
    let groupId: String

    init(groupId: String = "g", initialDelayMs: Int32 = 0, seed: UInt64 = 7) {
        var config = GroupCoordinatorConfig()
        config.groupInitialRebalanceDelayMs = initialDelayMs
        coordinator = GroupCoordinator(config: config, seed: seed)
        self.groupId = groupId
    }

    var group: ClassicGroup? { coordinator.groups[groupId] }
    var state: GroupState? { group?.state }

    mutating func apply(_ actions: [GroupAction]) {
        for action in actions {
            switch action {
            case .joinResponse(let t, let r): joins[t] = r
            case .syncResponse(let t, let r): syncs[t] = r
            case .scheduleTimer(let timer, let at): timers.append((timer, at))
            case .appendRecord(_, let key, let value): records.append(.init(key: key, value: value))
            case .appendTransactionalRecord(_, let producerId, _, let key, let value):
                records.append(.init(key: key, value: value, transaction: .record(producerId: producerId)))
            }
        }
    }

    static func protocols(_ names: [String] = ["range"], tag: UInt8 = 0) -> [GroupProtocol] {
        names.map { GroupProtocol(name: $0, metadata: Array($0.utf8) + [tag]) }
    }

    func request(memberId: String = "", instance: String? = nil, clientId: String = "c",
                 session: Int32 = 10_000, rebalance: Int32 = 5_000,
                 protocols: [GroupProtocol] = GroupHarness.protocols(), type: String = "consumer") -> GroupCoordinator.JoinGroup {
        GroupCoordinator.JoinGroup(groupId: groupId, memberId: memberId, groupInstanceId: instance, clientId: clientId,
                                   sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance,
                                   protocolType: type, protocols: protocols)
    }

    /// Sends a JoinGroup; returns its token (the response, if any, is in `joins`).
    @discardableResult
    mutating func join(_ r: GroupCoordinator.JoinGroup) -> GroupRequestToken {
        let t = nextToken
        nextToken += 1
        apply(coordinator.joinGroup(r, token: t, now: now))
        return t
    }

    /// A new dynamic member: MEMBER_ID_REQUIRED, then the rejoin with its id. Returns (memberId, token of the second join).
    mutating func joinNew(clientId: String = "c", session: Int32 = 10_000, rebalance: Int32 = 5_000,
                          protocols: [GroupProtocol] = GroupHarness.protocols()) -> (String, GroupRequestToken) {
        let first = join(request(clientId: clientId, session: session, rebalance: rebalance, protocols: protocols))
        let r = joins[first]!
        precondition(r.error == .memberIdRequired, "expected MEMBER_ID_REQUIRED, got \(r.error)")
        let t = join(request(memberId: r.memberId, clientId: clientId, session: session, rebalance: rebalance, protocols: protocols))
        return (r.memberId, t)
    }

    @discardableResult
    mutating func sync(_ memberId: String, generation: Int32, assignments: [String: [UInt8]] = [:], instance: String? = nil) -> GroupRequestToken {
        let t = nextToken
        nextToken += 1
        apply(coordinator.syncGroup(.init(groupId: groupId, generationId: generation, memberId: memberId, groupInstanceId: instance,
                                          assignments: assignments), token: t, now: now))
        return t
    }

    mutating func heartbeat(_ memberId: String, generation: Int32, instance: String? = nil) -> ErrorCode {
        let o = coordinator.heartbeat(groupId: groupId, member: .init(memberId: memberId, groupInstanceId: instance),
                                      generationId: generation, now: now)
        apply(o.actions)
        return o.response
    }

    mutating func leave(_ memberId: String, instance: String? = nil) -> ErrorCode {
        let o = coordinator.leaveGroup(groupId: groupId, members: [.init(memberId: memberId, groupInstanceId: instance)], now: now)
        apply(o.actions)
        return o.response.members.first?.1 ?? o.response.error
    }

    mutating func commit(_ memberId: String, generation: Int32, _ offsets: [TopicPartition: Int64]) -> [TopicPartition: ErrorCode] {
        let o = coordinator.commitOffsets(groupId: groupId, generationId: generation, member: .init(memberId: memberId),
                                          offsets: offsets.mapValues { .init(offset: $0, metadata: "m\($0)") }, now: now)
        apply(o.actions)
        return o.response
    }

    /// A commit outside group management (generation -1, no member).
    mutating func commit(_ offsets: [TopicPartition: Int64]) -> [TopicPartition: ErrorCode] {
        commit("", generation: -1, offsets)
    }

    mutating func advance(to t: Int64) {
        precondition(t >= now)
        now = t
        apply(coordinator.expireTimers(now: t))
    }

    /// Assignment bytes a leader hands a member: the member id's bytes.
    static func assignment(for memberId: String) -> [UInt8] { Array("assigned:\(memberId)".utf8) }

    /// Forms a Stable group of `n` dynamic members through the initial rebalance delay.
    /// Returns the member ids in join order and the generation.
    mutating func formStableGroup(_ n: Int) -> (members: [String], generation: Int32) {
        var ids: [String] = []
        var tokens: [GroupRequestToken] = []
        for i in 0..<n {
            let (id, t) = joinNew(clientId: "client-\(i)")
            ids.append(id)
            tokens.append(t)
        }
        advance(to: now + Int64(coordinator.config.groupInitialRebalanceDelayMs))
        advance(to: now + Int64(coordinator.config.groupInitialRebalanceDelayMs))
        let results = tokens.map { joins[$0]! }
        let generation = results[0].generationId
        let leader = results[0].leaderId
        var leaderToken: GroupRequestToken?
        for (id, r) in zip(ids, results) where id != leader { sync(id, generation: r.generationId) }
        leaderToken = sync(leader, generation: generation,
                           assignments: Dictionary(uniqueKeysWithValues: ids.map { ($0, GroupHarness.assignment(for: $0)) }))
        _ = leaderToken
        return (ids, generation)
    }
}
