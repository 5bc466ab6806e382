import Foundation
import Testing

/// `eddy groups ...` through the built binary. A reset with --execute of a group that does not
/// exist creates its offsets (as Kafka's tool does), which is how these tests make a group.
@Suite struct GroupsCommandTests {
    /// `orders` with two partitions; partition 0 holds 5 records, partition 1 none.
    func setUp(_ dir: TempDataDir) throws {
        try dir.createTopic("orders", partitions: 2)
        let produced = try Eddy.run(["produce", "--topic", "orders", "--partition", "0"] + dir.flag, stdin: Array("a\nb\nc\nd\ne\n".utf8))
        try #require(produced.status == 0, "\(produced)")
    }

    func words(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }

    /// kafka-consumer-groups' round trip: plan with --export, keep the CSV, apply it later with
    /// --from-file.
    @Test func anExportedPlanIsAppliedWithFromFile() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir)
        #expect(try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "orders", "--to-latest", "--execute"] + dir.flag).status == 0)
        let exported = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--all-topics", "--shift-by", "-2", "--export", "--dry-run"] + dir.flag)
        #expect(exported.status == 0, "\(exported)")
        #expect(exported.outLines == ["orders,0,3", "orders,1,0"], "\(exported)")
        let file = dir.path + ".plan.csv"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try exported.out.write(toFile: file, atomically: true, encoding: .utf8)
        // Nothing was committed by the export.
        let before = try Eddy.run(["groups", "describe", "--group", "g"] + dir.flag).outLines.dropFirst().map { words($0)[3] }
        #expect(before == ["5", "0"])
        let applied = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--from-file", file, "--execute"] + dir.flag)
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.outLines.dropFirst().map(words) == [["orders", "0", "5", "3", "0", "2"], ["orders", "1", "0", "0", "0", "0"]], "\(applied)")
        let after = try Eddy.run(["groups", "describe", "--group", "g"] + dir.flag).outLines.dropFirst().map { words($0)[3] }
        #expect(after == ["3", "0"])
    }

    @Test func resetDescribeListAndDelete() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir)
        let empty = try Eddy.run(["groups", "list"] + dir.flag)
        #expect(empty.status == 0, "\(empty)")
        #expect(empty.outLines.isEmpty)

        // A dry run prints the plan, with the clamping warning, and commits nothing.
        let dry = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "orders", "--to-offset", "3", "--dry-run"] + dir.flag)
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.outLines.map(words) == [
            ["TOPIC", "PARTITION", "OLD-OFFSET", "NEW-OFFSET", "OLD-LAG", "NEW-LAG"],
            ["orders", "0", "-", "3", "-", "2"],
            ["orders", "1", "-", "0", "-", "0"],
        ], "\(dry)")
        #expect(dry.errLines == ["WARN: New offset (3) is higher than latest offset for topic partition orders-1. Value will be set to 0"])
        #expect(try Eddy.run(["groups", "list"] + dir.flag).outLines.isEmpty)

        // Without --execute or --dry-run: the plan and a warning that nothing happened.
        let neither = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "orders:0", "--to-earliest"] + dir.flag)
        #expect(neither.status == 0, "\(neither)")
        #expect(neither.outLines.count == 2)
        #expect(neither.errLines.last?.hasPrefix("WARN: No action will be performed as the --execute option is missing") == true,
                "\(neither)")
        #expect(try Eddy.run(["groups", "list"] + dir.flag).outLines.isEmpty)

        let executed = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "orders", "--to-offset", "3", "--execute"] + dir.flag)
        #expect(executed.status == 0, "\(executed)")
        #expect(executed.outLines == dry.outLines)
        let list = try Eddy.run(["groups", "list"] + dir.flag)
        #expect(list.outLines.map(words) == [["GROUP", "STATE"], ["g", "Empty"]], "\(list)")

        let describe = try Eddy.run(["groups", "describe", "--group", "g"] + dir.flag)
        #expect(describe.status == 0, "\(describe)")
        #expect(describe.errLines == ["Consumer group 'g' has no active members."])
        #expect(describe.outLines.map(words) == [
            ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "HIGH-WATERMARK", "POSITION", "LAG", "POSITION-LAG",
             "CONSUMER-ID", "HOST", "CLIENT-ID", "LAST-STABLE-OFFSET"],
            ["g", "orders", "0", "3", "5", "5", "-", "2", "-", "-", "-", "-", "5"],
            ["g", "orders", "1", "0", "0", "0", "-", "0", "-", "-", "-", "-", "0"],
        ], "\(describe)")

        // Negative shifts parse; the result is clamped to the log start.
        let shifted = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--all-topics", "--shift-by", "-4", "--execute"] + dir.flag)
        #expect(shifted.status == 0, "\(shifted)")
        #expect(shifted.outLines.dropFirst().map(words) == [["orders", "0", "3", "0", "2", "5"], ["orders", "1", "0", "0", "0", "0"]])
        #expect(shifted.errLines.first == "WARN: New offset (-1) is lower than earliest offset for topic partition orders-0. Value will be set to 0")

        let deleted = try Eddy.run(["groups", "delete", "--group", "g"] + dir.flag)
        #expect(deleted.status == 0, "\(deleted)")
        #expect(deleted.outLines == ["Deletion of requested consumer groups ('g') was successful."])
        #expect(try Eddy.run(["groups", "list"] + dir.flag).outLines.isEmpty)
        let again = try Eddy.run(["groups", "delete", "--group", "g"] + dir.flag)
        #expect(again.status == 1)
        #expect(again.errLines == ["eddy: GROUP_ID_NOT_FOUND: The group id 'g' does not exist."], "\(again)")
        let gone = try Eddy.run(["groups", "describe", "--group", "g"] + dir.flag)
        #expect(gone.status == 1)
        #expect(gone.errLines == ["eddy: GROUP_ID_NOT_FOUND: Consumer group 'g' does not exist."], "\(gone)")
    }

    /// kafka-consumer-groups' other views: --members (--verbose), --state and --all-groups,
    /// against `eddy serve` with a live member, and --state in a data directory.
    @Test func membersStateAndAllGroupsViews() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "o", "--partitions", "2", "--replication-factor", "3"] + server.flag).status == 0)
        #expect(try Eddy.run(["groups", "reset-offsets", "--group", "idle", "--topic", "o", "--to-earliest", "--execute"] + server.flag).status == 0)
        let member = try Eddy.start(["consume", "--topic", "o", "--group", "live", "--consumer-property", "client.id=reader"] + server.flag)
        defer { if member.isRunning { member.signal(SIGKILL) } }
        func stateRow(_ group: String) throws -> [String] {
            try Eddy.run(["groups", "describe", "--group", group, "--state"] + server.flag).outLines.dropFirst().first.map(words) ?? []
        }
        try waitFor("the live group is Stable with its member") { try stateRow("live").suffix(3) == ["range", "Stable", "1"] }
        let state = try stateRow("live")
        #expect(state.count == 6 && state[0] == "live" && state[1].hasPrefix("127.0.0.1:") && state[2].hasPrefix("(") && state[2].hasSuffix(")"),
                "\(state)")

        let members = try Eddy.run(["groups", "describe", "--group", "live", "--members", "--verbose"] + server.flag)
        #expect(members.status == 0 && members.errLines.isEmpty, "\(members)")
        #expect(members.outLines.first.map(words) == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"])
        let row = try #require(members.outLines.dropFirst().first.map(words))
        #expect(row.count == 6 && row[0] == "live" && row[1].hasPrefix("reader-") && row[2] == "/127.0.0.1" && row[3] == "reader"
                && row[4] == "2" && row[5] == "o(0,1)", "\(members)")
        let plain = try Eddy.run(["groups", "describe", "--group", "live", "--members"] + server.flag)
        #expect(plain.outLines.first.map(words)?.last == "#PARTITIONS" && plain.outLines.dropFirst().first.map(words)?.count == 5, "\(plain)")

        let all = try Eddy.run(["groups", "describe", "--all-groups", "--state"] + server.flag)
        #expect(all.status == 0, "\(all)")
        #expect(all.outLines.map { words($0).first ?? "" } == ["GROUP", "idle", "", "GROUP", "live"], "\(all)")
        #expect(all.outLines.dropFirst().first.map(words)?.suffix(3) == ["-", "Empty", "0"], "\(all)")
        let idle = try Eddy.run(["groups", "describe", "--group", "idle", "--members"] + server.flag)
        #expect(idle.status == 0 && idle.outLines.isEmpty && idle.errLines == ["Consumer group 'idle' has no active members."], "\(idle)")
        let missing = try Eddy.run(["groups", "describe", "--group", "nope", "--state"] + server.flag)
        #expect(missing.status == 1 && missing.errLines == ["eddy: GROUP_ID_NOT_FOUND: Consumer group 'nope' does not exist."], "\(missing)")
        member.signal(SIGINT)
        #expect(member.wait().status == 0)

        // In a data directory the coordinator has no address: just its id.
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir)
        #expect(try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "orders", "--to-latest", "--execute"] + dir.flag).status == 0)
        let local = try Eddy.run(["groups", "describe", "--group", "g", "--state"] + dir.flag)
        #expect(local.outLines.dropFirst().first.map(words).map { [$0[0]] + $0.suffix(3) } == ["g", "-", "Empty", "0"], "\(local)")
        #expect(local.outLines.dropFirst().first.map(words)?[1].hasPrefix("(") == true, "\(local)")
    }

    /// kafka-consumer-groups --delete-offsets: a topic the live member consumes keeps its
    /// offsets (GROUP_SUBSCRIBED_TO_TOPIC, exit 1), another topic's are deleted.
    @Test func deleteOffsetsOfTopicsTheGroupNoLongerConsumes() throws {
        let server = try ServedCluster()
        for t in ["o", "q"] {
            #expect(try Eddy.run(["topics", "create", "--topic", t, "--partitions", "2", "--replication-factor", "3"] + server.flag).status == 0)
        }
        #expect(try Eddy.run(["groups", "reset-offsets", "--group", "live", "--topic", "o", "--topic", "q", "--to-earliest", "--execute"]
                             + server.flag).status == 0)
        let member = try Eddy.start(["consume", "--topic", "o", "--group", "live"] + server.flag)
        defer { if member.isRunning { member.signal(SIGKILL) } }
        try waitFor("the member joined") {
            try Eddy.run(["groups", "describe", "--group", "live", "--state"] + server.flag).outLines.dropFirst().first.map(words)?.last == "1"
        }
        let refused = try Eddy.run(["groups", "delete-offsets", "--group", "live", "--topic", "o:0", "--topic", "q"] + server.flag)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.errLines == ["eddy: Encountered some partition level errors, see the follow-up details:"], "\(refused)")
        #expect(refused.outLines.map(words) == [
            [], ["TOPIC", "PARTITION", "STATUS"],
            ["o", "0", "Error:", "GROUP_SUBSCRIBED_TO_TOPIC:", "the", "group", "'live'", "still", "consumes", "topic", "o"],
            ["q", "0", "Successful"], ["q", "1", "Successful"],
        ], "\(refused)")
        let left = try Eddy.run(["groups", "describe", "--group", "live"] + server.flag).outLines.dropFirst().compactMap { words($0).dropFirst().first }
        #expect(!left.contains("q") && left.contains("o"), "\(left)")
        member.signal(SIGINT)
        #expect(member.wait().status == 0)
        let done = try Eddy.run(["groups", "delete-offsets", "--group", "live", "--topic", "o"] + server.flag)
        #expect(done.status == 0 && done.outLines.first == "Request succeed for deleting offsets with topic o group live", "\(done)")
        let missing = try Eddy.run(["groups", "delete-offsets", "--group", "nope", "--topic", "o"] + server.flag)
        #expect(missing.status == 1 && missing.errLines == ["eddy: GROUP_ID_NOT_FOUND: The group id 'nope' does not exist."], "\(missing)")
    }

    @Test func fromFileAndTimeStrategies() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir)
        let file = dir.root + "/reset.csv"
        try "orders,0,2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--from-file", file, "--execute"] + dir.flag)
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(fromFile.outLines.dropFirst().map(words) == [["orders", "0", "-", "2", "-", "3"]])
        // Every record was produced just now: a day back finds the first, a future instant none.
        let byDuration = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--all-topics", "--by-duration", "P1D", "--dry-run"] + dir.flag)
        #expect(byDuration.outLines.dropFirst().map(words) == [["orders", "0", "2", "0", "3", "5"]], "\(byDuration)")
        let future = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--all-topics", "--to-datetime",
                                   "2999-01-01T00:00:00.000", "--dry-run"] + dir.flag)
        #expect(future.outLines.dropFirst().map(words) == [["orders", "0", "2", "5", "3", "0"]], "\(future)")
        #expect(future.errLines == ["WARN: Partition 0 from topic orders is empty. Falling back to latest known offset."])
        let missing = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--from-file", dir.root + "/nope.csv"] + dir.flag)
        #expect(missing.status == 1)
        #expect(missing.errLines == ["eddy: cannot read the reset file \(dir.root)/nope.csv"])
        let unknownTopic = try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "nope", "--to-earliest"] + dir.flag)
        #expect(unknownTopic.status == 1)
        #expect(unknownTopic.errLines == ["eddy: Topic 'nope' does not exist"])
    }

    @Test func usageErrorsExitTwo() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let cases: [([String], String)] = [
            (["--all-topics"], "give exactly one reset strategy"),
            (["--all-topics", "--to-earliest", "--to-latest"], "give exactly one reset strategy"),
            (["--to-earliest"], "give a reset scope: --all-topics or --topic"),
            (["--all-topics", "--topic", "orders", "--to-earliest"], "--all-topics and --topic cannot be combined"),
            (["--all-topics", "--to-earliest", "--dry-run", "--execute"], "--dry-run and --execute cannot be combined"),
            (["--all-topics", "--to-datetime", "yesterday"], "error parsing timestamp 'yesterday'"),
            (["--all-topics", "--by-duration", "5 minutes"], "error parsing duration '5 minutes'"),
            (["--topic", "orders:x", "--to-earliest"], "invalid partition 'x' specified in topic arg 'orders:x'"),
            (["--all-topics", "--to-offset", "three"], "the value 'three' is invalid for '--to-offset"),
        ]
        for (args, message) in cases {
            let r = try Eddy.run(["groups", "reset-offsets", "--group", "g"] + args + dir.flag)
            #expect(r.status == 2, "\(args): \(r)")
            #expect(r.errLines.count == 1 && r.stderr.contains(message), "\(args): \(r)")
            #expect(r.stderr.contains("see 'eddy groups reset-offsets --help'"), "\(args): \(r)")
        }
        for args in [["groups", "describe"], ["groups", "delete"], ["groups", "frobnicate"],
                     ["groups", "describe", "--group", "g", "--all-groups"], ["groups", "describe", "--group", "g", "--members", "--state"],
                     ["groups", "describe", "--group", "g", "--verbose"], ["groups", "describe", "--group", ""]] {
            let r = try Eddy.run(args + dir.flag)
            #expect(r.status == 2, "\(args): \(r)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path), "usage errors touch nothing")
    }
}
