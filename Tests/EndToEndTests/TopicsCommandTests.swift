import Foundation
import Testing

/// `eddy topics ...` through the built binary.
@Suite struct TopicsCommandTests {
    func words(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }

    @Test func createListDescribeAlterDelete() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let created = try Eddy.run(["topics", "create", "--topic", "orders", "--partitions", "3",
                                    "--config", "retention.ms=86400000", "--config", "segment.bytes=1048576"] + dir.flag)
        #expect(created.status == 0, "\(created)")
        #expect(created.outLines == ["Created topic orders."])
        try dir.createTopic("audit.log_v2", partitions: 1)

        let list = try Eddy.run(["topics", "list"] + dir.flag)
        #expect(list.status == 0)
        #expect(list.outLines == ["audit.log_v2", "orders"])

        let describe = try Eddy.run(["topics", "describe", "--topic", "orders"] + dir.flag)
        #expect(describe.status == 0, "\(describe)")
        let lines = describe.outLines
        try #require(lines.count == 5, "\(describe)")
        #expect(lines[0].hasPrefix("Topic: orders  TopicId: "))
        #expect(lines[0].hasSuffix("  PartitionCount: 3  ReplicationFactor: 1  Configs: retention.ms=86400000,segment.bytes=1048576"))
        #expect(lines[1].split(separator: " ") == ["Partition", "Leader", "LeaderEpoch", "Replicas", "Isr", "LogStartOffset",
                                                   "LogEndOffset", "HighWatermark", "Segments", "Size"])
        var leaders = Set<String>()
        for p in 0 ..< 3 {
            // Replication factor 1 (the default): the leader is the only replica and the whole ISR.
            let row = lines[2 + p].split(separator: " ").map(String.init)
            try #require(row.count == 10, "\(describe)")
            #expect(row == ["\(p)", row[1], "0", row[1], row[1], "0", "0", "0", "1", "0"], "\(describe)")
            #expect(dir.replicaBrokers("orders", p) == [try #require(Int(row[1]))])
            leaders.insert(row[1])
        }
        #expect(leaders == ["0", "1", "2"], "round-robin assignment spreads the leaders over the 3 brokers")
        // Columns line up under their headings.
        let segmentsColumn = try #require(lines[1].firstRange(of: "Segments")).lowerBound.utf16Offset(in: lines[1])
        for line in lines[2...] {
            let cell = line.utf16.dropFirst(segmentsColumn).prefix(2)
            #expect(String(decoding: Array(cell), as: UTF16.self) == "1 ", "\(describe)")
        }

        let alter = try Eddy.run(["topics", "alter", "--topic", "orders", "--config", "retention.ms=1000",
                                  "--delete-config", "segment.bytes"] + dir.flag)
        #expect(alter.status == 0, "\(alter)")
        #expect(alter.outLines == ["Completed updating config for topic orders."])
        let after = try Eddy.run(["topics", "describe", "--topic", "orders"] + dir.flag)
        #expect(after.outLines.first?.hasSuffix("Configs: retention.ms=1000") == true, "\(after)")

        let all = try Eddy.run(["topics", "describe"] + dir.flag)
        #expect(all.outLines.filter { $0.hasPrefix("Topic: ") }.count == 2)
        #expect(all.outLines.contains(""), "topics are separated by a blank line")

        let delete = try Eddy.run(["topics", "delete", "--topic", "orders"] + dir.flag)
        #expect(delete.status == 0, "\(delete)")
        #expect(delete.outLines == ["Deleted topic orders."])
        #expect(try Eddy.run(["topics", "list"] + dir.flag).outLines == ["audit.log_v2"])
        #expect(!FileManager.default.fileExists(atPath: dir.partitionDirectory("orders", 0)))
    }

    @Test func describeShowsOffsetsAndSizesAfterProduce() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 2)
        let input = Array((0 ..< 10).map { "v\($0)\n" }.joined().utf8)
        try #require(try Eddy.run(["produce", "--topic", "t", "--partition", "1"] + dir.flag, stdin: input).status == 0)
        let d = try Eddy.run(["topics", "describe", "--topic", "t"] + dir.flag)
        let row0 = d.outLines[2].split(separator: " ").map(String.init)
        let row1 = d.outLines[3].split(separator: " ").map(String.init)
        try #require(row0.count == 10 && row1.count == 10, "\(d)")
        #expect(row0 == ["0", row0[1], "0", row0[1], row0[1], "0", "0", "0", "1", "0"])
        #expect(Array(row1[0 ..< 9]) == ["1", row1[1], "0", row1[1], row1[1], "0", "10", "10", "1"])
        let size = try #require(Int(row1[9]))
        let onDisk = try FileManager.default.attributesOfItem(atPath: dir.partitionDirectory("t", 1) + "/00000000000000000000.log")[.size] as? Int
        #expect(size == onDisk)
    }

    /// `topics alter --partitions` (CreatePartitions) in a data directory and against `eddy
    /// serve`: the new count, the new partitions taking records, and Kafka's errors.
    @Test func alterPartitionsRaisesTheCount() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 2)
        let grown = try Eddy.run(["topics", "alter", "--topic", "t", "--partitions", "5"] + dir.flag)
        #expect(grown.status == 0 && grown.outLines == ["Topic t now has 5 partitions."], "\(grown)")
        let described = try Eddy.run(["topics", "describe", "--topic", "t"] + dir.flag)
        #expect(described.outLines.first?.contains("PartitionCount: 5") == true && described.outLines.count == 7, "\(described)")
        #expect(try Eddy.run(["produce", "--topic", "t", "--partition", "4"] + dir.flag, stdin: Array("x\n".utf8)).status == 0)
        #expect(try Eddy.run(["consume", "--topic", "t", "--partition", "4", "--exit-at-end"] + dir.flag).outLines == ["x"])
        for (count, message) in [("5", "eddy: INVALID_PARTITIONS: Topic already has 5 partition(s)."),
                                 ("3", "eddy: INVALID_PARTITIONS: The topic t currently has 5 partition(s); 3 would not be an increase.")] {
            let r = try Eddy.run(["topics", "alter", "--topic", "t", "--partitions", count] + dir.flag)
            #expect(r.status == 1 && r.errLines == [message], "\(r)")
        }
        let zero = try Eddy.run(["topics", "alter", "--topic", "t", "--partitions", "0"] + dir.flag)
        #expect(zero.status == 2 && zero.errLines.count == 1, "\(zero)")

        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "w", "--partitions", "1", "--replication-factor", "3"] + server.flag).status == 0)
        let remote = try Eddy.run(["topics", "alter", "--topic", "w", "--partitions", "3", "--config", "retention.ms=60000"] + server.flag)
        #expect(remote.status == 0 && remote.outLines == ["Topic w now has 3 partitions.", "Completed updating config for topic w."], "\(remote)")
        let rows = try Eddy.run(["topics", "describe", "--topic", "w"] + server.flag).outLines
        #expect(rows.first?.contains("PartitionCount: 3  ReplicationFactor: 3  Configs: retention.ms=60000") == true, "\(rows)")
        #expect(rows.dropFirst(2).map { $0.split(separator: " ")[4].split(separator: ",").count } == [3, 3, 3], "ISR of 3 everywhere: \(rows)")
        #expect(try Eddy.run(["produce", "--topic", "w", "--partition", "2"] + server.flag, stdin: Array("y\n".utf8)).status == 0)
        #expect(try Eddy.run(["consume", "--topic", "w", "--partition", "2", "--exit-at-end"] + server.flag).outLines == ["y"])
        let down = try Eddy.run(["topics", "alter", "--topic", "w", "--partitions", "2"] + server.flag)
        #expect(down.status == 1 && down.errLines.first?.hasPrefix("eddy: INVALID_PARTITIONS: ") == true, "\(down)")
    }

    /// kafka-topics' partition reports and existence flags: --under-replicated-partitions,
    /// --at-min-isr-partitions, --under-min-isr-partitions, --unavailable-partitions,
    /// --exclude-internal, --if-exists and --if-not-exists, in a data directory and over the wire.
    @Test func partitionReportsAndExistenceFlags() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("m", partitions: 2, configs: ["min.insync.replicas=2"])
        let rf3 = try Eddy.run(["topics", "create", "--topic", "r", "--partitions", "1", "--replication-factor", "3"] + dir.flag)
        #expect(rf3.status == 0, "\(rf3)")
        #expect(try Eddy.run(["topics", "create", "--topic", "s", "--partitions", "1", "--replication-factor", "2"] + dir.flag).status == 0)
        func topicsIn(_ args: [String]) throws -> [String] {
            let r = try Eddy.run(["topics", "describe"] + args + dir.flag)
            #expect(r.status == 0, "\(r)")
            return r.outLines.filter { $0.hasPrefix("Topic: ") }.map { String($0.split(separator: " ")[1]) }
        }
        // Every ISR full: nothing is under-replicated or unavailable.
        #expect(try topicsIn(["--under-replicated-partitions"]).isEmpty)
        #expect(try topicsIn(["--unavailable-partitions"]).isEmpty)
        // Stop a broker: every replica it held leaves its ISR.
        #expect(try Eddy.run(["broker", "stop", "--id", "2"] + dir.flag).status == 0)
        let described = try Eddy.run(["topics", "describe", "--topic", "r", "--under-replicated-partitions"] + dir.flag)
        #expect(described.outLines.count == 3 && described.outLines[2].split(separator: " ")[4].split(separator: ",").sorted() == ["0", "1"],
                "\(described)")
        let underReplicated = try topicsIn(["--under-replicated-partitions", "--exclude-internal"])
        #expect(underReplicated.contains("r"), "\(underReplicated)")
        // m has one replica per partition (the default) and min.insync.replicas 2: below it, not
        // at it; s (RF 2, min ISR 1) lost broker 2's replica only if it held one.
        #expect(try topicsIn(["--under-min-isr-partitions"]) == ["m"])
        #expect(try !topicsIn(["--at-min-isr-partitions"]).contains("m"))
        #expect(try topicsIn(["--exclude-internal"]).allSatisfy { !$0.hasPrefix("__") })
        #expect(try Eddy.run(["broker", "start", "--id", "2"] + dir.flag).status == 0)

        // Existence flags: nothing printed, status 0.
        for args in [["topics", "describe", "--topic", "nope", "--if-exists"], ["topics", "delete", "--topic", "nope", "--if-exists"],
                     ["topics", "alter", "--topic", "nope", "--partitions", "3", "--if-exists"],
                     ["topics", "create", "--topic", "m", "--partitions", "1", "--if-not-exists"]] {
            let r = try Eddy.run(args + dir.flag)
            #expect(r.status == 0 && r.out.isEmpty && r.stderr.isEmpty, "\(args): \(r)")
        }
        let without = try Eddy.run(["topics", "delete", "--topic", "nope"] + dir.flag)
        #expect(without.status == 1 && without.errLines == ["eddy: UNKNOWN_TOPIC_OR_PARTITION: Topic 'nope' does not exist."], "\(without)")
        for bad in [["--if-exists"], ["--under-replicated-partitions", "--unavailable-partitions"]] {
            let r = try Eddy.run(["topics", "describe"] + bad + dir.flag)
            #expect(r.status == 2 && r.errLines.count == 1, "\(bad): \(r)")
        }

        // Over the wire: a stopped broker's replicas show under --under-replicated-partitions.
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "w", "--partitions", "1", "--replication-factor", "3"] + server.flag).status == 0)
        #expect(try Eddy.run(["topics", "describe", "--under-replicated-partitions"] + server.flag).outLines.isEmpty)
        #expect(try Eddy.run(["broker", "stop", "--id", "1"] + server.flag).status == 0)
        try waitFor("partition w-0 under-replicated") {
            try Eddy.run(["topics", "describe", "--under-replicated-partitions", "--exclude-internal"] + server.flag).outLines
                .first?.hasPrefix("Topic: w ") == true
        }
        let all = try Eddy.run(["topics", "describe"] + server.flag).outLines.filter { $0.hasPrefix("Topic: ") }
        #expect(all.contains { $0.hasPrefix("Topic: __consumer_offsets ") } || all.count == 1, "internal topics listed as Kafka lists them: \(all)")
        #expect(try Eddy.run(["topics", "create", "--topic", "w", "--partitions", "1", "--if-not-exists"] + server.flag).status == 0)
    }

    /// `topics delete-records` (kafka-delete-records): by --topic/--offset and by Kafka's
    /// --offset-json-file, in a data directory and over the wire; -1 is the high watermark.
    @Test func deleteRecordsMovesTheLowWatermark() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 2)
        #expect(try Eddy.run(["produce", "--topic", "t", "--partition", "0"] + dir.flag, stdin: Array("a\nb\nc\nd\n".utf8)).status == 0)
        #expect(try Eddy.run(["produce", "--topic", "t", "--partition", "1"] + dir.flag, stdin: Array("x\n".utf8)).status == 0)
        let one = try Eddy.run(["topics", "delete-records", "--topic", "t", "--partition", "0", "--offset", "2"] + dir.flag)
        #expect(one.status == 0 && one.outLines == ["Executing records delete operation", "Records delete operation completed:",
                                                    "partition: t-0\tlow_watermark: 2"], "\(one)")
        #expect(try Eddy.run(["consume", "--topic", "t", "--partition", "0", "--exit-at-end"] + dir.flag).outLines == ["c", "d"])
        let file = dir.root + "/offsets.json"
        try Data(#"{"partitions": [{"topic": "t", "partition": 1, "offset": -1}, {"topic": "t", "partition": 0, "offset": 9}], "version": 1}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let json = try Eddy.run(["topics", "delete-records", "--offset-json-file", file] + dir.flag)
        #expect(json.status == 1, "\(json)")
        #expect(json.outLines.dropFirst(2) == ["partition: t-1\tlow_watermark: 1",
                                               "partition: t-0\terror: OFFSET_OUT_OF_RANGE: offset 9 of t-0 is above its high watermark: records can only be deleted below it"],
                "\(json)")
        for bad in [["--topic", "t"], ["--offset-json-file", file, "--topic", "t"], ["--topic", "t", "--offset", "-2"]] {
            let r = try Eddy.run(["topics", "delete-records"] + bad + dir.flag)
            #expect(r.status == 2 && r.errLines.count == 1, "\(bad): \(r)")
        }

        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "w", "--partitions", "1", "--replication-factor", "3"] + server.flag).status == 0)
        #expect(try Eddy.run(["produce", "--topic", "w"] + server.flag, stdin: Array("1\n2\n3\n".utf8)).status == 0)
        let all = try Eddy.run(["topics", "delete-records", "--topic", "w", "--offset", "-1"] + server.flag)
        #expect(all.status == 0 && all.outLines.last == "partition: w-0\tlow_watermark: 3", "\(all)")
        #expect(try Eddy.run(["consume", "--topic", "w", "--exit-at-end"] + server.flag).outLines.isEmpty)
        let beyond = try Eddy.run(["topics", "delete-records", "--topic", "w", "--offset", "7"] + server.flag)
        #expect(beyond.status == 1 && beyond.outLines.last?.hasPrefix("partition: w-0\terror: OFFSET_OUT_OF_RANGE: offset 7 of w-0") == true,
                "\(beyond)")
    }

    /// `topics elect-leaders` (kafka-leader-election) against `eddy serve` with
    /// auto.leader.rebalance.enable=false: a preferred election gives a restarted broker its
    /// partitions back; an unclean one brings an offline partition back on a replica outside
    /// its ISR.
    @Test func electLeadersPreferredAndUnclean() throws {
        let served = try ServedCluster(properties: "auto.leader.rebalance.enable=false\n")
        // Every broker's address, so that the commands reach the cluster whichever broker is down.
        let server = (flag: try served.everyBrokerFlag(), ())
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "3", "--replication-factor", "3"] + server.flag).status == 0)
        func leaders(_ topic: String) throws -> [String] {
            try Eddy.run(["topics", "describe", "--topic", topic] + server.flag).outLines.dropFirst(2).map { words($0)[1] }
        }
        let before = try leaders("t")
        let ledBy0 = before.enumerated().filter { $0.element == "0" }.map { "t-\($0.offset)" }
        try #require(!ledBy0.isEmpty, "\(before)")
        #expect(try Eddy.run(["broker", "stop", "--id", "0"] + server.flag).status == 0)
        #expect(try Eddy.run(["broker", "start", "--id", "0"] + server.flag).status == 0)
        try waitFor("broker 0 back in every ISR") {
            try Eddy.run(["topics", "describe", "--topic", "t", "--under-replicated-partitions"] + server.flag).outLines.isEmpty
        }
        #expect(try leaders("t").allSatisfy { $0 != "0" }, "nothing moves leadership back on its own")
        let elected = try Eddy.run(["topics", "elect-leaders", "--topic", "t"] + server.flag)
        #expect(elected.status == 0, "\(elected)")
        let others = (0 ..< 3).map { "t-\($0)" }.filter { !ledBy0.contains($0) }
        #expect(elected.outLines == ["Successfully completed leader election (PREFERRED) for partitions \(ledBy0.joined(separator: ", "))",
                                     "Valid replica already elected for partitions \(others.joined(separator: ", "))"], "\(elected)")
        #expect(try leaders("t") == before)
        let again = try Eddy.run(["topics", "elect-leaders", "--all-topic-partitions"] + server.flag)
        #expect(again.status == 0 && again.outLines.isEmpty, "nothing needed an election: \(again)")

        // Offline: u's only ISR member stops after the other replica left the ISR.
        #expect(try Eddy.run(["topics", "create", "--topic", "u", "--partitions", "1", "--replication-factor", "2"] + server.flag).status == 0)
        let replicas = try Eddy.run(["topics", "describe", "--topic", "u"] + server.flag).outLines[2]
        let ids = words(replicas)[3].split(separator: ",").map(String.init)
        #expect(try Eddy.run(["broker", "stop", "--id", ids[1]] + server.flag).status == 0)
        #expect(try Eddy.run(["broker", "stop", "--id", ids[0]] + server.flag).status == 0)
        #expect(try Eddy.run(["broker", "start", "--id", ids[1]] + server.flag).status == 0)
        #expect(try leaders("u") == ["none"])
        let preferred = try Eddy.run(["topics", "elect-leaders", "--topic", "u"] + server.flag)
        #expect(preferred.status == 1 && preferred.outLines.first?.hasPrefix("Error completing leader election (PREFERRED) for partition: u-0: PREFERRED_LEADER_NOT_AVAILABLE") == true,
                "\(preferred)")
        #expect(preferred.errLines == ["eddy: 1 replica(s) could not be elected"], "\(preferred)")
        let unclean = try Eddy.run(["topics", "elect-leaders", "--topic", "u", "--election-type", "unclean"] + server.flag)
        #expect(unclean.status == 0 && unclean.outLines == ["Successfully completed leader election (UNCLEAN) for partitions u-0"], "\(unclean)")
        #expect(try leaders("u") == [ids[1]])
        #expect(try Eddy.run(["broker", "start", "--id", ids[0]] + server.flag).status == 0)

        for bad in [["--topic", "t", "--all-topic-partitions"], ["--partition", "0", "--all-topic-partitions"], ["--election-type", "random", "--topic", "t"]] {
            let r = try Eddy.run(["topics", "elect-leaders"] + bad + server.flag)
            #expect(r.status == 2 && r.errLines.count == 1, "\(bad): \(r)")
        }
    }

    @Test func errorsNameTheKafkaError() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("orders", partitions: 1)
        let cases: [([String], String)] = [
            (["topics", "create", "--topic", "orders", "--partitions", "1"], "eddy: TOPIC_ALREADY_EXISTS: "),
            (["topics", "create", "--topic", "no/slash", "--partitions", "1"], "eddy: INVALID_TOPIC_EXCEPTION: "),
            (["topics", "create", "--topic", "..", "--partitions", "1"], "eddy: INVALID_TOPIC_EXCEPTION: "),
            (["topics", "create", "--topic", String(repeating: "a", count: 250), "--partitions", "1"], "eddy: INVALID_TOPIC_EXCEPTION: "),
            (["topics", "create", "--topic", "z", "--partitions", "0"], "eddy: INVALID_PARTITIONS: "),
            (["topics", "create", "--topic", "z", "--partitions", "1", "--replication-factor", "4"], "eddy: INVALID_REPLICATION_FACTOR: "),
            (["topics", "create", "--topic", "z", "--partitions", "1", "--replication-factor", "0"], "eddy: INVALID_REPLICATION_FACTOR: "),
            (["topics", "create", "--topic", "z", "--partitions", "1", "--config", "no.such=1"], "eddy: INVALID_CONFIG: "),
            (["topics", "create", "--topic", "z", "--partitions", "1", "--config", "retention.ms=soon"], "eddy: INVALID_CONFIG: "),
            (["topics", "alter", "--topic", "orders", "--config", "cleanup.policy=sometimes"], "eddy: INVALID_CONFIG: "),
            (["topics", "alter", "--topic", "missing", "--config", "retention.ms=1"], "eddy: UNKNOWN_TOPIC_OR_PARTITION: "),
            (["topics", "describe", "--topic", "missing"], "eddy: UNKNOWN_TOPIC_OR_PARTITION: "),
            (["topics", "delete", "--topic", "missing"], "eddy: UNKNOWN_TOPIC_OR_PARTITION: "),
        ]
        for (args, prefix) in cases {
            let r = try Eddy.run(args + dir.flag)
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.errLines.count == 1 && r.errLines[0].hasPrefix(prefix), "\(args): \(r)")
            #expect(r.stdout.isEmpty, "\(args): \(r)")
        }
        // Nothing above changed the topic list.
        #expect(try Eddy.run(["topics", "list"] + dir.flag).outLines == ["orders"])
    }

    @Test func readOnlyCommandsOnAMissingDirectoryCreateNothing() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let list = try Eddy.run(["topics", "list"] + dir.flag)
        #expect(list.status == 0 && list.stdout.isEmpty, "\(list)")
        let describe = try Eddy.run(["topics", "describe"] + dir.flag)
        #expect(describe.status == 0 && describe.stdout.isEmpty, "\(describe)")
        let consume = try Eddy.run(["consume", "--topic", "x", "--exit-at-end"] + dir.flag)
        #expect(consume.status == 1 && consume.stderr.hasPrefix("eddy: UNKNOWN_TOPIC_OR_PARTITION: "), "\(consume)")
        let produce = try Eddy.run(["produce", "--topic", "x"] + dir.flag, stdin: Array("a\n".utf8))
        #expect(produce.status == 1 && produce.stderr.hasPrefix("eddy: UNKNOWN_TOPIC_OR_PARTITION: "), "\(produce)")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }
}
