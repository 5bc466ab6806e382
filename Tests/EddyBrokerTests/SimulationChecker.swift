import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation

/// The safety invariants of replication, checked against a live cluster after every step of a
/// simulation. It remembers what it saw (high watermarks, leaders per epoch), so it checks
/// histories, not just states. Each `check` returns the violations found (empty when sound).
///
/// 1. Committed records: for every partition whose leader (per the metadata) is running,
///    each record the cluster declared committed - acknowledged with acks=all, or returned to a
///    consumer, who reads below the high watermark - is in the leader's log at the offset it
///    was acknowledged or read at, with its value (not lost, not moved), unless DeleteRecords
///    removed it. The leader must hold it whatever its high watermark: it came from the ISR,
///    and every ISR member holds every committed record.
/// 2. High watermark never goes backwards:
///    - per partition, as exposed by its leader, across leader changes and clean restarts of
///      the whole process (the issue's "it never decreases"; a new leader elected from the ISR
///      holds everything committed, so it can carry the partition's high watermark on), but
///      not across a whole-process crash (see `processRestarted`);
///    - per replica, within one run (incarnation) of its broker, followers included (a restart
///      may reload an older checkpointed value; that is not a decrease of what this run exposed).
/// 3. One leader per epoch: each (partition, leader epoch) ever seen - in the metadata image,
///    on running replicas acting as leader, and in `Cluster.leadersByEpoch` - names one broker;
///    leader epochs in the image never decrease; at most one running replica leads a partition,
///    and it is the image's leader in the image's epoch (metadata reaches every running broker
///    at once in process).
/// 4. Replicas identical up to the high watermark: each running replica's batches are
///    byte-identical to the leader's below min(its own high watermark, the leader's log end),
///    and, for a member of the ISR, below min(the leader's high watermark, its log end). (A
///    replica outside the ISR may hold a stale suffix from an older leader below the leader's
///    high watermark until its next fetch truncates it; its own high watermark says what it
///    believes committed.) No replica's high watermark exceeds the leader's log end.
/// 5. `PartitionLog.checkInvariants()` on every running replica and
///    `PartitionLeaderState.checkInvariants()` on every leader.
struct SimulationChecker {
    struct ReplicaKey: Hashable {
        let broker: Int32
        let incarnation: Int64
        let tp: TopicPartition
    }

    private var partitionHighWatermark: [TopicPartition: Int64] = [:]
    private var replicaLogEndOffset: [ReplicaKey: Int64] = [:]
    private var replicaHighWatermark: [ReplicaKey: Int64] = [:]
    private var leaderOfEpoch: [TopicPartition: [Int32: Int32]] = [:]
    private var imageEpoch: [TopicPartition: Int32] = [:]

    /// How many times a replica's log end offset went down within one run of its broker.
    private(set) var truncations = 0

    /// The whole process restarted: broker incarnations count from 1 again, so per-replica
    /// history starts over. After a crash the partition high watermark also starts over: a
    /// high watermark is persisted lazily (the replication-offset-checkpoint), as in Kafka,
    /// and leaders reached before the crash are forgotten with the process.
    mutating func processRestarted(crashed: Bool) {
        replicaHighWatermark.removeAll()
        replicaLogEndOffset.removeAll()
        if crashed { partitionHighWatermark.removeAll() }
    }

    /// How many (partition, leader epoch) pairs had a leader so far.
    var leaderEpochCount: Int { leaderOfEpoch.values.reduce(0) { $0 + $1.count } }

    mutating func check(_ cluster: Cluster, partitions: [TopicPartition], committed: [TopicPartition: [Int64: String]]) -> [String] {
        cluster.lock.withLock {
            var out: [String] = []
            let image = cluster.metadata.image
            for tp in partitions {
                guard let reg = image.partition(tp) else { out.append("\(tp) vanished from the metadata"); continue }
                out += checkPartition(tp, reg, cluster: cluster, committed: committed[tp] ?? [:])
            }
            for (tp, epochs) in cluster.leadersByEpoch.sorted(by: { $0.key < $1.key }) {
                for (epoch, leader) in epochs.sorted(by: { $0.key < $1.key }) {
                    out += noteLeader(tp, epoch: epoch, leader: leader, source: "Cluster.leadersByEpoch")
                }
            }
            return out
        }
    }

