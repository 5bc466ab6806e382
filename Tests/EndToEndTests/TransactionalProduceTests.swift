import Foundation
import Testing

/// `eddy produce --transactional-id` against `eddy serve`: transactions of
/// --transaction-records lines, committed as they fill and at the end of input; Ctrl-C
/// aborts the open one, which read_committed consumers then never see.
@Suite struct TransactionalProduceTests {
    @Test func fullTransactionsCommitAndCtrlCAbortsTheOpenOne() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "1", "--replication-factor", "3"] + server.flag).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t", "--transactional-id", "e2e-tx", "--transaction-records", "2"] + server.flag,
                                      stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        func committed() throws -> [String] {
            try Eddy.run(["consume", "--topic", "t", "--isolation-level", "read_committed", "--exit-at-end"] + server.flag).outLines
        }
        func state() throws -> String? {
            let r = try Eddy.run(["transactions", "describe", "--transactional-id", "e2e-tx"] + server.flag)
            return r.outLines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).first.map(String.init)
        }
        func uncommitted() throws -> [String] {
            try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + server.flag).outLines
        }
        // Two full transactions commit; the fifth line opens a third. (Ongoing comes with
        // AddPartitionsToTxn, before its record is written; the commit markers follow EndTxn's
        // answer: each is waited for.) read_uncommitted sees the open transaction's record.
        try input.fileHandleForWriting.write(contentsOf: Data("a\nb\nc\nd\ne\n".utf8))
        try waitFor("two transactions committed and a third open, its record written") {
            try committed() == ["a", "b", "c", "d"] && state() == "Ongoing" && uncommitted() == ["a", "b", "c", "d", "e"]
        }
        producer.signal(SIGINT)
        let result = producer.wait()
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("2 transactions committed (4 records), 1 aborted (1 record)"), "\(result)")
        // The abort's markers, then CompleteAbort, are written after the producer's answer.
        try waitFor("the abort completed") { try state() == "CompleteAbort" }
        #expect(try committed() == ["a", "b", "c", "d"])
    }

    /// A record the broker refuses (here MESSAGE_TOO_LARGE: max.message.bytes was lowered after
    /// the producer read the topic's configs, so only the broker can tell) aborts the open
    /// transaction: eddy says why and exits 1, read_committed never sees the transaction, and
    /// nothing holds the LSO, so the next producer's transaction commits and is read.
    @Test func aRecordTheBrokerRefusesAbortsTheTransaction() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "1"] + server.flag).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t", "--transactional-id", "refused", "--transaction-records", "1"] + server.flag,
                                      stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        func committed() throws -> [String] {
            try Eddy.run(["consume", "--topic", "t", "--isolation-level", "read_committed", "--exit-at-end"] + server.flag).outLines
        }
        try input.fileHandleForWriting.write(contentsOf: Data("first\n".utf8))
        try waitFor("the first transaction committed") { try committed() == ["first"] }
        #expect(try Eddy.run(["topics", "alter", "--topic", "t", "--config", "max.message.bytes=300"] + server.flag).status == 0)
        try input.fileHandleForWriting.write(contentsOf: Data((String(repeating: "y", count: 600) + "\nnever\n").utf8))
        try input.fileHandleForWriting.close()
        try waitFor("eddy produce exits", seconds: 60) { !producer.isRunning }
        let result = producer.wait()
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("eddy: MESSAGE_TOO_LARGE"), "\(result)")
        #expect(result.stderr.contains("1 transaction committed (1 record), 1 aborted"), "\(result)")
        let described = try Eddy.run(["transactions", "describe", "--transactional-id", "refused"] + server.flag)
        #expect(described.status == 0 && !described.out.contains("Ongoing"), "\(described)")
        let next = try Eddy.run(["produce", "--topic", "t", "--transactional-id", "refused"] + server.flag, stdin: Array("later\n".utf8))
        #expect(next.status == 0, "\(next)")
        // Its commit markers follow EndTxn's answer.
        try waitFor("the next transaction is read") { try committed() == ["first", "later"] }
    }

    @Test func theRestCommitsAtTheEndOfInput() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "2"] + server.flag).status == 0)
        let r = try Eddy.run(["produce", "--topic", "t", "--transactional-id", "e2e-all"] + server.flag, stdin: Array("1\n2\n3\n".utf8))
        #expect(r.status == 0 && r.stderr.contains("1 transaction committed (3 records), 0 aborted"), "\(r)")
        // The commit markers follow EndTxn's answer.
        try waitFor("the committed records are read") {
            try Eddy.run(["consume", "--topic", "t", "--isolation-level", "read_committed", "--exit-at-end"] + server.flag).outLines.sorted()
                == ["1", "2", "3"]
        }
        let bad = try Eddy.run(["produce", "--topic", "t", "--transactional-id", "x", "--no-idempotence"] + server.flag, stdin: Array("1\n".utf8))
        #expect(bad.status == 2 && bad.stderr.contains("transactional.id"), "\(bad)")
    }
}

