import EddyProtocol

/// One classic-protocol group and its committed offsets (Kafka's `GroupMetadata`).
///
/// Invariants (checked by `checkInvariants()` in debug builds):
/// - `memberOrder` lists exactly the keys of `members`, in join order; the leader is a member;
/// - `staticMembers` maps each static member's `group.instance.id` to its current member id;
/// - an Empty or Dead group has no members.
public struct ClassicGroup: Equatable, Sendable {
    public let groupId: String
    public internal(set) var state: GroupState = .empty
    public internal(set) var currentStateTimestampMs: Int64
    /// Bumped on every completed join phase; 0 for a group that never rebalanced.
    public internal(set) var generationId: Int32 = 0
    public internal(set) var protocolType: String?
    /// The selected protocol (assignor) of the current generation.
    public internal(set) var protocolName: String?
    public internal(set) var leaderId: String?
    public internal(set) var members: [String: GroupMember] = [:]
    public internal(set) var memberOrder: [String] = []
    /// group.instance.id -> member id.
    public internal(set) var staticMembers: [String: String] = [:]
    /// Member ids handed out with MEMBER_ID_REQUIRED, and when they expire if not used.
    public internal(set) var pendingMembers: [String: Int64] = [:]
    /// Members that still owe a SyncGroup in CompletingRebalance.
    public internal(set) var pendingSync: Set<String> = []
    public internal(set) var joinDeadlineMs: Int64?
    public internal(set) var syncDeadlineMs: Int64?
    /// While the initial rebalance delay runs: how much of the rebalance timeout is left to extend it.
    var initialDelayRemainingMs: Int64?
    var newMemberAdded = false
    public internal(set) var offsets: [TopicPartition: CommittedOffset] = [:]
    /// Offsets committed inside transactions that have not ended yet (Kafka's
    /// `pendingTransactionalOffsetCommits`), by producer id: they replace `offsets` only when
    /// the transaction commits (`GroupCoordinator.completeTransaction`).
    public internal(set) var pendingTransactionalOffsets: [Int64: [TopicPartition: PendingTransactionalOffset]] = [:]
    /// When each of `offsets` was written, in the coordinator's write order (see
    /// `GroupCoordinator.writeOrder`): a transaction that commits installs its offset for a
    /// partition only if it was written after the one committed (Kafka compares the records'
    /// offsets in the log, which follow the same order).
    var offsetWriteOrder: [TopicPartition: UInt64] = [:]

    init(groupId: String, now: Int64) {
        self.groupId = groupId
        self.currentStateTimestampMs = now
    }

    public func has(_ memberId: String) -> Bool { members[memberId] != nil }

    /// The largest rebalance timeout among members.
    var rebalanceTimeoutMs: Int64 { Int64(members.values.map(\.rebalanceTimeoutMs).max() ?? 0) }

    /// True if `instanceId` belongs to a static member whose current member id is not `memberId`.
    func isStaticMemberFenced(memberId: String, instanceId: String?) -> Bool {
        guard let instanceId, let current = staticMembers[instanceId] else { return false }
        return current != memberId
    }

    mutating func transition(to next: GroupState, now: Int64) {
        precondition(next.validPreviousStates.contains(state), "illegal group transition \(state) -> \(next)")
        state = next
        currentStateTimestampMs = now
    }

    /// Protocols every member supports, in the leader's (or first member's) order of preference.
    var candidateProtocols: [String] {
        guard let first = leaderId.flatMap({ members[$0] }) ?? memberOrder.first.flatMap({ members[$0] }) else { return [] }
        return first.protocols.map(\.name).filter { name in
            members.values.allSatisfy { m in m.protocols.contains { $0.name == name } }
        }
    }

    /// Whether a member with this protocol type and these protocols may join (Kafka's `supportsProtocols`).
    func supportsProtocols(type: String, names: [String]) -> Bool {
        if members.isEmpty { return !type.isEmpty && !names.isEmpty }
        return protocolType == type && candidateProtocols.contains(where: names.contains)
    }

    /// Kafka's vote: each member votes for its most preferred protocol that all members support;
    /// the most votes wins, ties going to the earlier protocol in the leader's order.
    func selectProtocol() -> String? {
        let candidates = candidateProtocols
        var votes: [String: Int] = [:]
        for m in members.values {
            if let choice = m.protocols.first(where: { candidates.contains($0.name) }) { votes[choice.name, default: 0] += 1 }
        }
        var best: String?
        for c in candidates where votes[c, default: 0] > votes[best ?? "", default: -1] { best = c }
        return best
    }