    /// Caller holds the cluster lock.
    private mutating func checkPartition(_ tp: TopicPartition, _ reg: PartitionRegistration, cluster: Cluster,
                                         committed: [Int64: String]) -> [String] {
        var out: [String] = []
        // 3. Leaders per epoch.
        if let previous = imageEpoch[tp], reg.leaderEpoch < previous {
            out.append("\(tp) leader epoch went back in the metadata: \(previous) → \(reg.leaderEpoch)")
        }
        imageEpoch[tp] = reg.leaderEpoch
        if reg.hasLeader { out += noteLeader(tp, epoch: reg.leaderEpoch, leader: reg.leader, source: "metadata") }
        var running: [(id: Int32, node: Broker, replica: Replica)] = []
        for id in cluster.nodes.keys.sorted() {
            guard let node = cluster.nodes[id], let replica = node.replicas[tp] else { continue }
            running.append((id, node, replica))
        }
        let leading = running.filter { $0.replica.isLeader }
        if leading.count > 1 { out.append("\(tp) has \(leading.count) running leaders: brokers \(leading.map(\.id))") }
        for l in leading {
            out += noteLeader(tp, epoch: l.replica.leaderEpoch, leader: l.id, source: "broker \(l.id)")
            if l.id != reg.leader || l.replica.leaderEpoch != reg.leaderEpoch {
                out.append("\(tp) broker \(l.id) leads in epoch \(l.replica.leaderEpoch) but the metadata says leader \(reg.leader) epoch \(reg.leaderEpoch)")
            }
            if let s = l.replica.leaderState, s.leaderEpoch != l.replica.leaderEpoch {
                out.append("\(tp) broker \(l.id) leader state is for epoch \(s.leaderEpoch), replica says \(l.replica.leaderEpoch)")
            }
        }
        // 5. Structural invariants; 2. per-replica high watermarks.
        for r in running {
            out += r.replica.log.checkInvariants().map { "\(tp) log on broker \(r.id): \($0)" }
            if let s = r.replica.leaderState {
                out += s.checkInvariants().map { "\(tp) leader state on broker \(r.id): \($0)" }
            }
            let key = ReplicaKey(broker: r.id, incarnation: r.node.incarnation, tp: tp)
            let hw = r.replica.log.highWatermark
            if let previous = replicaHighWatermark[key], hw < previous {
                out.append("\(tp) high watermark of broker \(r.id) (incarnation \(r.node.incarnation)) went back: \(previous) → \(hw)")
            }
            replicaHighWatermark[key] = max(hw, replicaHighWatermark[key] ?? hw)
            let leo = r.replica.log.logEndOffset
            if let previous = replicaLogEndOffset[key], leo < previous { truncations += 1 }
            replicaLogEndOffset[key] = leo
        }
        guard reg.hasLeader, let leader = running.first(where: { $0.id == reg.leader && $0.replica.isLeader }) else { return out }
        let log = leader.replica.log
        let leaderHW = log.highWatermark
        let leaderLEO = log.logEndOffset
        // 2. The partition's high watermark.
        if let previous = partitionHighWatermark[tp], leaderHW < previous {
            out.append("\(tp) high watermark went back: \(previous) → \(leaderHW) (leader \(reg.leader), epoch \(reg.leaderEpoch))")
        }
        partitionHighWatermark[tp] = max(leaderHW, partitionHighWatermark[tp] ?? leaderHW)
        // 1. Committed records.
        if !committed.isEmpty {
            do {
                let values = try Self.values(log, below: leaderLEO)
                for (offset, value) in committed.sorted(by: { $0.key < $1.key }) {
                    guard offset >= log.logStartOffset, let found = values[offset] else {
                        out.append("\(tp) committed \(value)@\(offset) is missing from leader \(reg.leader) (log \(log.logStartOffset)..<\(leaderLEO), HW \(leaderHW))")
                        continue
                    }
                    if found != value {
                        out.append("\(tp) committed \(value)@\(offset) but leader \(reg.leader) has \(found) there")
                    }
                }
            } catch {
                out.append("\(tp) could not read the leader's log: \(error)")
            }
        }
        // 4. Replicas identical up to the high watermark.
        let isr = Set(reg.isr)
        for r in running where r.id != leader.id {
            let rlog = r.replica.log
            let ownHW = rlog.highWatermark
            if ownHW > leaderLEO {
                out.append("\(tp) broker \(r.id) high watermark \(ownHW) is past leader \(leader.id)'s log end \(leaderLEO)")
            }
            let committed = isr.contains(r.id) ? max(ownHW, leaderHW) : ownHW
            let bound = min(committed, rlog.logEndOffset, leaderLEO)
            guard bound > max(rlog.logStartOffset, log.logStartOffset) else { continue }
            do {
                let start = max(rlog.logStartOffset, log.logStartOffset)
                let mine = try Self.batches(rlog, below: bound).filter { $0.last >= start }
                let theirs = try Self.batches(log, below: bound).filter { $0.last >= start }
                if mine != theirs {
                    let firstDiff = zip(mine, theirs).first { $0 != $1 }
                    out.append("\(tp) broker \(r.id)\(isr.contains(r.id) ? " (ISR)" : "") differs from leader \(leader.id) below \(bound) "
                        + "(its HW \(ownHW), leader HW \(leaderHW)): first differing batch \(firstDiff.map { "\($0.0.base)/epoch \($0.0.epoch) vs \($0.1.base)/epoch \($0.1.epoch)" } ?? "(count \(mine.count) vs \(theirs.count))")")
                }
            } catch {
                out.append("\(tp) could not compare broker \(r.id) with the leader: \(error)")
            }
        }
        return out
    }

