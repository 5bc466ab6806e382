import EddyProtocol
import EddyRaft
import EddyStorage
import Logging
import Synchronization

/// The controller quorum of one process (KIP-595): for each voter, a replica of the metadata
/// log (`MetadataLog`) with its `RaftNode` and `quorum-state` file, the replicas exchanging
/// Raft messages in process. The active controller is the Raft leader; metadata it writes is
/// committed once a majority of voters hold it durably, and only committed metadata is
/// published (`committedImage`).
///
/// Each voter's files, in `directory(id)`:
///
///     __cluster_metadata-0 files (see `MetadataLog`)   its replica of the metadata log
///     quorum-state                                       its election state (`QuorumStateFile`)
///
/// Driving: `write` appends as the leader (no fsync), `sync` fsyncs the leader's log and then
/// runs the replicas' exchanges until nothing is left to say (followers fetch, append, fsync and
/// report, the leader's high watermark moves, every replica commits); `tick` passes time, which
/// is what elects a leader when the active one is gone (after `controller.quorum.fetch.timeout.ms`
/// and an election timeout). Opening, every voter is local and starting, so the first election
/// runs at once on a clock stepped forward for Raft alone (safety never depends on time).
///
/// Thread-safe: one lock (`core`) guards everything. `sync` fsyncs and writes snapshot files
/// without it; the exchanges run by `tick`, `restart`, `stop` and elections fsync the
/// followers' appends under it (what the quorum waits for anyway).
public final class MetadataQuorum: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `controller.quorum.election.timeout.ms`.
        public var electionTimeoutMs: Int64 = 1000
        /// `controller.quorum.fetch.timeout.ms`.
        public var fetchTimeoutMs: Int64 = 2000
        /// `controller.quorum.election.backoff.max.ms`.
        public var electionBackoffMaxMs: Int64 = 1000
        /// `controller.quorum.request.timeout.ms`.
        public var requestTimeoutMs: Int64 = 2000
        /// Most bytes of batches one Fetch response carries (at least one batch).
        public var fetchMaxBytes = 1 << 20
        /// Most bytes of a snapshot one FetchSnapshot response carries.
        public var snapshotChunkBytes = 1 << 20

        public init() {}
    }

    /// One voter: its files, and while it runs, its log and Raft state.
    final class Member {
        let id: Int32
        let directory: String
        var log: MetadataLog?
        var raft: RaftNode?
        /// A snapshot being fetched from the leader.
        var incoming: (id: OffsetAndEpoch, bytes: [UInt8])?
        /// Why it stopped, if its disk failed (until it starts again).
        var failure: BrokerError?
        /// Changes whenever what its log holds beyond the durable point may have been replaced
        /// (opened, truncated, a snapshot installed, stopped): an fsync taken before then
        /// proves nothing about what is there now.
        var generation = 0
        /// Changes each time it is opened or stopped (a snapshot job of another run is void).
        var incarnation = 0

        init(id: Int32, directory: String) {
            self.id = id
            self.directory = directory
        }

        var isRunning: Bool { raft != nil }
    }

    /// An election or a change of role, for the console's event list and the logs.
    public struct Event: Sendable, Equatable {
        public var timeMs: Int64
        public var nodeId: Int32
        public var epoch: Int32
        public var role: RaftNode.Role
    }

    public let voters: [Int32]
    public let settings: Settings
    let core: Mutex<Core>

    /// Opens every voter's replica in `directory(id)` and elects a leader.
    public init(voters: [Int32], directory: (Int32) -> String, settings: Settings = Settings(),
                metadataSettings: MetadataLog.Settings = MetadataLog.Settings(), clock: any Clock, seed: UInt64,
                logger: Logger = Logger(label: "eddy.quorum")) throws(BrokerError) {
        precondition(!voters.isEmpty, "a quorum needs a voter")
        let voters = Array(Set(voters)).sorted()
        self.voters = voters
        self.settings = settings
        var members: [Int32: Member] = [:]
        for id in voters { members[id] = Member(id: id, directory: directory(id)) }
        var core = Core(voters: voters, settings: settings, metadataSettings: metadataSettings, clock: clock, logger: logger,
                        members: members, random: SplitMix64(seed: seed))
        do throws(BrokerError) {
            for id in voters {
                do throws(BrokerError) { try core.open(id) } catch {
                    // A replica that cannot be read back (a corrupt snapshot whose log prefix is
                    // gone, a failing disk) stays down, as a Kafka controller that fails to
                    // start: the others hold every committed record. Its files are left for the
                    // operator; wiping them would let it vote with an empty log, which can
                    // elect a leader without committed records. Alone, it is fatal.
                    guard voters.count > 1 else { throw error }
                    core.logger.critical("controller cannot open its metadata log; it stays down", metadata: ["node": "\(id)", "error": "\(error)"])
                    core.members[id]?.failure = error
                }
            }
            guard core.voters.filter({ core.members[$0]?.isRunning == true }).count >= voters.count / 2 + 1 else {
                throw core.members.values.compactMap(\.failure).first ?? .notController("too few controllers could open their metadata logs")
            }
            core.electAtOnce()
        } catch {
            core.close(flush: false)
            throw error
        }
        self.core = Mutex(core)
    }

    // MARK: - Queries

    /// The active controller's id, if a leader is elected.
    public var activeController: Int32? { core.withLock { $0.leader()?.id } }

    /// The committed metadata: the newest committed image of any running voter (every one is
    /// a prefix of the same committed log; a newly elected leader may know less than a
    /// follower until it commits its epoch).
    public var committedImage: MetadataImage {
        core.withLock { core in
            core.voters.compactMap { core.members[$0]?.log?.image }.max { $0.offset < $1.offset } ?? MetadataImage()
        }
    }

    /// Every record the leader wrote, committed or not (what the controller decides from).
    /// - Throws: NOT_CONTROLLER without a leader.
    public func latestImage() throws(BrokerError) -> MetadataImage {
        try core.withLock { core throws(BrokerError) in try core.leaderLog().latestImage }
    }

    public func isRunning(_ id: Int32) -> Bool { core.withLock { $0.members[id]?.isRunning ?? false } }

    /// The newest elections and role changes, oldest first.
    public var events: [Event] { core.withLock { $0.recentEvents } }

    /// Voter `id`'s Raft state, if it runs (tests, and `describe`).
    public func raftState(_ id: Int32) -> RaftNode? { core.withLock { $0.members[id]?.raft } }

    /// Voter `id`'s replica of the metadata log, while it runs (tests). Use it only under no
    /// other call to this quorum: the quorum's lock guards it.
    func replicaLog(_ id: Int32) -> MetadataLog? { core.withLock { $0.members[id]?.log } }

    /// The active controller's epoch, if a leader is elected.
    public var leaderEpoch: Int32? { core.withLock { $0.leader()?.raft?.epoch } }

    /// Voters that run.
    public var runningVoters: [Int32] { core.withLock { core in core.voters.filter { core.members[$0]?.isRunning == true } } }

    /// The leader's view of the quorum, as DescribeQuorum reports it (nil without a leader):
    /// each voter's log end offset as of its last fetch (the leader's own: its log end), and
    /// when it last fetched and was last caught up (-1 if never in this epoch).
    public func describe(nowMs: Int64) -> QuorumDescription? {
        core.withLock { core in
            guard let leader = core.leader(), let raft = leader.raft, let log = leader.log else { return nil }
            let voters = core.voters.map { id -> QuorumDescription.Replica in
                if id == leader.id { return .init(id: id, logEndOffset: log.logEndOffset, lastFetchMs: nowMs, lastCaughtUpMs: nowMs) }
                let progress = raft.replicas[id]
                let caughtUp = (progress?.endOffset ?? -1) >= log.logEndOffset
                // Raft's clock runs `raftTimeOffsetMs` ahead of the cluster's (see `electAtOnce`).
                let fetched = progress?.lastFetchMs.map { min(nowMs, $0 - core.raftTimeOffsetMs) } ?? -1
                return .init(id: id, logEndOffset: progress?.endOffset ?? -1, lastFetchMs: fetched, lastCaughtUpMs: caughtUp ? fetched : -1)
            }
            return QuorumDescription(leaderId: leader.id, epoch: raft.epoch, highWatermark: raft.highWatermark ?? 0, voters: voters)
        }
    }

    // MARK: - Writing

    /// Where a `write` went: the leader's epoch and the records' offsets.
    public struct Written: Sendable, Equatable {
        public var epoch: Int32
        public var offsets: ClosedRange<Int64>
    }

    /// As the active controller, appends `records` as one batch (not yet durable or committed;
    /// see `sync`). Returns their epoch and offsets.
    /// - Throws: NOT_CONTROLLER without a leader; the records' own validation errors.
    @discardableResult
    public func write(_ records: [MetadataRecord]) throws(BrokerError) -> Written {
        try core.withLock { core throws(BrokerError) -> Written in try core.write(records) }
    }

    /// What became of a `write`.
    public enum WriteStatus: Sendable, Equatable {
        /// The quorum committed it (it is in the committed image).
        case committed
        /// Not committed yet, and a running leader holds it: it may still be.
        case pending
        /// Not committed, and no running leader holds it (its leader died, stepped down or
        /// lost its disk first): it may never be, so its requester is told it failed, with
        /// this error (KAFKA_STORAGE_ERROR after a disk failure, else NOT_CONTROLLER).
        case lost(BrokerError)
    }

    /// The status of records written in `written.epoch` through `written.offsets.upperBound`.
    /// A committed offset whose batch carries another epoch means they were truncated and
    /// replaced: lost.
    public func status(of written: Written) -> WriteStatus {
        core.withLock { core in
            let offset = written.offsets.upperBound
            // Still the leader that wrote it: a leader never replaces its own records, so once
            // committed they are these.
            if let leader = core.leader(), leader.raft?.epoch == written.epoch, let log = leader.log {
                if log.image.offset >= offset { return .committed }
                if log.logEndOffset > offset { return .pending }
            }
            var undecided = false
            for id in core.voters {
                guard let log = core.members[id]?.log, log.image.offset >= offset else { continue }
                // Below a replica's log start (a snapshot) the epoch is unknown: ask the others.
                guard let epoch = log.recordEpoch(at: offset), offset >= log.logStartOffset else {
                    undecided = true
                    continue
                }
                return epoch == written.epoch ? .committed
                    : .lost(.notController("the metadata change was replaced by the next active controller's before it was committed; retry it"))
            }
            // Committed, but whether as this write or another at its offset no replica can tell
            // any more: reported as lost rather than claimed (a retry finds out).
            if undecided { return .lost(.notController("the outcome of the metadata change is unknown; check and retry it")) }
            guard let leader = core.leader(), let log = leader.log, log.logEndOffset > offset,
                  log.recordEpoch(at: offset) == written.epoch else {
                if let failure = core.members.values.compactMap(\.failure).first { return .lost(failure) }
                return .lost(.notController("the active controller changed before the metadata change was committed; retry it"))
            }
            return .pending
        }
    }

    /// Makes what the leader wrote durable and replicates it: runs the replicas' exchanges until
    /// they are done, then lets each replica snapshot if due. Returns the offset the committed
    /// image reached.
    ///
    /// The fsyncs and the snapshot files are written without the quorum's lock (so a metadata
    /// write, which takes it, never waits on the disk): each round lists under the lock what
    /// every replica appended and has not made durable, fsyncs it without the lock, then tells
    /// the replicas under the lock and runs their exchanges, which may append more (deferring
    /// their own fsyncs to the next round), until a round finds nothing to fsync.
    @discardableResult
    public func sync(snapshotting: Bool = true) -> Int64 {
        // Every running replica is ticked first, as the driver's next tick would: timers already
        // due fire, and a follower with no fetch in flight fetches now (one that has just
        // started and knows its leader has no timer due: `RaftNode.nextDeadlineMs` leaves out
        // its first fetch). Otherwise a round could end with a majority running and nothing
        // committed, and a broker start fail with REQUEST_TIMED_OUT (stress-serve seed 8300024).
        core.withLock { core in
            core.deferFlushes = true
            let now = core.nowMs
            core.tickRunning(nowMs: now)
            core.pump()
            core.deferFlushes = false
        }
        for _ in 0 ..< 10_000 {
            let due = core.withLock { $0.unflushed() }
            if due.isEmpty { break }
            var results: [(id: Int32, generation: Int, end: Int64, error: BrokerError?)] = []
            for d in due {
                do throws(BrokerError) {
                    try d.syncer.sync()
                    results.append((d.id, d.generation, d.end, nil))
                } catch {
                    results.append((d.id, d.generation, d.end, error))
                }
            }
            core.withLock { core in
                core.deferFlushes = true
                for r in results {
                    guard let m = core.members[r.id], m.isRunning, m.generation == r.generation else { continue }
                    if let error = r.error {
                        core.fail(m, error)
                    } else if r.end > m.raft!.flushedOffset {
                        core.perform(m.raft!.flushed(upTo: r.end, nowMs: core.nowMs), on: m)
                    }
                }
                core.pump()
                core.deferFlushes = false
            }
        }
        if snapshotting { snapshotIfDue() }
        return core.withLock { ($0.leader()?.log?.image.offset) ?? -1 }
    }

    /// Each replica snapshots its own committed image once `MetadataLog.Settings`' thresholds
    /// are reached, and deletes its log below the snapshot: a voter that was down longer then
    /// catches up with FetchSnapshot. The files are written without the quorum's lock; the log
    /// prefix is deleted under it, as the replica's Raft state learns its new log start.
    public func snapshotIfDue() {
        let jobs = core.withLock { $0.snapshotJobs() }
        for job in jobs {
            var written = true
            do throws(BrokerError) { try job.writer.write(job.job) } catch {
                written = false
                core.withLock { $0.logger.error("metadata snapshot failed", metadata: ["node": "\(job.id)", "error": "\(error)"]) }
            }
            core.withLock { $0.finishSnapshot(job, written: written) }
        }
    }

    /// Passes time: timers run out (elections, resignations, resent requests).
    public func tick() {
        core.withLock { core in
            let now = core.nowMs
            core.tickRunning(nowMs: now)
            core.pump()
            core.flushDeposed()
        }
    }

    // MARK: - Running and stopping voters

    /// Stops voter `id` as a crash would: what it had not fsynced is lost, its messages too.
    public func kill(_ id: Int32) {
        core.withLock { core in
            guard let m = core.members[id], m.isRunning else { return }
            core.stop(m, flush: false)
            core.logger.info("controller stopped", metadata: ["node": "\(id)"])
        }
    }

    /// Stops voter `id` cleanly: an active controller resigns first (EndQuorumEpoch, so the
    /// others elect on their next ticks rather than after the fetch timeout), and its log is
    /// flushed and closed.
    public func stop(_ id: Int32) {
        core.withLock { core in
            guard let m = core.members[id], let raft = m.raft else { return }
            if raft.isLeader {
                core.perform(m.raft!.resign(nowMs: core.nowMs), on: m)
                core.pump()
            }
            guard m.isRunning else { return }
            core.stop(m, flush: true)
            core.logger.info("controller stopped", metadata: ["node": "\(id)"])
        }
    }

    /// Closes every voter and opens only `running` again, electing at once: for a process that
    /// learns from the metadata which voters are down (their brokers stopped) only once it has
    /// opened them. The new leader then knows nothing of the others' fetches, as a quorum that
    /// started without them.
    public func reopen(only running: Set<Int32>) throws(BrokerError) {
        try core.withLock { core throws(BrokerError) in
            core.close(flush: true)
            for id in core.voters where running.contains(id) { try core.open(id) }
            core.electAtOnce()
        }
    }

    /// Elects a leader at once if none runs and a majority of voters does (on Raft's stepped
    /// clock, as at opening): a node that starts when the quorum has no leader (so that no
    /// metadata could be written) does not wait for election timeouts.
    public func electIfLeaderless() {
        core.withLock { core in
            guard core.leader() == nil else { return }
            core.electAtOnce()
        }
    }

    /// When the quorum next needs a `tick` (clock ms), if any voter runs.
    public var nextDeadlineMs: Int64? {
        core.withLock { core in
            core.voters.compactMap { core.members[$0]?.raft?.nextDeadlineMs }.min().map { $0 - core.raftTimeOffsetMs }
        }
    }

    /// Starts voter `id` again from its files.
    public func restart(_ id: Int32) throws(BrokerError) {
        try core.withLock { core throws(BrokerError) in
            guard let m = core.members[id], !m.isRunning else { return }
            try core.open(m.id)
            core.pump()
        }
    }

    /// Closes every running voter (flushing, unless `flush` is false: a crash).
    public func close(flush: Bool = true) {
        core.withLock { $0.close(flush: flush) }
    }
}

