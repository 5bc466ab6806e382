/// Computes one partition's change: a target ISR plus a leader election (Kafka's
/// `PartitionChangeBuilder`, without reassignments and eligible leader replicas).
///
/// Election rules, for a replica r to be a valid leader it must be in the target ISR and
/// acceptable (`isAcceptableLeader`, normally: registered and active):
/// - `.online` (and `.unclean`): keep the current leader if valid; else the first valid replica
///   in replica order; else, for `.unclean` only, the first acceptable replica even outside the
///   ISR, whose ISR then becomes just itself (an unclean election, which may lose records);
///   else no leader (-1).
/// - `.preferred`: the first replica if valid; else as `.online` but without the unclean step.
///
/// The ISR is never written empty: removing the last member leaves the ISR as it was (KRaft
/// keeps the last member, so the partition waits offline for exactly that broker).
struct PartitionChangeBuilder {
    enum Election { case preferred, online, unclean }

    let registration: PartitionRegistration
    let topicId: Uuid
    let partitionId: Int32
    let isAcceptableLeader: (Int32) -> Bool
    var targetIsr: [Int32]
    var election: Election = .online

    init(_ registration: PartitionRegistration, topicId: Uuid, partitionId: Int32,
         isAcceptableLeader: @escaping (Int32) -> Bool) {
        self.registration = registration
        self.topicId = topicId
        self.partitionId = partitionId
        self.isAcceptableLeader = isAcceptableLeader
        targetIsr = registration.isr
    }

    /// The change record, nil when nothing changes, and whether the new leader was elected
    /// uncleanly.
    func build() -> (record: PartitionChangeRecord?, unclean: Bool) {
        var record = PartitionChangeRecord(partitionId: partitionId, topicId: topicId)
        let (leader, unclean) = electLeader()
        if leader != registration.leader {
            record.leader = leader
            if unclean { record.isr = [leader] }
        }
        if record.isr == nil, !targetIsr.isEmpty, targetIsr != registration.isr {
            record.isr = targetIsr
        }
        guard record.isr != nil || record.leader != PartitionChangeRecord.leaderUnchanged else { return (nil, false) }
        return (record, unclean && record.leader != PartitionChangeRecord.leaderUnchanged)
    }

    private func isValidLeader(_ r: Int32) -> Bool { targetIsr.contains(r) && isAcceptableLeader(r) }

    private func electLeader() -> (leader: Int32, unclean: Bool) {
        let replicas = registration.replicas
        if election == .preferred, let preferred = replicas.first, isValidLeader(preferred) { return (preferred, false) }
        if isValidLeader(registration.leader) { return (registration.leader, false) }
        if let clean = replicas.first(where: isValidLeader) { return (clean, false) }
        if election == .unclean, let any = replicas.first(where: isAcceptableLeader) { return (any, true) }
        return (PartitionRegistration.noLeader, false)
    }
}