    var allMembersJoined: Bool {
        pendingMembers.isEmpty && members.values.allSatisfy { $0.joinToken != nil }
    }

    /// Broken invariants, described; empty when the group is consistent.
    func invariantViolations() -> [String] {
        var out: [String] = []
        if Set(memberOrder) != Set(members.keys) || memberOrder.count != members.count { out.append("memberOrder out of sync") }
        if let leaderId, members[leaderId] == nil { out.append("leader \(leaderId) is not a member") }
        if leaderId == nil && !members.isEmpty { out.append("members but no leader") }
        for (instance, id) in staticMembers where members[id]?.groupInstanceId != instance { out.append("static mapping \(instance) broken") }
        if (state == .empty || state == .dead) && !members.isEmpty { out.append("\(state) group has members") }
        if state != .preparingRebalance && members.values.contains(where: { $0.joinToken != nil }) { out.append("awaiting join in \(state)") }
        if state != .completingRebalance && members.values.contains(where: { $0.syncToken != nil }) { out.append("awaiting sync in \(state)") }
        if !pendingSync.isSubset(of: Set(members.keys)) { out.append("pending sync of a non-member") }
        return out
    }

    func checkInvariants() {
        #if DEBUG
        let broken = invariantViolations()
        assert(broken.isEmpty, "group \(groupId): \(broken)")
        #endif
    }

    mutating func addMember(_ m: GroupMember, protocolType type: String) {
        if members.isEmpty { protocolType = type }
        if leaderId == nil { leaderId = m.memberId }
        members[m.memberId] = m
        memberOrder.append(m.memberId)
        if let instance = m.groupInstanceId { staticMembers[instance] = m.memberId }
    }

    /// Removes a member without any rebalance side effects; a new leader is the earliest remaining member.
    mutating func removeMember(_ memberId: String) {
        guard let m = members.removeValue(forKey: memberId) else { return }
        memberOrder.removeAll { $0 == memberId }
        if let instance = m.groupInstanceId, staticMembers[instance] == memberId { staticMembers[instance] = nil }
        pendingSync.remove(memberId)
        if leaderId == memberId { leaderId = memberOrder.first }
    }

    /// The group metadata record value for the current generation.
    func metadataValue() -> OffsetsTopicRecord.GroupMetadataValue {
        OffsetsTopicRecord.GroupMetadataValue(
            protocolType: protocolType, generation: generationId, protocolName: protocolName, leader: leaderId,
            currentStateTimestampMs: currentStateTimestampMs,
            members: memberOrder.compactMap { members[$0] }.map { m in
                OffsetsTopicRecord.MemberMetadata(
                    memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                    rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs,
                    subscription: m.metadata(for: protocolName), assignment: m.assignment)
            })
    }
}

/// An offset a transaction committed (TxnOffsetCommit), waiting for the transaction's end.
public struct PendingTransactionalOffset: Equatable, Sendable {
    public var offset: CommittedOffset
    /// Its record's place in the coordinator's write order.
    public var writeOrder: UInt64

    public init(offset: CommittedOffset, writeOrder: UInt64) {
        self.offset = offset
        self.writeOrder = writeOrder
    }
}

extension ClassicGroup {
    /// Whether a transaction that has not ended committed an offset for `tp` (an OffsetFetch
    /// with require_stable gets UNSTABLE_OFFSET_COMMIT for it).
    public func hasPendingTransactionalOffset(_ tp: TopicPartition) -> Bool {
        pendingTransactionalOffsets.values.contains { $0[tp] != nil }
    }

    /// Ends `producerId`'s transaction for this group: on commit its offsets replace those
    /// written before them; either way they stop pending.
    mutating func completeTransaction(producerId: Int64, committed: Bool) {
        guard let pending = pendingTransactionalOffsets.removeValue(forKey: producerId), committed else { return }
        for (tp, p) in pending where offsetWriteOrder[tp].map({ $0 < p.writeOrder }) ?? true {
            offsets[tp] = p.offset
            offsetWriteOrder[tp] = p.writeOrder
        }
    }

    /// Drops the committed offset of `tp` (a tombstone was written).
    mutating func removeOffset(_ tp: TopicPartition) -> CommittedOffset? {
        offsetWriteOrder[tp] = nil
        return offsets.removeValue(forKey: tp)
    }
}