extension MetadataQuorum {
    /// Everything the quorum's lock guards, and what is done under it.
    struct Core {
        let voters: [Int32]
        let settings: Settings
        let metadataSettings: MetadataLog.Settings
        let clock: any Clock
        let logger: Logger
        let members: [Int32: Member]
        var queue: [(from: Int32, to: Int32, message: RaftMessage)] = []
        /// Set while `sync` runs the exchanges: appends are made durable by its next round
        /// rather than at once under the lock.
        var deferFlushes = false
        /// Added to the clock for Raft's timers (stepped at opening, see `MetadataQuorum`).
        var raftTimeOffsetMs: Int64 = 0
        var random: SplitMix64
        /// The newest events, oldest first (at most `maxEvents`).
        var recentEvents: [Event] = []
        static let maxEvents = 100

        init(voters: [Int32], settings: Settings, metadataSettings: MetadataLog.Settings, clock: any Clock, logger: Logger,
             members: [Int32: Member], random: SplitMix64) {
            self.voters = voters
            self.settings = settings
            self.metadataSettings = metadataSettings
            self.clock = clock
            self.logger = logger
            self.members = members
            self.random = random
        }

        var nowMs: Int64 { clock.nowMs() + raftTimeOffsetMs }

        /// The running leader (the newest epoch's, should an old one not know yet that it was
        /// replaced).
        func leader() -> Member? {
            voters.compactMap { members[$0] }.filter { $0.raft?.isLeader == true }.max { $0.raft!.epoch < $1.raft!.epoch }
        }

