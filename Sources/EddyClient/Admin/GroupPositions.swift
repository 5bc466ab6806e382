import EddyProtocol

/// The four positions and two lags of a consumer group, per partition (what `eddy groups
/// describe` and the console show). For each partition:
///
/// - **log-end offset** — the leader's next offset to write, including records not yet
///   replicated to the whole ISR;
/// - **high watermark** — the end of what is replicated to the ISR, so readable by consumers
///   (what Kafka's `kafka-consumer-groups` calls LOG-END-OFFSET);
/// - **position** — the next offset a live consumer of this process will fetch, known only for
///   consumers running in this process (`LiveConsumers`);
/// - **committed offset** — the group's last committed offset (OffsetFetch);
///
/// and a fifth, the **last stable offset** (LSO): where read_committed consumers stop, the high
/// watermark held back by the oldest open transaction (equal to it when none is open).
///
/// Invariants when all are known and nothing moves: log start <= high watermark <= log-end
/// offset; position and committed offset may be anywhere in [log start, high watermark] (a
/// committed offset may fall below log start after retention). The lags are measured from the
/// high watermark, the end a consumer can reach, and count only records that still exist:
/// **lag** = high watermark − max(committed offset, log start offset) and **position lag** =
/// high watermark − position. Where retention or DeleteRecords removed records the group had
/// not read (committed offset < log start), they are not lag but **lost**: log start −
/// committed offset (Kafka's kafka-consumer-groups counts them in its LAG). Each is nil when an
/// operand is unknown. `LagTracker` adds the **time lag** (how old the record at the committed
/// offset is) and Burrow's **status** (`LagStatus`). A value, assembled by
/// `Admin.groupPositions`.
public struct GroupPositions: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var topicPartition: TopicPartition
        /// nil when the partition's offsets could not be read (offline, or its topic deleted).
        public var logStartOffset: Int64?
        public var logEndOffset: Int64?
        public var highWatermark: Int64?
        /// The last stable offset (ListOffsets latest with read_committed); nil when unknown.
        public var lastStableOffset: Int64?
        /// A live in-process consumer's fetch position; nil when no such consumer owns it.
        public var position: Int64?
        /// nil when the group has no commit for the partition.
        public var committedOffset: Int64?
        /// The member the partition is assigned to (DescribeGroups, else a live consumer's
        /// membership); nil when unassigned.
        public var memberId: String?
        public var clientId: String?
        public var host: String?
        /// The timestamp of the record at the committed offset (ms since the epoch), when
        /// `LagTracker` read it; nil when unknown or nothing is left to read.
        public var committedRecordTimestampMs: Int64?
        /// Burrow's status of the group on this partition (`LagTracker`); nil when unknown.
        public var status: LagStatus?

        public init(topicPartition: TopicPartition, logStartOffset: Int64? = nil, logEndOffset: Int64? = nil,
                    highWatermark: Int64? = nil, position: Int64? = nil, committedOffset: Int64? = nil,
                    memberId: String? = nil, clientId: String? = nil, host: String? = nil,
                    committedRecordTimestampMs: Int64? = nil, status: LagStatus? = nil, lastStableOffset: Int64? = nil) {
            self.lastStableOffset = lastStableOffset
            self.committedRecordTimestampMs = committedRecordTimestampMs
            self.status = status
            self.topicPartition = topicPartition
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
            self.highWatermark = highWatermark
            self.position = position
            self.committedOffset = committedOffset
            self.memberId = memberId
            self.clientId = clientId
            self.host = host
        }

        /// High watermark − the committed offset, or − the log start offset when the commit
        /// lies below it (records deleted unread are `lost`, not lag).
        public var lag: Int64? {
            guard let committedOffset else { return nil }
            return Self.difference(highWatermark, max(committedOffset, logStartOffset ?? committedOffset))
        }

        /// Records deleted before the group read them: log start − committed offset, when the
        /// commit lies below the log start; nil otherwise.
        public var lost: Int64? {
            guard let logStartOffset, let committedOffset, committedOffset < logStartOffset else { return nil }
            return Self.difference(logStartOffset, committedOffset)
        }

        /// How far behind in time the group is: now − the timestamp of the record at the
        /// committed offset; 0 when there is no lag; nil when unknown.
        public func timeLagMs(nowMs: Int64) -> Int64? {
            if lag == 0 { return 0 }
            guard (lag ?? 0) > 0, let ts = committedRecordTimestampMs else { return nil }
            return max(0, nowMs &- ts)
        }
        /// High watermark − position.
        public var positionLag: Int64? { Self.difference(highWatermark, position) }

        static func difference(_ a: Int64?, _ b: Int64?) -> Int64? {
            guard let a, let b else { return nil }
            let (d, overflow) = a.subtractingReportingOverflow(b)
            return overflow ? nil : d
        }
    }

    /// A position reported by a consumer running in this process.
    public struct LivePosition: Sendable, Equatable {
        public var memberId: String
        public var clientId: String
        /// nil until the consumer knows where to fetch (before its first OffsetFetch/reset).
        public var position: Int64?

        public init(memberId: String, clientId: String, position: Int64?) {
            self.memberId = memberId
            self.clientId = clientId
            self.position = position
        }
    }

    /// The offsets a partition's leader reported.
    public struct PartitionOffsets: Sendable, Equatable {
        public var logStartOffset: Int64
        public var highWatermark: Int64
        public var logEndOffset: Int64
        /// Where read_committed consumers stop (the high watermark when no transaction is open);
        /// nil when the leader did not say.
        public var lastStableOffset: Int64?

        public init(logStartOffset: Int64, highWatermark: Int64, logEndOffset: Int64, lastStableOffset: Int64? = nil) {
            self.logStartOffset = logStartOffset
            self.highWatermark = highWatermark
            self.logEndOffset = logEndOffset
            self.lastStableOffset = lastStableOffset
        }

        /// An open transaction holds read_committed consumers below the high watermark.
        public var isHeldByTransaction: Bool { lastStableOffset.map { $0 < highWatermark } ?? false }
    }

    public var groupId: String
    public var state: Admin.ConsumerGroupState
    /// The coordinator's broker id.
    public var coordinator: Int32
    /// Every member, as DescribeGroups reported them.
    public var members: [Admin.MemberDescription]
    /// One row per partition the group has a commit for or a member is assigned, sorted by
    /// topic and partition.
    public var rows: [Row]

    /// Members that own no row (Kafka's describe lists them with `-` for the partition).
    public var idleMembers: [Admin.MemberDescription] {
        let owners = Set(rows.compactMap(\.memberId))
        return members.filter { !owners.contains($0.memberId) }
    }

    public init(groupId: String, state: Admin.ConsumerGroupState, coordinator: Int32,
                members: [Admin.MemberDescription], rows: [Row]) {
        self.groupId = groupId
        self.state = state
        self.coordinator = coordinator
        self.members = members
        self.rows = rows
    }

    /// Assembles the rows from what was gathered. Pure.
    ///
    /// - Parameters:
    ///   - committed: the group's committed offsets.
    ///   - offsets: the leaders' offsets; partitions missing here (deleted topics) have nil
    ///     offsets.
    ///   - live: positions of live consumers of this group, by partition; a partition they own
    ///     is part of the group even before anything is committed.
    public init(description: Admin.ConsumerGroupDescription, committed: [TopicPartition: Int64],
                offsets: [TopicPartition: PartitionOffsets], live: [TopicPartition: LivePosition]) {
        let assigned = description.assignments
        let partitions = Set(committed.keys).union(assigned.keys).union(live.keys).sorted()
        let rows = partitions.map { tp -> Row in
            let o = offsets[tp]
            let owner = assigned[tp]
            // The live consumer's position counts only if it is the member DescribeGroups names
            // (or DescribeGroups names none, e.g. while the group rebalances).
            let l = live[tp].flatMap { l in owner == nil || owner?.memberId == l.memberId ? l : nil }
            return Row(topicPartition: tp, logStartOffset: o?.logStartOffset, logEndOffset: o?.logEndOffset,
                       highWatermark: o?.highWatermark, position: l?.position, committedOffset: committed[tp],
                       memberId: owner?.memberId ?? l?.memberId, clientId: owner?.clientId ?? l?.clientId, host: owner?.host,
                       lastStableOffset: o?.lastStableOffset)
        }
        self.init(groupId: description.groupId, state: description.state, coordinator: description.coordinator,
                  members: description.members, rows: rows)
    }
}