/// `eddy transactions describe-producers | find-hanging | abort` against `eddy serve`, on the
/// open transaction of a producer killed with SIGKILL.
@Suite struct TransactionsAdminCommandTests {
    @Test func anOpenTransactionIsDescribedAndAbortedByHand() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "1"] + server.flag).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t", "--transactional-id", "killed"] + server.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("x\ny\n".utf8))
        func producers() throws -> [[String]] {
            let r = try Eddy.run(["transactions", "describe-producers", "--topic", "t", "--partition", "0"] + server.flag)
            return r.outLines.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        }
        try waitFor("the transaction is open in t-0") { try producers().dropFirst().first?.last == "0" }
        producer.signal(SIGKILL)
        _ = producer.wait()
        #expect(try producers().first == ["ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
                                         "CurrentTransactionStartOffset"])

        // Its coordinator still runs it (until transaction.timeout.ms): not hanging.
        let found = try Eddy.run(["transactions", "find-hanging", "--topic", "t", "--max-transaction-timeout", "0"] + server.flag)
        #expect(found.status == 0 && found.outLines.count == 1 && found.outLines[0].hasPrefix("Topic"), "\(found)")

        let missing = try Eddy.run(["transactions", "abort", "--topic", "t", "--partition", "0", "--start-offset", "9"] + server.flag)
        #expect(missing.status == 1 && missing.stderr.contains("no transaction open in t-0 starts at offset 9"), "\(missing)")
        let aborted = try Eddy.run(["transactions", "abort", "--topic", "t", "--partition", "0", "--start-offset", "0"] + server.flag)
        #expect(aborted.status == 0 && aborted.outLines.first?.hasPrefix("aborted the transaction of producer") == true, "\(aborted)")
        #expect(try producers().dropFirst().first?.last == "None")
        let consumed = try Eddy.run(["consume", "--topic", "t", "--isolation-level", "read_committed", "--exit-at-end"] + server.flag)
        #expect(consumed.status == 0 && consumed.outLines.isEmpty, "\(consumed)")

        #expect(try Eddy.run(["transactions", "abort", "--topic", "t", "--partition", "0"] + server.flag).status == 2)
        #expect(try Eddy.run(["transactions", "find-hanging"] + server.flag).status == 2)
    }

    /// force-terminate (KIP-939): the coordinator aborts the open transaction and bumps the
    /// epoch, so the producer that left it open is fenced and its records are never committed.
    @Test func forceTerminateAbortsTheOpenTransactionAndFencesItsProducer() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "1"] + server.flag).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t", "--transactional-id", "stuck"] + server.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("x\ny\n".utf8))
        func state() throws -> String? {
            let r = try Eddy.run(["transactions", "describe", "--transactional-id", "stuck"] + server.flag)
            return r.outLines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).first.map(String.init)
        }
        try waitFor("the transaction is Ongoing") { try state() == "Ongoing" }
        let terminated = try Eddy.run(["transactions", "force-terminate", "--transactional-id", "stuck"] + server.flag)
        #expect(terminated.status == 0 && terminated.outLines.first?.hasPrefix("terminated transactional id stuck: producer ") == true,
                "\(terminated)")
        #expect(["CompleteAbort", "Empty"].contains(try state() ?? ""))
        try input.fileHandleForWriting.close()
        let end = producer.wait()
        #expect(end.status == 1, "the producer was fenced: \(end)")
        let consumed = try Eddy.run(["consume", "--topic", "t", "--isolation-level", "read_committed", "--exit-at-end"] + server.flag)
        #expect(consumed.status == 0 && consumed.outLines.isEmpty, "\(consumed)")

        let unknown = try Eddy.run(["transactions", "force-terminate", "--transactional-id", "nobody"] + server.flag)
        #expect(unknown.status == 1 && unknown.stderr.contains("TRANSACTIONAL_ID_NOT_FOUND"), "\(unknown)")
        #expect(try Eddy.run(["transactions", "force-terminate", "--transactional-id", ""] + server.flag).status == 2)
    }
}

/// An open transaction holds the last stable offset back in `eddy groups describe`, until it
/// commits.
@Suite struct GroupsDescribeLastStableOffsetTests {
    @Test func anOpenTransactionHoldsTheLastStableOffset() throws {
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "1"] + server.flag).status == 0)
        #expect(try Eddy.run(["produce", "--topic", "t"] + server.flag, stdin: Array("a\nb\n".utf8)).status == 0)
        #expect(try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--execute"] + server.flag).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t", "--transactional-id", "held"] + server.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("c\nd\n".utf8))
        func row() throws -> [String: String]? {
            let lines = try Eddy.run(["groups", "describe", "--group", "g"] + server.flag).outLines
                .map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            guard let header = lines.first, let values = lines.dropFirst().first(where: { $0.dropFirst().first == "t" }) else { return nil }
            return Dictionary(uniqueKeysWithValues: zip(header, values))
        }
        try waitFor("the open transaction holds the last stable offset at 2") {
            let r = try row()
            return r?["HIGH-WATERMARK"] == "4" && r?["LAST-STABLE-OFFSET"] == "2"
        }
        try input.fileHandleForWriting.close()
        #expect(producer.wait().status == 0)
        // Committed: records and the marker (written after EndTxn's answer) are stable.
        try waitFor("the commit marker releases the last stable offset") {
            let r = try row()
            return r?["HIGH-WATERMARK"] == "5" && r?["LAST-STABLE-OFFSET"] == "5"
        }
    }
}