        func leaderLog() throws(BrokerError) -> MetadataLog {
            guard let leader = leader(), let log = leader.log else {
                // A lone voter whose disk failed stays down: say why.
                if voters.count == 1, let failure = members[voters[0]]?.failure { throw failure }
                throw .notController("no active controller: the quorum of voters \(voters.map(String.init).joined(separator: ",")) is electing one")
            }
            return log
        }

        mutating func write(_ records: [MetadataRecord]) throws(BrokerError) -> Written {
            let log = try leaderLog()
            let leader = leader()!
            let values = try log.prepare(records)
            switch leader.raft!.propose(values, nowMs: nowMs) {
            case let .success((base, actions)):
                perform(actions, on: leader)
                guard leader.isRunning else { throw log.failure ?? .notController("the active controller failed") }
                return Written(epoch: leader.raft?.epoch ?? -1, offsets: base ... base + Int64(values.count) - 1)
            case let .failure(.notLeader(other)):
                throw .notController("node \(leader.id) is not the active controller (\(other.map { "node \($0) is" } ?? "none is known"))")
            }
        }

        mutating func open(_ id: Int32) throws(BrokerError) {
            guard let m = members[id] else { return }
            let election = try QuorumStateFile.read(directory: m.directory)?.election ?? .initial
            // Every record on disk is uncommitted until the quorum's high watermark says otherwise.
            let log = try MetadataLog(directory: m.directory, settings: metadataSettings, clock: clock, logger: logger, committedEnd: 0)
            // What the last run wrote may not have been fsynced (a kill leaves it in the page
            // cache): make it durable before the Raft state counts it as flushed.
            do { try log.syncAll() } catch {
                log.closeWithoutFlush()
                throw error
            }
            var config = RaftNode.Config(nodeId: id, voters: voters)
            config.electionTimeoutMs = settings.electionTimeoutMs
            config.fetchTimeoutMs = settings.fetchTimeoutMs
            config.electionBackoffMaxMs = settings.electionBackoffMaxMs
            config.requestTimeoutMs = settings.requestTimeoutMs
            m.log = log
            m.failure = nil
            m.generation += 1
            m.incarnation += 1
            m.raft = RaftNode(config: config, election: election, log: log.raftLogState, nowMs: nowMs, seed: random.next())
            logger.info("controller started", metadata: ["node": "\(id)", "epoch": "\(m.raft!.epoch)", "role": "\(m.raft!.role)"])
        }

