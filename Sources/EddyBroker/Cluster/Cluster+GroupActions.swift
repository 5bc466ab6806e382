import EddyProtocol
import EddyStorage

/// Carrying out the `GroupAction`s of a broker's coordinator. Every function here expects the
/// cluster lock held; responses go to `deferred`.
extension Cluster {
    /// A response that may depend on `__consumer_offsets` writes: it gets, per partition written
    /// by the same event, the produce error of that write (`.none` once committed; partitions not
    /// written are absent).
    typealias GroupWriteContinuation = @Sendable (_ writeErrors: [Int32: ErrorCode]) -> Void

    /// Carries out `actions` in order:
    /// - `scheduleTimer`: remembered in the coordinator's `timers` (`fireGroupTimers` runs them);
    /// - `appendRecord`: the records of each partition are appended as one batch to this broker's
    ///   leader replica of `__consumer_offsets`, with acks=all (offsets.commit.required.acks -1),
    ///   once the lock is released, in the order the coordinator wrote them (`Broker.queueGroupWrite`);
    ///   `appendTransactionalRecord`s likewise, as one transactional batch per partition and
    ///   producer (with the coordinator's origin: epoch checked, no sequence);
    /// - `joinResponse` / `syncResponse`: answered at once, unless a record for the same group's
    ///   partition was appended before it in `actions`; then only once the appends are committed
    ///   (the high watermark passed them), or with the write's error mapped as Kafka's
    ///   `storeGroup` does if they fail or time out (offsets.commit.timeout.ms).
    ///
    /// `direct`, the response an event returns itself (OffsetCommit's, DeleteGroups', ...), is
    /// sent with the outcome of every append of `actions`, or at once when there is none.
    func carryOut(_ actions: [GroupAction], on node: Broker, direct: GroupWriteContinuation? = nil) {
        let groups = node.groups
        var appends: [GroupBatchKey: [(key: [UInt8], value: [UInt8]?)]] = [:]
        var order: [GroupBatchKey] = []
        var held: [GroupWriteContinuation] = []
        func dispatch(_ partition: Int32, _ send: @escaping GroupWriteContinuation) {
            if appends.keys.contains(where: { $0.partition == partition }) { held.append(send) } else { deferred.append { send([:]) } }
        }
        func add(_ batch: GroupBatchKey, _ key: [UInt8], _ value: [UInt8]?) {
            if appends[batch] == nil { order.append(batch) }
            appends[batch, default: []].append((key, value))
        }
        for action in actions {
            switch action {
            case let .appendRecord(partition, key, value):
                add(GroupBatchKey(partition: partition, producerId: -1, producerEpoch: -1), key, value)
            case let .appendTransactionalRecord(partition, producerId, producerEpoch, key, value):
                add(GroupBatchKey(partition: partition, producerId: producerId, producerEpoch: producerEpoch), key, value)
            case let .scheduleTimer(timer, atMs):
                groups.timers[timer] = atMs
                driverDeadline?(atMs)
            case let .joinResponse(token, result):
                guard let pending = groups.pendingJoins.removeValue(forKey: token) else { continue }
                let partition = groups.partition(of: pending.groupId)
                let respond = pending.respond
                dispatch(partition) { errors in
                    let error = Cluster.groupWriteError(errors[partition] ?? .none)
                    respond(.joinGroup(error == .none ? JoinGroupResponse(result) : JoinGroupResponse(errorCode: error, memberId: result.memberId)))
                }
            case let .syncResponse(token, result):
                guard let pending = groups.pendingSyncs.removeValue(forKey: token) else { continue }
                let partition = groups.partition(of: pending.groupId)
                let respond = pending.respond
                dispatch(partition) { errors in
                    let error = Cluster.groupWriteError(errors[partition] ?? .none)
                    respond(.syncGroup(error == .none ? SyncGroupResponse(result) : SyncGroupResponse(errorCode: error)))
                }
            }
        }
        if let direct {
            if appends.isEmpty { deferred.append { direct([:]) } } else { held.append(direct) }
        }
        guard !appends.isEmpty else { return }
        let now = clock.nowMs()
        var planned: [Broker.PlannedAppend] = []
        for batch in order {
            var builder = batch.producerId < 0 ? RecordBatchBuilder()
                : RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: batch.producerId,
                                     producerEpoch: batch.producerEpoch)
            for record in appends[batch]! { builder.append(timestamp: now, key: record.key, value: record.value) }
            planned.append(node.planAppend(TopicPartition(OffsetsTopic.name, batch.partition), write: .coordinatorRecords(builder.build().bytes),
                                           acks: -1))
        }
        let waiting = held
        node.queueGroupWrite(Broker.GroupWrite(planned: planned, deadlineMs: now + options.offsetsCommitTimeoutMs) { response in
            // A partition's error: its first failed batch's, if any.
            var errors: [Int32: ErrorCode] = [:]
            if case let .produce(r) = response {
                for t in r.responses {
                    for p in t.partitionResponses where (errors[p.index] ?? ErrorCode.none) == ErrorCode.none { errors[p.index] = p.errorCode }
                }
            }
            for send in waiting { send(errors) }
        })
    }

    /// Runs the coordinators' due timers (`expireTimers`) on every running broker.
    func fireGroupTimers(now: Int64) {
        for node in nodes.values.sorted(by: { $0.id < $1.id }) {
            let groups = node.groups
            guard let next = groups.nextTimerMs, next <= now else { continue }
            groups.timers = groups.timers.filter { $0.value > now }
            carryOut(groups.coordinator.expireTimers(now: now), on: node)
        }
    }

    /// Kafka's mapping of a failed group metadata write (`GroupMetadataManager.storeGroup`) to
    /// the error JoinGroup and SyncGroup report.
    static func groupWriteError(_ e: ErrorCode) -> ErrorCode {
        switch e {
        case .none: .none
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend: .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: .notCoordinator
        case .requestTimedOut: .rebalanceInProgress
        default: .unknownServerError
        }
    }

    /// Kafka's mapping of a failed offset write (`GroupMetadataManager.storeOffsets`) to the
    /// error OffsetCommit (and DeleteGroups, OffsetDelete) report.
    static func offsetWriteError(_ e: ErrorCode) -> ErrorCode {
        switch e {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend: .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: .invalidCommitOffsetSize
        default: e
        }
    }
}

/// One batch a coordinator event writes to `__consumer_offsets`: a partition's records
/// outside transactions (producer id -1), or those of one producer's transaction.
struct GroupBatchKey: Hashable {
    var partition: Int32
    var producerId: Int64
    var producerEpoch: Int16
}

extension JoinGroupResponse {
    init(_ r: GroupCoordinator.JoinResult) {
        self.init(errorCode: r.error, generationId: r.generationId, protocolType: r.protocolType, protocolName: r.protocolName,
                  leader: r.leaderId, skipAssignment: r.skipAssignment, memberId: r.memberId,
                  members: r.members.map { .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata) })
    }
}

extension SyncGroupResponse {
    init(_ r: GroupCoordinator.SyncResult) {
        self.init(errorCode: r.error, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment)
    }
}
