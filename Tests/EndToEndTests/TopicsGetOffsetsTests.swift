import Foundation
import Testing

/// `eddy topics get-offsets`, kafka-get-offsets' lines, on a data directory.
@Suite struct TopicsGetOffsetsTests {
    @Test func offsetsLatestEarliestAndAtATime() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("orders", partitions: 3)
        try dir.createTopic("wide", partitions: 11)
        let produced = try Eddy.run(["produce", "--topic", "orders", "--partition", "0"] + dir.flag, stdin: Array("a\nb\nc\n".utf8))
        try #require(produced.status == 0, "\(produced)")
        func offsets(_ args: [String]) throws -> [String] {
            let r = try Eddy.run(["topics", "get-offsets"] + args + dir.flag)
            #expect(r.status == 0, "\(r)")
            return r.outLines
        }
        #expect(try offsets(["--topic", "orders"]) == ["orders:0:3", "orders:1:0", "orders:2:0"])
        #expect(try offsets(["--topic", "orders", "--time", "-1"]) == ["orders:0:3", "orders:1:0", "orders:2:0"])
        // Kafka's order: by topic-partition as text.
        #expect(try offsets(["--topic", "wide", "--partitions", "1,2,10"]) == ["wide:1:0", "wide:10:0", "wide:2:0"])
        #expect(try offsets(["--topic-partitions", "orders:1-3,wide:-1"]) == ["orders:1:0", "orders:2:0", "wide:0:0"])

        // The first record at or after a time: from 0 the first record; after the last one
        // none (an empty partition has none either), so no line at all.
        #expect(try offsets(["--topic", "orders", "--time", "0"]) == ["orders:0:0"])
        let future = String(Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000)
        #expect(try offsets(["--topic", "orders", "--time", future]).isEmpty)
        let newest = try offsets(["--topic", "orders", "--partitions", "0", "--time", "max-timestamp"])
        #expect(["orders:0:0", "orders:0:1", "orders:0:2"].contains(newest.first ?? ""), "\(newest)")
        #expect(try offsets(["--topic", "orders", "--time", "latest-tiered"]).isEmpty)

        // Records deleted below 2: the log start moves, earliest and earliest-local with it.
        #expect(try Eddy.run(["topics", "delete-records", "--topic", "orders", "--partition", "0", "--offset", "2"] + dir.flag).status == 0)
        #expect(try offsets(["--topic", "orders", "--partitions", "0", "--time", "earliest"]) == ["orders:0:2"])
        #expect(try offsets(["--topic", "orders", "--partitions", "0", "--time", "-4"]) == ["orders:0:2"])

        // Internal topics count unless left out.
        #expect(try Eddy.run(["groups", "reset-offsets", "--group", "g", "--topic", "orders", "--to-earliest", "--execute"] + dir.flag).status == 0)
        let all = try offsets([])
        #expect(all.contains { $0.hasPrefix("__consumer_offsets:") }, "\(all)")
        let user = try offsets(["--exclude-internal-topics"])
        #expect(user.count == 14 && !user.contains { $0.hasPrefix("__") }, "\(user)")
    }

    /// An offline partition (its only replica's broker stopped) is skipped with Kafka's line on
    /// standard error; the others are printed.
    @Test func aPartitionWithoutALeaderIsSkipped() throws {
        let served = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "solo", "--partitions", "3", "--replication-factor", "1"] + served.flag).status == 0)
        let described = try Eddy.run(["topics", "describe", "--topic", "solo"] + served.flag).outLines
        let rows = described.dropFirst(2).map { $0.split(separator: " ").map(String.init) }
        let onTwo = try #require(rows.first { $0.count > 1 && $0[1] == "2" }?[0], "\(described)")
        #expect(try Eddy.run(["broker", "stop", "--id", "2"] + served.flag).status == 0)
        let r = try Eddy.run(["topics", "get-offsets", "--topic", "solo"] + served.flag)
        #expect(r.status == 0, "\(r)")
        #expect(r.outLines == ["0", "1", "2"].filter { $0 != onTwo }.map { "solo:\($0):0" }, "\(r)")
        #expect(r.errLines.count == 1 && r.errLines[0].hasPrefix("Skip getting offsets for topic-partition solo-\(onTwo) due to error: "),
                "\(r)")
        #expect(served.stop().status == 0)
    }

    @Test func badFiltersAndTimesAreUsageErrorsAndNoMatchFails() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("orders", partitions: 1)
        for (args, message) in [
            (["--topic", "orders", "--topic-partitions", "orders:0"], "--topic-partitions cannot be used with --topic or --partitions"),
            (["--time", "yesterday"], "--time must be latest (-1), earliest (-2), max-timestamp (-3)"),
            (["--time", "-7"], "--time must be latest (-1)"),
            (["--topic", "orders", "--partitions", "x"], "--partitions expects a comma-separated list of partition ids"),
            (["--topic-partitions", "orders:a"], "--topic-partitions: invalid rule 'orders:a'"),
        ] {
            let r = try Eddy.run(["topics", "get-offsets"] + args + dir.flag)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r)")
        }
        let none = try Eddy.run(["topics", "get-offsets", "--topic", "nothing.*"] + dir.flag)
        #expect(none.status == 1, "\(none)")
        #expect(none.errLines == ["eddy: could not match any topic-partitions with the specified filters; see eddy topics list and eddy topics describe"],
                "\(none)")
    }
}