        /// Steps Raft's clock until a leader is elected and has committed its epoch (bounded:
        /// with fewer than a majority of voters running there is none to elect).
        mutating func electAtOnce() {
            let running = voters.filter { members[$0]?.isRunning == true }
            guard running.count >= voters.count / 2 + 1 else { return }
            for _ in 0 ..< 400 {
                if let leader = leader(), leader.raft!.highWatermark != nil { return }
                raftTimeOffsetMs += 50
                let now = nowMs
                tickRunning(nowMs: now)
                pump()
            }
            logger.warning("no controller elected at startup")
        }

        /// Passes `nowMs` to every running replica's Raft state, carrying out what it says.
        mutating func tickRunning(nowMs now: Int64) {
            for id in voters {
                guard let m = members[id], m.raft != nil else { continue }
                perform(m.raft!.tick(nowMs: now), on: m)
            }
        }

        /// Delivers queued messages (and what they cause) until none is left.
        mutating func pump() {
            var delivered = 0
            while !queue.isEmpty, delivered < 100_000 {
                let (from, to, message) = queue.removeFirst()
                delivered += 1
                guard let target = members[to], target.isRunning, members[from]?.isRunning == true else { continue }
                perform(target.raft!.receive(message, from: from, nowMs: nowMs), on: target)
            }
        }