    private mutating func noteLeader(_ tp: TopicPartition, epoch: Int32, leader: Int32, source: String) -> [String] {
        if let known = leaderOfEpoch[tp]?[epoch] {
            return known == leader ? [] : ["\(tp) epoch \(epoch) has two leaders: \(known) and \(leader) (\(source))"]
        }
        leaderOfEpoch[tp, default: [:]][epoch] = leader
        return []
    }

    // MARK: Reading logs

    struct Batch: Equatable {
        let base: Int64
        let last: Int64
        let epoch: Int32
        let bytes: [UInt8]
    }

    /// Every batch of `log` from the one holding `from` (default: the log start) starting below
    /// `bound`, oldest first.
    static func batches(_ log: PartitionLog, from: Int64? = nil, below bound: Int64) throws -> [Batch] {
        var out: [Batch] = []
        var next = max(from ?? log.logStartOffset, log.logStartOffset)
        while next < bound {
            let data = try log.read(from: next, maxBytes: 1 << 20, upTo: bound)
            let locations = try MemoryRecords.batches(in: data.bytes)
            guard let end = locations.last?.header.nextOffset, end > next else { break }
            for loc in locations where loc.header.baseOffset < bound && loc.header.lastOffset >= next {
                out.append(Batch(base: loc.header.baseOffset, last: loc.header.lastOffset, epoch: loc.header.partitionLeaderEpoch,
                                 bytes: Array(data.bytes[loc.range])))
            }
            next = end
        }
        return out
    }

    /// offset → value of every record below `bound`.
    static func values(_ log: PartitionLog, below bound: Int64) throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for b in try batches(log, below: bound) {
            for r in try MemoryRecords.records(in: b.bytes) where r.offset < bound {
                out[r.offset] = String(decoding: r.value ?? [], as: UTF8.self)
            }
        }
        return out
    }
}
