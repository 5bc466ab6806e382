import EddyProtocol

/// Coordinator failover: rebuilding groups and offsets from a `__consumer_offsets` partition.
extension GroupCoordinator {
    /// One record of `__consumer_offsets` as read from the log; `value` nil is a tombstone.
    /// A transaction marker is a record too, with no key or value.
    public struct StoredRecord: Equatable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]?
        /// Nil for a record outside transactions.
        public var transaction: Transaction?

        public enum Transaction: Equatable, Sendable {
            /// The record was written in a transactional batch of this producer (TxnOffsetCommit).
            case record(producerId: Int64)
            /// The producer's transaction ended here (a COMMIT or ABORT control batch).
            case marker(producerId: Int64, committed: Bool)
        }

        public init(key: [UInt8], value: [UInt8]?, transaction: Transaction? = nil) {
            self.key = key
            self.value = value
            self.transaction = transaction
        }

        /// A transaction marker.
        public static func marker(producerId: Int64, committed: Bool) -> StoredRecord {
            StoredRecord(key: [], value: nil, transaction: .marker(producerId: producerId, committed: committed))
        }
    }

    /// Replays one partition's records in log order (last write wins, tombstones delete) and
    /// installs the resulting groups, replacing any held for the same ids. A group with members
    /// is loaded Stable and its members get a fresh session (`now + session.timeout.ms`); one
    /// without is Empty; offsets without group metadata form an Empty group with no protocol type
    /// (a simple consumer's). Records with key versions other than 0...2 are skipped.
    ///
    /// Offset commits written in a transaction (TxnOffsetCommit) wait for their producer's
    /// marker, as Kafka's loader keeps them: a COMMIT installs them unless the group's offset for
    /// the partition was written later, an ABORT drops them, and those of a transaction still
    /// open at the end stay pending (`ClassicGroup.pendingTransactionalOffsets`).
    /// Throws, installing nothing, on a record it cannot decode.
    public mutating func load(_ records: [StoredRecord], now: Int64) throws(GroupRecordError) -> [GroupAction] {
        var metadata: [String: OffsetsTopicRecord.GroupMetadataValue] = [:]
        var offsets: [String: [TopicPartition: (CommittedOffset, order: UInt64)]] = [:]
        var pending: [Int64: [String: [TopicPartition: PendingTransactionalOffset]]] = [:]
        var seen: Set<String> = []
        for record in records {
            let order = nextWriteOrder()
            if case let .marker(producerId, committed) = record.transaction {
                guard let ended = pending.removeValue(forKey: producerId), committed else { continue }
                for (group, byPartition) in ended {
                    for (tp, p) in byPartition where offsets[group]?[tp].map({ $0.order < p.writeOrder }) ?? true {
                        offsets[group, default: [:]][tp] = (p.offset, p.writeOrder)
                    }
                }
                continue
            }
            guard let key = try OffsetsTopicRecord.decodeKey(record.key) else { continue }
            seen.insert(key.group)
            switch key {
            case .offsetCommit(let group, let tp):
                let value = try record.value.map { bytes throws(GroupRecordError) -> CommittedOffset in
                    let v = try OffsetsTopicRecord.decodeOffsetCommitValue(bytes)
                    return CommittedOffset(offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestampMs: v.commitTimestampMs)
                }
                if case let .record(producerId) = record.transaction {
                    pending[producerId, default: [:]][group, default: [:]][tp] = value.map { PendingTransactionalOffset(offset: $0, writeOrder: order) }
                } else if let value {
                    offsets[group, default: [:]][tp] = (value, order)
                } else {
                    offsets[group]?[tp] = nil
                }
            case .groupMetadata(let group):
                metadata[group] = try record.value.map { v throws(GroupRecordError) in try OffsetsTopicRecord.decodeGroupMetadataValue(v) }
            }
        }
        var actions: [GroupAction] = []
        for groupId in seen.sorted() {
            let groupOffsets = offsets[groupId] ?? [:]
            let value = metadata[groupId]
            var groupPending: [Int64: [TopicPartition: PendingTransactionalOffset]] = [:]
            for (producerId, byGroup) in pending { if let p = byGroup[groupId], !p.isEmpty { groupPending[producerId] = p } }
            guard value != nil || !groupOffsets.isEmpty || !groupPending.isEmpty else { groups[groupId] = nil; continue }
            var group = ClassicGroup(groupId: groupId, now: now)
            group.offsets = groupOffsets.mapValues(\.0)
            group.offsetWriteOrder = groupOffsets.mapValues(\.order)
            group.pendingTransactionalOffsets = groupPending
            if let value {
                group.protocolType = value.protocolType
                group.generationId = value.generation
                group.protocolName = value.protocolName
                for m in value.members {
                    var member = GroupMember(
                        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                        rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs,
                        protocols: value.protocolName.map { [GroupProtocol(name: $0, metadata: m.subscription)] } ?? [])
                    member.assignment = m.assignment
                    group.addMember(member, protocolType: value.protocolType ?? "")
                }
                group.protocolType = value.protocolType
                if let leader = value.leader, group.has(leader) { group.leaderId = leader }
                if !group.members.isEmpty {
                    group.state = .stable
                    for id in group.memberOrder { scheduleHeartbeat(&group, id, now: now, &actions) }
                }
            }
            group.checkInvariants()
            groups[groupId] = group
        }
        return actions
    }

    /// Drops the groups of a `__consumer_offsets` partition this broker no longer leads; their
    /// pending requests should be failed with NOT_COORDINATOR by the caller.
    public mutating func unload(partition: Int32) {
        groups = groups.filter { partitionFor($0.key) != partition }
    }
}