        /// fsyncs the appends of replicas that are not (or no longer) the leader: one that lost
        /// its leadership between a `write` and the `sync` that would have made it durable would
        /// otherwise never fetch again (a replica fetches only once all it appended is durable),
        /// and keep forcing elections when its fetch timer ran out.
        mutating func flushDeposed() {
            for id in voters {
                guard let m = members[id], let raft = m.raft, !raft.isLeader, let log = m.log, log.logEndOffset > raft.flushedOffset else { continue }
                flush(m)
            }
            pump()
        }

        /// fsyncs what `m` appended and tells its Raft state.
        mutating func flush(_ m: Member) {
            guard let log = m.log, let flushed = m.raft?.flushedOffset, log.logEndOffset > flushed else { return }
            do { try log.syncWritten() } catch {
                fail(m, error)
                return
            }
            perform(m.raft!.flushed(upTo: log.logEndOffset, nowMs: nowMs), on: m)
        }

        /// What each running replica appended and has not made durable: its log end, and how
        /// to fsync it without the lock.
        func unflushed() -> [(id: Int32, generation: Int, end: Int64, syncer: MetadataLog.Syncer)] {
            voters.compactMap { id in
                guard let m = members[id], let raft = m.raft, let log = m.log, log.logEndOffset > raft.flushedOffset else { return nil }
                return (id, m.generation, log.logEndOffset, log.syncer)
            }
        }

