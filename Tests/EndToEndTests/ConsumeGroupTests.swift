import Foundation
import Testing

/// `eddy consume --group` through the built binary: committed progress across runs,
/// at-least-once with --max-messages, --offset as auto.offset.reset, usage errors.
@Suite struct ConsumeGroupTests {
    private func setUp(_ dir: TempDataDir, partitions: Int = 2) throws {
        try dir.createTopic("t", partitions: partitions)
    }

    private func produce(_ dir: TempDataDir, _ lines: [String], partition: Int = 0) throws {
        let input = Array(lines.map { $0 + "\n" }.joined().utf8)
        let r = try Eddy.run(["produce", "--topic", "t", "--partition", "\(partition)"] + dir.flag, stdin: input)
        try #require(r.status == 0, "\(r)")
    }

    private func consume(_ dir: TempDataDir, _ extra: [String] = []) throws -> Eddy.Result {
        try Eddy.run(["consume", "--topic", "t", "--group", "g", "--exit-at-end", "--format", "%p:%o:%s\\n"] + extra + dir.flag)
    }

    @Test func aSecondRunPrintsOnlyWhatWasProducedAfterTheFirst() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir)
        try produce(dir, ["a0", "a1"], partition: 0)
        try produce(dir, ["b0"], partition: 1)
        let first = try consume(dir)
        #expect(first.status == 0, "\(first)")
        #expect(first.outLines.sorted() == ["0:0:a0", "0:1:a1", "1:0:b0"])
        #expect(first.stderr.isEmpty, "\(first)")
        try produce(dir, ["a2"], partition: 0)
        try produce(dir, ["b1", "b2"], partition: 1)
        let second = try consume(dir)
        #expect(second.status == 0, "\(second)")
        #expect(second.outLines.sorted() == ["0:2:a2", "1:1:b1", "1:2:b2"])
        let third = try consume(dir)
        #expect(third.status == 0 && third.outLines.isEmpty, "\(third)")
        // Another group starts from the beginning; a plain consume is not affected by groups.
        let other = try Eddy.run(["consume", "--topic", "t", "--group", "h", "--exit-at-end"] + dir.flag)
        #expect(other.outLines.count == 6)
        #expect(try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + dir.flag).outLines.count == 6)
    }

    @Test func maxMessagesCommitsOnlyWhatWasPrinted() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir, partitions: 1)
        try produce(dir, (0 ..< 5).map { "v\($0)" })
        #expect(try consume(dir, ["--max-messages", "2"]).outLines == ["0:0:v0", "0:1:v1"])
        #expect(try consume(dir, ["--max-messages", "2"]).outLines == ["0:2:v2", "0:3:v3"])
        #expect(try consume(dir).outLines == ["0:4:v4"])
    }

    @Test func offsetAppliesOnlyWithoutACommittedOffset() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir, partitions: 1)
        try produce(dir, ["old"])
        // latest: the group starts after what exists...
        #expect(try consume(dir, ["--offset", "latest"]).outLines.isEmpty)
        try produce(dir, ["new"])
        // ...and once it has committed, --offset no longer matters.
        #expect(try consume(dir, ["--offset", "earliest"]).outLines == ["0:1:new"])
    }

    @Test func aFollowingMemberCommitsWhatItPrintedWhenInterrupted() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir)
        try produce(dir, ["before"], partition: 0)
        let follower = try Eddy.start(["consume", "--topic", "t", "--group", "g", "--format", "%p:%s\\n"] + dir.flag)
        defer { if follower.isRunning { follower.signal(SIGKILL) } }
        try waitFor("the member prints the existing record") { follower.stdoutSoFar().contains("0:before\n") }
        // It leaves the group and releases the directory while it waits, so producers get in:
        // within a few of its 200 ms pauses (on a loaded machine its reads may outlast one
        // command's 1 s of retries, so the producer tries again).
        try waitFor("a producer gets in while the member waits") {
            try Eddy.run(["produce", "--topic", "t", "--partition", "1"] + dir.flag, stdin: Array("during\n".utf8)).status == 0
        }
        try waitFor("the member prints the new record") { follower.stdoutSoFar().contains("1:during\n") }
        follower.signal(SIGINT)
        let result = follower.wait()
        #expect(result.status == 0, "\(result)")
        #expect(result.outLines == ["0:before", "1:during"], "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        // Everything it printed was committed.
        #expect(try consume(dir).outLines.isEmpty)
    }

    @Test func usageErrorsExit2() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try setUp(dir, partitions: 1)
        for args in [["--partition", "0"], ["--offset", "3"], ["--consumer-property", "no.such=1"],
                     ["--consumer-property", "session.timeout.ms=abc"], ["--group", ""]] {
            let r = try consume(dir, args)
            #expect(r.status == 2, "\(args): \(r)")
        }
        let noGroup = try Eddy.run(["consume", "--topic", "t", "--consumer-property", "fetch.max.wait.ms=10"] + dir.flag)
        #expect(noGroup.status == 2, "\(noGroup)")
        let missing = try Eddy.run(["consume", "--topic", "nope", "--group", "g", "--exit-at-end"] + dir.flag)
        #expect(missing.status == 1 && missing.stderr.hasPrefix("eddy: UNKNOWN_TOPIC_OR_PARTITION: "), "\(missing)")
        // A valid property is accepted.
        #expect(try consume(dir, ["--consumer-property", "fetch.max.wait.ms=10"]).status == 0)
    }
}
