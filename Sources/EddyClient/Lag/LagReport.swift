import EddyProtocol

/// Every group's lag, per partition, at one moment: the model `eddy lag` prints (as a table or
/// JSON) and serves to Prometheus, and the console shows. Built by `LagSampler`, from
/// `GroupPositions` rows annotated by `LagTracker`. Codable: `--output json` is this value.
public struct LagReport: Sendable, Equatable, Codable {
    /// Wall-clock time of the sample, ms since the epoch.
    public var takenAtMs: Int64
    /// Where commits for the statuses came from (`LagTracker.Source`), nil before any sample.
    public var commitSource: String?
    public var groups: [Group]

    public init(takenAtMs: Int64, commitSource: String?, groups: [Group]) {
        self.takenAtMs = takenAtMs
        self.commitSource = commitSource
        self.groups = groups
    }

    public struct Group: Sendable, Equatable, Codable {
        public var group: String
        public var state: String
        /// The worst partition status (Burrow's group status), nil when none is known.
        public var status: String?
        public var partitions: [Partition]
        /// Set when the group could not be described or its offsets read.
        public var error: String?

        public init(group: String, state: String, status: String?, partitions: [Partition], error: String? = nil) {
            self.group = group
            self.state = state
            self.status = status
            self.partitions = partitions
            self.error = error
        }
    }

    /// One partition of a group; nil where unknown (see `GroupPositions.Row`).
    public struct Partition: Sendable, Equatable, Codable {
        public var topic: String
        public var partition: Int32
        public var logStartOffset: Int64?
        public var highWatermark: Int64?
        public var logEndOffset: Int64?
        public var committedOffset: Int64?
        public var position: Int64?
        public var lag: Int64?
        public var positionLag: Int64?
        public var timeLagMs: Int64?
        /// Records deleted before the group read them.
        public var lost: Int64?
        public var status: String?
        public var memberId: String?
        public var clientId: String?

        public init(_ row: GroupPositions.Row, nowMs: Int64) {
            topic = row.topicPartition.topic
            partition = row.topicPartition.partition
            logStartOffset = row.logStartOffset
            highWatermark = row.highWatermark
            logEndOffset = row.logEndOffset
            committedOffset = row.committedOffset
            position = row.position
            lag = row.lag
            positionLag = row.positionLag
            timeLagMs = row.timeLagMs(nowMs: nowMs)
            lost = row.lost
            status = row.status?.name
            memberId = row.memberId
            clientId = row.clientId
        }
    }

    /// Only the groups whose status is `status`.
    public func filtered(status: LagStatus) -> LagReport {
        LagReport(takenAtMs: takenAtMs, commitSource: commitSource, groups: groups.filter { $0.status == status.name })
    }
}

/// Samples groups for `LagReport`s: ListGroups (or the groups asked for), one DescribeGroups and
/// one OffsetFetch per coordinator (`Admin.groupSamples`), one ListOffsets round for all their partitions (three requests per
/// leader), members' positions where the cluster tells them (eddy's brokers), then
/// `LagTracker.annotate` (a Fetch per leader for time lags, and the commit log). Each group
/// fails on its own.
public struct LagSampler: Sendable {
    public let admin: Admin
    public let tracker: LagTracker
    private let now: @Sendable () -> Int64

    public init(admin: Admin, tracker: LagTracker, now: @escaping @Sendable () -> Int64 = { ClientTime.wallClockMs() }) {
        self.admin = admin
        self.tracker = tracker
        self.now = now
    }

    /// - Throws: only when the groups cannot be listed.
    public func sample(groups wanted: [String]? = nil) async throws(ClientError) -> LagReport {
        let ids: [String]
        if let wanted { ids = wanted } else { ids = try await admin.listConsumerGroups().map(\.groupId) }
        let samples = await admin.groupSamples(ids)
        let described: [(String, Result<(Admin.ConsumerGroupDescription, [TopicPartition: Int64]), ClientError>)] = ids.map { id in
            switch samples[id] {
            case let .success(s)?: (id, .success((s.description, s.committed)))
            case let .failure(error)?: (id, .failure(error))
            // Not expected (every group asked for gets a result); said plainly if it happens.
            case nil: (id, .failure(.illegalState("no description or committed offsets came back for the group; try again")))
            }
        }
        var partitions = Set<TopicPartition>()
        for case let (_, .success((d, committed))) in described {
            partitions.formUnion(committed.keys)
            partitions.formUnion(d.assignments.keys)
        }
        let offsets = (try? await admin.partitionOffsets(Array(partitions))) ?? [:]
        var rows: [String: [GroupPositions.Row]] = [:]
        var positions: [String: GroupPositions] = [:]
        for case let (id, .success((d, committed))) in described {
            let live = await admin.memberPositions(d, registry: .shared)
            let p = GroupPositions(description: d, committed: committed, offsets: offsets, live: live)
            positions[id] = p
            rows[id] = p.rows
        }
        let annotated = await tracker.annotate(rows)
        let nowMs = now()
        let source = await tracker.source?.rawValue
        return LagReport(takenAtMs: nowMs, commitSource: source, groups: described.map { id, result in
            switch result {
            case let .failure(error):
                return .init(group: id, state: "Unknown", status: nil, partitions: [], error: "\(error)")
            case .success:
                let p = positions[id]!
                let groupRows = annotated[id] ?? p.rows
                return .init(group: id, state: p.state.name, status: groupRows.compactMap(\.status).max()?.name,
                             partitions: groupRows.map { LagReport.Partition($0, nowMs: nowMs) })
            }
        })
    }
}