        /// A snapshot to write for each running replica that is due one (`MetadataQuorum.snapshotIfDue`).
        func snapshotJobs() -> [SnapshotWork] {
            voters.compactMap { id in
                // Only what the replica knows committed, before anything is deleted on its strength.
                guard let m = members[id], let log = m.log, log.snapshotDue, log.image.offset + 1 <= (m.raft?.highWatermark ?? 0),
                      let job = try? log.snapshotJob() else { return nil }
                return SnapshotWork(id: id, incarnation: m.incarnation, job: job, writer: log.snapshotWriter)
            }
        }

        /// Ends a snapshot job: a written file prunes the replica's log below it, and its Raft
        /// state learns the new log start.
        mutating func finishSnapshot(_ work: SnapshotWork, written: Bool) {
            guard let m = members[work.id], m.incarnation == work.incarnation, let log = m.log else { return }
            log.finishSnapshot(work.job, written: written)
            guard written else { return }
            do { try log.pruneBelow(work.job) } catch {
                logger.error("pruning the metadata log below a snapshot failed", metadata: ["node": "\(m.id)", "error": "\(error)"])
            }
            guard let latest = log.latestSnapshot, latest.endOffset <= (m.raft?.highWatermark ?? 0) else { return }
            perform(m.raft!.snapshotTaken(OffsetAndEpoch(offset: latest.endOffset, epoch: latest.epoch), deletePrefix: true), on: m)
        }

        /// Stops a replica: its log closed (flushed, or as a crash leaves it), its messages dropped.
        mutating func stop(_ m: Member, flush: Bool) {
            if let log = m.log {
                if flush {
                    do { try log.close() } catch { logger.error("closing a metadata log failed", metadata: ["node": "\(m.id)", "error": "\(error)"]) }
                } else {
                    log.closeWithoutFlush()
                }
            }
            m.raft = nil
            m.log = nil
            m.incoming = nil
            m.generation += 1
            m.incarnation += 1
            queue.removeAll { $0.to == m.id || $0.from == m.id }
        }

        mutating func close(flush: Bool) {
            for id in voters { if let m = members[id] { stop(m, flush: flush) } }
        }

        /// A replica whose disk failed stops, as a crashed node (its log may hold what it could
        /// not make durable; it is replayed from disk when it starts again).
        mutating func fail(_ m: Member, _ error: BrokerError) {
            logger.critical("controller replica failed; stopping it", metadata: ["node": "\(m.id)", "error": "\(error)"])
            stop(m, flush: false)
            m.failure = error
        }

