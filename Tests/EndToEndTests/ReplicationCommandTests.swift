import EddyProtocol
import Foundation
import Testing

/// The cluster from the shell: `eddy cluster`, `eddy broker stop|start|kill`, replication
/// factors, acks and min.insync.replicas, through the built binary.
@Suite struct ReplicationCommandTests {
    /// One partition row of `eddy topics describe`, by column name.
    struct PartitionRow {
        var cells: [String: String]

        var leader: String { cells["Leader"] ?? "?" }
        var leaderId: Int? { Int(leader) }
        var leaderEpoch: Int { Int(cells["LeaderEpoch"] ?? "") ?? -2 }
        var replicas: [Int] { (cells["Replicas"] ?? "").split(separator: ",").compactMap { Int($0) } }
        var isr: [Int] { (cells["Isr"] ?? "").split(separator: ",").compactMap { Int($0) } }
        var logEndOffset: Int64 { Int64(cells["LogEndOffset"] ?? "") ?? -2 }
        var highWatermark: Int64 { Int64(cells["HighWatermark"] ?? "") ?? -2 }
    }

    func eddy(_ args: [String], _ dir: TempDataDir, stdin: [UInt8] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> Eddy.Result {
        try Eddy.run(args + dir.flag, stdin: stdin, sourceLocation: sourceLocation)
    }

    /// Runs a command that must succeed.
    @discardableResult
    func ok(_ args: [String], _ dir: TempDataDir, stdin: [UInt8] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> Eddy.Result {
        let r = try eddy(args, dir, stdin: stdin, sourceLocation: sourceLocation)
        try #require(r.status == 0, "\(args): \(r)", sourceLocation: sourceLocation)
        return r
    }

    func describe(_ topic: String, _ dir: TempDataDir, sourceLocation: SourceLocation = #_sourceLocation) throws -> [PartitionRow] {
        let r = try ok(["topics", "describe", "--topic", topic], dir, sourceLocation: sourceLocation)
        let lines = r.outLines
        try #require(lines.count >= 2, "\(r)", sourceLocation: sourceLocation)
        let header = lines[1].split(separator: " ").map(String.init)
        return try lines[2...].map { line in
            let cells = line.split(separator: " ").map(String.init)
            try #require(cells.count == header.count, "\(r)", sourceLocation: sourceLocation)
            return PartitionRow(cells: Dictionary(uniqueKeysWithValues: zip(header, cells)))
        }
    }

    func lines(_ prefix: String, _ range: Range<Int>) -> [UInt8] {
        Array(range.map { "\(prefix)\($0)\n" }.joined().utf8)
    }

    /// Each broker's high watermark of `tp` from its replication-offset-checkpoint (written at
    /// the clean shutdown that ends every command).
    func checkpointedHighWatermark(_ dir: TempDataDir, broker: Int, _ topic: String, _ partition: Int) throws -> Int64? {
        let text = try String(contentsOfFile: dir.brokerDirectory(broker) + "/replication-offset-checkpoint", encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").map(String.init) }
        return rows.first { $0.count == 3 && $0[0] == topic && $0[1] == "\(partition)" }.flatMap { Int64($0[2]) }
    }

    /// Every replica of the partition holds the same batches, byte for byte, below the high
    /// watermark, and its files are contiguous from offset 0 (read from the segment files).
    func expectIdenticalReplicas(_ dir: TempDataDir, _ topic: String, _ partition: Int, highWatermark: Int64,
                                 replicas: [Int], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(dir.replicaBrokers(topic, partition) == replicas.sorted(), sourceLocation: sourceLocation)
        var logs: [Int: [[UInt8]]] = [:]
        var committedRecords: [Int: Int] = [:]
        for b in replicas {
            let files = PartitionFiles(directory: dir.brokerDirectory(b) + "/\(topic)-\(partition)")
            let end = try files.verifyContiguous("broker \(b) \(topic)-\(partition)")
            #expect(end >= highWatermark, "broker \(b) ends at \(end), below the high watermark \(highWatermark)",
                    sourceLocation: sourceLocation)
            #expect(try checkpointedHighWatermark(dir, broker: b, topic, partition) == highWatermark,
                    "broker \(b)'s high watermark", sourceLocation: sourceLocation)
            var batches: [[UInt8]] = []
            for path in try files.segmentLogs() {
                let bytes = try files.bytes(path)
                for loc in try files.batches(path) where loc.header.nextOffset <= highWatermark {
                    batches.append(Array(bytes[loc.range]))
                    committedRecords[b, default: 0] += Int(loc.header.recordCount)
                }
            }
            logs[b] = batches
        }
        let first = try #require(logs[replicas[0]], sourceLocation: sourceLocation)
        #expect(committedRecords[replicas[0]] == Int(highWatermark), "the batches end exactly at the high watermark",
                sourceLocation: sourceLocation)
        for b in replicas.dropFirst() {
            #expect(logs[b] == first, "broker \(b)'s log differs from broker \(replicas[0])'s below the high watermark",
                    sourceLocation: sourceLocation)
        }
    }

    /// The scenario: RF=3, min.insync.replicas=2; acks=all survives one stopped broker
    /// and fails with NOT_ENOUGH_REPLICAS after a second; both return, catch up, and every
    /// acknowledged record is there exactly once, identical on every replica.
    @Test func acksAllWithMinInsyncReplicasAcrossStopsAndStarts() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let initialised = try ok(["cluster", "init", "--brokers", "3"], dir)
        #expect(initialised.outLines.count == 1 && initialised.out.hasPrefix("Initialised cluster "), "\(initialised)")
        try ok(["topics", "create", "--topic", "pay", "--partitions", "1", "--replication-factor", "3",
                "--config", "min.insync.replicas=2"], dir)
        let created = try describe("pay", dir)
        try #require(created.count == 1)
        #expect(created[0].replicas.sorted() == [0, 1, 2] && created[0].isr.sorted() == [0, 1, 2], "\(created)")
        let a = try #require(created[0].leaderId)
        let b = try #require(created[0].replicas.first { $0 != a })

        let first = try ok(["produce", "--topic", "pay", "--acks", "all"], dir, stdin: lines("first-", 0 ..< 100))
        #expect(first.stderr.hasSuffix("to pay: partition 0 offsets 0..99\n"), "\(first)")
        #expect(try describe("pay", dir)[0].highWatermark == 100)

        // Stop the leader: leadership moves to another in-sync replica, which takes acks=all.
        let stopA = try ok(["broker", "stop", "--id", "\(a)"], dir)
        #expect(stopA.outLines.first == "Stopped broker \(a) (controlled shutdown).", "\(stopA)")
        #expect(stopA.outLines.contains { $0.hasPrefix("  pay-0: leader \(a) -> ") }, "\(stopA)")
        let afterA = try describe("pay", dir)[0]
        #expect(afterA.leaderId != a && afterA.leaderId != nil && afterA.leaderEpoch == created[0].leaderEpoch + 1, "\(afterA)")
        #expect(afterA.isr.count == 2 && !afterA.isr.contains(a), "\(afterA)")
        let second = try ok(["produce", "--topic", "pay"], dir, stdin: lines("second-", 0 ..< 50))
        #expect(second.stderr.hasSuffix("to pay: partition 0 offsets 100..149\n"), "\(second)")

        // A second stop leaves one in-sync replica: below min.insync.replicas.
        try ok(["broker", "stop", "--id", "\(b)"], dir)
        let refused = try eddy(["produce", "--topic", "pay", "--acks", "all"], dir, stdin: lines("refused-", 0 ..< 10))
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.errLines.last?.hasPrefix("eddy: NOT_ENOUGH_REPLICAS: ") == true, "\(refused)")
        let down = try ok(["cluster", "describe"], dir).outLines
        #expect(down.contains("Under-replicated partitions:  1") && down.contains("Offline partitions:           0"), "\(down)")
        #expect(down.contains { $0.split(separator: " ") == ["\(a)", "stopped", "0", "1"] }, "\(down)")
        #expect(down.contains { $0.split(separator: " ") == ["\(b)", "stopped", "0", "1"] }, "\(down)")

        // Both come back, catch up and rejoin the ISR; the preferred leader leads again.
        let startA = try ok(["broker", "start", "--id", "\(a)"], dir)
        #expect(startA.outLines.first == "Started broker \(a); it caught up with the leaders.", "\(startA)")
        try ok(["broker", "start", "--id", "\(b)"], dir)
        let healed = try describe("pay", dir)[0]
        #expect(healed.isr.sorted() == [0, 1, 2] && healed.leaderId == created[0].replicas[0], "\(healed)")
        #expect(healed.logEndOffset == 150 && healed.highWatermark == 150, "\(healed)")
        let up = try ok(["cluster", "describe"], dir).outLines
        #expect(up.contains("Under-replicated partitions:  0") && up.contains("Brokers:                      3 (running: 0,1,2)"), "\(up)")

        let consumed = try ok(["consume", "--topic", "pay", "--exit-at-end", "--format", ConsumedRecord.format], dir)
        let records = try ConsumedRecord.parse(consumed)
        #expect(records.map(\.value) == (0 ..< 100).map { "first-\($0)" } + (0 ..< 50).map { "second-\($0)" })
        #expect(records.map(\.offset) == (0 ..< 150).map { Int64($0) })
        try expectIdenticalReplicas(dir, "pay", 0, highWatermark: 150, replicas: [0, 1, 2])
    }

    @Test func clusterInitAndDescribe() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let missing = try eddy(["cluster", "describe"], dir)
        #expect(missing.status == 1 && missing.stderr == "eddy: no eddy data directory at \(dir.path); create one with: eddy cluster init --data-dir \(dir.path)\n",
                "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
        let initialised = try ok(["cluster", "init", "--brokers", "5"], dir)
        #expect(initialised.out.hasSuffix(" with 5 brokers (ids 0..4) and 3 combined controllers (0,1,2) in \(dir.path).\n"), "\(initialised)")
        #expect((0 ..< 5).allSatisfy { FileManager.default.fileExists(atPath: dir.brokerDirectory($0)) })
        let again = try eddy(["cluster", "init"], dir)
        #expect(again.status == 1 && again.errLines.count == 1 && again.stderr.contains("is already initialised"), "\(again)")

        try ok(["topics", "create", "--topic", "wide", "--partitions", "10", "--replication-factor", "2"], dir)
        try ok(["topics", "create", "--topic", "one", "--partitions", "1"], dir)
        let d = try ok(["cluster", "describe"], dir).outLines
        try #require(d.count == 28, "\(d)")
        #expect(d[0].hasPrefix("Cluster id:                   ") && d[0].count > 40)
        let controller = try #require(d[1].split(separator: " ").last.flatMap { Int($0) })
        #expect((0 ... 2).contains(controller) && d[1].hasPrefix("Controller: "), "\(d)")
        #expect(Array(d[2 ... 5]) == ["Brokers:                      5 (running: 0,1,2,3,4)",
                                      "Topics:                       2 (11 partitions)",
                                      "Under-replicated partitions:  0",
                                      "Offline partitions:           0"])
        #expect(d[6] == "" && d[7].split(separator: " ") == ["Id", "State", "Leaders", "Replicas"])
        let rows = d[8 ... 12].map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map { $0[0] } == ["0", "1", "2", "3", "4"] && rows.allSatisfy { $0[1] == "running" })
        // 11 partitions led, 21 replicas, spread round-robin: every broker leads 2 or 3.
        #expect(rows.map { Int($0[2])! }.reduce(0, +) == 11 && rows.allSatisfy { (2 ... 3).contains(Int($0[2])!) }, "\(d)")
        #expect(rows.map { Int($0[3])! }.reduce(0, +) == 21, "\(d)")
        // The metadata quorum, as kafka-metadata-quorum prints it: the active controller leads
        // the three voters (brokers 0-2), the other brokers observe, nobody lags.
        let highWatermark = try #require(d[16].split(separator: " ").last.flatMap { Int($0) })
        let epoch = try #require(d[15].split(separator: " ").last.flatMap { Int($0) })
        let lagTime = d[18].split(separator: " ").last.map(String.init) ?? "?"
        let expectedStatus: [[String]] = [
            ["LeaderId:", "\(controller)"], ["LeaderEpoch:", "\(epoch)"], ["HighWatermark:", "\(highWatermark)"], ["MaxFollowerLag:", "0"],
            ["MaxFollowerLagTimeMs:", lagTime], ["CurrentVoters:", "[0,1,2]"], ["CurrentObservers:", "[3,4]"],
        ]
        let status: [[String]] = d[14 ... 20].map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        #expect(d[13] == "" && status == expectedStatus.map { [$0[0], String(repeating: " ", count: 29 - $0[0].count) + $0[1]] }, "\(d)")
        #expect(epoch > 0 && highWatermark > 0 && d[21] == "" && d[22].split(separator: " ") == ["NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"])
        let replicas = d[23...].map { $0.split(separator: " ").map(String.init) }
        let followers = [0, 1, 2].filter { $0 != controller }.map { ["\($0)", "\(highWatermark)", "0", "Follower"] }
        #expect(replicas.map { [$0[0], $0[1], $0[2], $0[5]] } == [["\(controller)", "\(highWatermark)", "0", "Leader"]] + followers
            + (3 ... 4).map { ["\($0)", "\(highWatermark)", "0", "Observer"] }, "\(d)")
        // Replication factor up to the number of brokers; more is refused.
        try ok(["topics", "create", "--topic", "all5", "--partitions", "1", "--replication-factor", "5"], dir)
        let tooMany = try eddy(["topics", "create", "--topic", "six", "--partitions", "1", "--replication-factor", "6"], dir)
        #expect(tooMany.status == 1 && tooMany.stderr.hasPrefix("eddy: INVALID_REPLICATION_FACTOR: "), "\(tooMany)")
    }

    @Test func clusterInitTakesTheControllerQuorum() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        for (args, message) in [(["--controllers", "2"], "--controllers must be 1, 3 or 5"),
                                (["--brokers", "3", "--controllers", "5"], "--controllers 5 needs at least 5 brokers in combined mode (or --controller-mode separate)")] {
            let r = try eddy(["cluster", "init"] + args, dir)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r)")
        }
        let r = try ok(["cluster", "init", "--brokers", "2", "--controllers", "5", "--controller-mode", "separate"], dir)
        #expect(r.out.hasSuffix(" with 2 brokers (ids 0..1) and 5 separate controllers (3000,3001,3002,3003,3004) in \(dir.path).\n"), "\(r)")
        let d = try ok(["cluster", "describe"], dir).outLines
        #expect(d.contains("CurrentVoters:                [3000,3001,3002,3003,3004]") && d.contains("CurrentObservers:             [0,1]"), "\(d)")
        // A separate controller stops only on a running server: a data directory's next command would run it again.
        let killed = try eddy(["broker", "kill", "--id", "3001"], dir)
        #expect(killed.status == 1 && killed.errLines == ["eddy: node 3001 is a separate controller; stop, start or kill it on a running server (eddy broker ... --bootstrap-server)"], "\(killed)")
    }

    @Test func brokerIdsAreCheckedAndStopAndStartAreIdempotent() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try ok(["cluster", "init"], dir)
        for command in ["stop", "start", "kill"] {
            let r = try eddy(["broker", command, "--id", "3"], dir)
            #expect(r.status == 1 && r.stderr == "eddy: BROKER_ID_NOT_REGISTERED: Broker 3 is not part of this cluster; its brokers are 0,1,2.\n",
                    "\(command): \(r)")
        }
        #expect(try ok(["broker", "start", "--id", "1"], dir).outLines == ["Broker 1 is already running."])
        try ok(["broker", "stop", "--id", "1"], dir)
        #expect(try ok(["broker", "stop", "--id", "1"], dir).outLines == ["Broker 1 is already stopped."])
        #expect(try ok(["broker", "kill", "--id", "1"], dir).outLines == ["Broker 1 is already stopped."])
        // New topics go to the running brokers only.
        let tooMany = try eddy(["topics", "create", "--topic", "t", "--partitions", "1", "--replication-factor", "3"], dir)
        #expect(tooMany.status == 1 && tooMany.stderr.hasPrefix("eddy: INVALID_REPLICATION_FACTOR: "), "\(tooMany)")
        try ok(["topics", "create", "--topic", "t", "--partitions", "4", "--replication-factor", "2"], dir)
        #expect(try describe("t", dir).allSatisfy { Set($0.replicas) == [0, 2] })
        let missing = TempDataDir()
        defer { missing.remove() }
        let r = try eddy(["broker", "stop", "--id", "0"], missing)
        #expect(r.status == 1 && r.stderr.hasPrefix("eddy: no eddy data directory at "), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }

    /// A partition whose only in-sync replica is down is offline: Leader none, produce and
    /// consume fail with LEADER_NOT_AVAILABLE; when the broker returns it leads again.
    @Test func offlinePartitionWhileItsOnlyReplicaIsStopped() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try ok(["topics", "create", "--topic", "solo", "--partitions", "1"], dir)
        try ok(["produce", "--topic", "solo"], dir, stdin: lines("v", 0 ..< 5))
        let leader = try #require(try describe("solo", dir)[0].leaderId)
        let stop = try ok(["broker", "stop", "--id", "\(leader)"], dir)
        #expect(stop.outLines.contains("  solo-0: leader \(leader) -> none"), "\(stop)")
        #expect(stop.outLines.last == "Under-replicated partitions: 0, offline partitions: 1.", "\(stop)")
        let offline = try describe("solo", dir)[0]
        #expect(offline.leader == "none" && offline.isr == [leader], "\(offline)")
        #expect(try ok(["cluster", "describe"], dir).outLines.contains("Offline partitions:           1"))
        for args in [["produce", "--topic", "solo"], ["consume", "--topic", "solo", "--exit-at-end"]] {
            let r = try eddy(args, dir, stdin: Array("x\n".utf8))
            #expect(r.status == 1 && r.errLines.last?.hasPrefix("eddy: LEADER_NOT_AVAILABLE: ") == true, "\(args): \(r)")
        }
        let status = try ok(["status"], dir)
        #expect(status.outLines.contains { $0.split(separator: " ").prefix(3) == ["solo", "0", "none"] }, "\(status)")
        try ok(["broker", "start", "--id", "\(leader)"], dir)
        #expect(try describe("solo", dir)[0].leaderId == leader)
        #expect(try ok(["consume", "--topic", "solo", "--exit-at-end"], dir).outLines == (0 ..< 5).map { "v\($0)" })
    }

    /// `broker kill` of a leader: the controller fences it and elects another in-sync replica
    /// at once; restarted, it recovers, truncates by leader epoch and catches up.
    @Test func killedLeaderFailsOverAndCatchesUpAfterStart() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try ok(["topics", "create", "--topic", "k", "--partitions", "2", "--replication-factor", "3",
                "--config", "segment.bytes=2048"], dir)
        try ok(["produce", "--topic", "k", "--partition", "0"], dir, stdin: lines("a", 0 ..< 300))
        let before = try describe("k", dir)
        let victim = try #require(before[0].leaderId)
        let kill = try ok(["broker", "kill", "--id", "\(victim)"], dir)
        #expect(kill.outLines.first == "Killed broker \(victim); its unflushed data is lost. Start it with: eddy broker start --id \(victim)",
                "\(kill)")
        let after = try describe("k", dir)
        #expect(after[0].leaderId != victim && after[0].leaderId != nil && !after[0].isr.contains(victim), "\(after)")
        #expect(after[0].leaderEpoch > before[0].leaderEpoch)
        let d = try ok(["cluster", "describe"], dir).outLines
        #expect(d.contains { $0.split(separator: " ").prefix(2) == ["\(victim)", "stopped"] }, "\(d)")
        try ok(["produce", "--topic", "k", "--partition", "0"], dir, stdin: lines("b", 0 ..< 200))
        try ok(["produce", "--topic", "k", "--partition", "1", "--acks", "1"], dir, stdin: lines("c", 0 ..< 20))
        try ok(["broker", "start", "--id", "\(victim)"], dir)
        let healed = try describe("k", dir)
        #expect(healed.allSatisfy { $0.isr.sorted() == [0, 1, 2] }, "\(healed)")
        #expect(healed.map(\.highWatermark) == [500, 20], "\(healed)")
        let values = try ok(["consume", "--topic", "k", "--partition", "0", "--exit-at-end"], dir).outLines
        #expect(values == (0 ..< 300).map { "a\($0)" } + (0 ..< 200).map { "b\($0)" })
        try expectIdenticalReplicas(dir, "k", 0, highWatermark: 500, replicas: [0, 1, 2])
        try expectIdenticalReplicas(dir, "k", 1, highWatermark: 20, replicas: [0, 1, 2])
    }

    @Test func acksZeroAndOneProduceAndReport() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try ok(["topics", "create", "--topic", "t", "--partitions", "1", "--replication-factor", "2"], dir)
        let one = try ok(["produce", "--topic", "t", "--acks", "1"], dir, stdin: lines("x", 0 ..< 3))
        #expect(one.stderr.hasSuffix("to t: partition 0 offsets 0..2\n"), "\(one)")
        let zero = try ok(["produce", "--topic", "t", "--acks", "0"], dir, stdin: lines("y", 0 ..< 2))
        #expect(zero.stderr.hasPrefix("eddy: produced 2 records ("), "\(zero)")
        let minusOne = try ok(["produce", "--topic", "t", "--acks", "-1", "--timeout-ms", "5000"], dir, stdin: lines("z", 0 ..< 1))
        #expect(minusOne.stderr.hasSuffix("to t: partition 0 offsets 5..5\n"), "\(minusOne)")
        let all = try ok(["consume", "--topic", "t", "--exit-at-end"], dir).outLines
        #expect(all == ["x0", "x1", "x2", "y0", "y1", "z0"])
        let p = try describe("t", dir)[0]
        try expectIdenticalReplicas(dir, "t", 0, highWatermark: 6, replicas: p.replicas)
    }

    /// The leader's ISR shrinks to itself, then it stops too. Without unclean election the
    /// partition waits offline for it and loses nothing; with it, the out-of-sync replica leads
    /// and the records only the old leader had are reported lost, then truncated away.
    @Test(arguments: [false, true])
    func uncleanLeaderElection(enabled: Bool) throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try ok(["topics", "create", "--topic", "u", "--partitions", "1", "--replication-factor", "2",
                "--config", "unclean.leader.election.enable=\(enabled)"], dir)
        try ok(["produce", "--topic", "u"], dir, stdin: lines("in-sync-", 0 ..< 10))
        let p = try describe("u", dir)[0]
        let leader = try #require(p.leaderId)
        let follower = try #require(p.replicas.first { $0 != leader })
        try ok(["broker", "stop", "--id", "\(follower)"], dir)
        try ok(["produce", "--topic", "u"], dir, stdin: lines("leader-only-", 0 ..< 5))
        let stop = try ok(["broker", "stop", "--id", "\(leader)"], dir)
        #expect(stop.outLines.contains("  u-0: leader \(leader) -> none"), "\(stop)")
        let start = try ok(["broker", "start", "--id", "\(follower)"], dir)
        let expected = (0 ..< 10).map { "in-sync-\($0)" }
        if enabled {
            #expect(start.outLines.contains("  u-0: leader none -> \(follower), isr \(leader) -> \(follower)"), "\(start)")
            #expect(start.outLines.contains("  unclean leader elections: u-0: up to 5 records lost"), "\(start)")
            #expect(try ok(["consume", "--topic", "u", "--exit-at-end"], dir).outLines == expected)
        } else {
            #expect(!start.outLines.contains { $0.contains("unclean") }, "\(start)")
            #expect(try describe("u", dir)[0].leader == "none")
        }
        try ok(["broker", "start", "--id", "\(leader)"], dir)
        let healed = try describe("u", dir)[0]
        #expect(healed.isr.sorted() == [leader, follower].sorted() && healed.leaderId == leader, "\(healed)")
        let all = try ok(["consume", "--topic", "u", "--exit-at-end"], dir).outLines
        #expect(all == (enabled ? expected : expected + (0 ..< 5).map { "leader-only-\($0)" }))
        try expectIdenticalReplicas(dir, "u", 0, highWatermark: enabled ? 10 : 15, replicas: [leader, follower].sorted())
    }
}
