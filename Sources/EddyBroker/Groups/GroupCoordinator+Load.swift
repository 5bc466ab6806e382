import EddyProtocol

/// Coordinator failover: rebuilding groups and offsets from a `__consumer_offsets` partition.
extension GroupCoordinator {
    /// One record of `__consumer_offsets` as read from the log; `value` nil is a tombstone.
    public struct StoredRecord: Equatable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]?
        public init(key: [UInt8], value: [UInt8]?) {
            self.key = key
            self.value = value
        }
    }

    /// Replays one partition's records in log order (last write wins, tombstones delete) and
    /// installs the resulting groups, replacing any held for the same ids. A group with members
    /// is loaded Stable and its members get a fresh session (`now + session.timeout.ms`); one
    /// without is Empty; offsets without group metadata form an Empty group with no protocol type
    /// (a simple consumer's). Records with key versions other than 0...2 are skipped.
    /// Throws, installing nothing, on a record it cannot decode.
    public mutating func load(_ records: [StoredRecord], now: Int64) throws(GroupRecordError) -> [GroupAction] {
        var metadata: [String: OffsetsTopicRecord.GroupMetadataValue] = [:]
        var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
        var seen: Set<String> = []
        for record in records {
            guard let key = try OffsetsTopicRecord.decodeKey(record.key) else { continue }
            seen.insert(key.group)
            switch key {
            case .offsetCommit(let group, let tp):
                if let bytes = record.value {
                    let v = try OffsetsTopicRecord.decodeOffsetCommitValue(bytes)
                    offsets[group, default: [:]][tp] = CommittedOffset(
                        offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestampMs: v.commitTimestampMs)
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
            guard value != nil || !groupOffsets.isEmpty else { groups[groupId] = nil; continue }
            var group = ClassicGroup(groupId: groupId, now: now)
            group.offsets = groupOffsets
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