        /// Carries out a replica's Raft actions in order (see `RaftAction`).
        mutating func perform(_ actions: [RaftAction], on m: Member) {
            for action in actions {
                guard m.isRunning, let log = m.log else { return }
                do throws(BrokerError) {
                    switch action {
                    case let .persist(state):
                        try QuorumStateFile.write(QuorumStateFile.Contents(election: state, voters: voters), directory: m.directory)
                    case let .send(to, message):
                        queue.append((m.id, to, message))
                    case let .sendFetchResponse(to, response, from):
                        var response = response
                        if let from { response.batches = try log.raftBatches(from: from, maxBytes: settings.fetchMaxBytes) }
                        queue.append((m.id, to, .fetchResponse(response)))
                    case let .sendSnapshotChunk(to, response):
                        queue.append((m.id, to, .fetchSnapshotResponse(snapshotChunk(response, log: log))))
                    case let .append(batches):
                        if batches.allSatisfy({ $0.encoded == nil }) {
                            for batch in batches { try log.appendAsLeader(batch) }
                        } else {
                            try log.appendAsFollower(batches)
                        }
                        // A follower makes what it appended durable before it fetches again; the
                        // leader's own writes are made durable by `sync`, except its epoch's first.
                        if !deferFlushes, m.raft?.isLeader != true || batches.contains(where: \.isControl) { flush(m) }
                    case let .truncate(offset):
                        m.generation += 1
                        try log.truncate(to: offset)
                    case let .writeSnapshotChunk(id, position, bytes):
                        if m.incoming?.id != id || Int64(m.incoming?.bytes.count ?? 0) != position { m.incoming = (id, []) }
                        if Int64(m.incoming!.bytes.count) == position { m.incoming!.bytes += bytes }
                    case let .installSnapshot(id):
                        guard let incoming = m.incoming, incoming.id == id else { throw .corruptMetadata("snapshot \(id) installed before it was fetched") }
                        m.incoming = nil
                        m.generation += 1
                        try log.installSnapshot(id, bytes: incoming.bytes)
                    case let .highWatermark(hw):
                        log.commit(below: hw)
                    case let .roleChanged(role, epoch):
                        recentEvents.append(Event(timeMs: clock.nowMs(), nodeId: m.id, epoch: epoch, role: role))
                        if role != .leader, !deferFlushes { flush(m) }
                        if recentEvents.count > Self.maxEvents { recentEvents.removeFirst(recentEvents.count - Self.maxEvents) }
                        if role == .leader {
                            logger.info("elected active controller", metadata: ["node": "\(m.id)", "epoch": "\(epoch)"])
                        } else {
                            logger.debug("controller role", metadata: ["node": "\(m.id)", "epoch": "\(epoch)", "role": "\(role)"])
                        }
                    }
                } catch {
                    fail(m, error)
                    return
                }
            }
        }

        /// A chunk of the snapshot a FetchSnapshot asks for, or SNAPSHOT_NOT_FOUND /
        /// POSITION_OUT_OF_RANGE.
        func snapshotChunk(_ response: FetchSnapshotResponse, log: MetadataLog) -> FetchSnapshotResponse {
            var response = response
            guard let bytes = log.snapshotBytes(response.snapshotId) else {
                response.error = .snapshotNotFound
                return response
            }
            response.size = Int64(bytes.count)
            guard response.position >= 0, response.position <= response.size else {
                response.error = .positionOutOfRange
                return response
            }
            let start = Int(response.position)
            response.bytes = Array(bytes[start ..< min(bytes.count, start + settings.snapshotChunkBytes)])
            return response
        }
    }
}

/// A snapshot one replica is due (`MetadataQuorum.snapshotIfDue`).
struct SnapshotWork: Sendable {
    var id: Int32
    var incarnation: Int
    var job: MetadataLog.SnapshotJob
    var writer: MetadataLog.SnapshotWriter
}

/// The quorum as its leader sees it (`MetadataQuorum.describe`), for DescribeQuorum.
public struct QuorumDescription: Sendable, Equatable {
    public struct Replica: Sendable, Equatable {
        public var id: Int32
        public var logEndOffset: Int64
        public var lastFetchMs: Int64
        public var lastCaughtUpMs: Int64
    }

    public var leaderId: Int32
    public var epoch: Int32
    public var highWatermark: Int64
    public var voters: [Replica]
}
