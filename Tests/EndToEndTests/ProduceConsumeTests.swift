import EddyProtocol
import Foundation
import Testing

/// `eddy produce` and `eddy consume` round trips through the built binary.
@Suite struct ProduceConsumeTests {
    @Test func valuesRoundTripInOrderWithDefaultFormat() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        let lines = (0 ..< 2500).map { "value \($0)" }
        let produced = try Eddy.run(["produce", "--topic", "t"] + dir.flag, stdin: Array((lines.joined(separator: "\n") + "\n").utf8))
        #expect(produced.status == 0, "\(produced)")
        #expect(produced.stdout.isEmpty)
        // One summary line on stderr.
        #expect(produced.errLines.count == 1)
        #expect(produced.stderr.hasPrefix("eddy: produced 2500 records ("), "\(produced)")
        #expect(produced.stderr.hasSuffix(") to t: partition 0 offsets 0..2499\n"), "\(produced)")
        let consumed = try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + dir.flag)
        #expect(consumed.status == 0, "\(consumed)")
        #expect(consumed.outLines == lines)
    }

    @Test func linesAreAppendedInBatchesNotOneWritePerLine() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        let input = Array((0 ..< 5000).map { "\($0)\n" }.joined().utf8)
        let r = try Eddy.run(["produce", "--topic", "t"] + dir.flag, stdin: input)
        try #require(r.status == 0, "\(r)")
        let log = try Array(Data(contentsOf: URL(fileURLWithPath: dir.partitionDirectory("t", 0) + "/00000000000000000000.log")))
        let batches = try MemoryRecords.batches(in: log)
        #expect(batches.count < 20, "5000 short lines should take a handful of batches, got \(batches.count)")
        #expect(batches.reduce(0) { $0 + Int($1.header.recordCount) } == 5000)
        #expect(r.stderr.contains("in \(batches.count) batches"), "\(r)")
    }

    /// `eddy produce` goes through the producer client: idempotent by default (its batches
    /// carry a producer id and sequence numbers), not with --no-idempotence or --acks 1, and
    /// any producer setting can be passed with --producer-property.
    @Test func producerSettingsAndIdempotence() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        let runs: [[String]] = [[], ["--no-idempotence"], ["--acks", "1"], ["--idempotence", "--linger-ms", "0"],
                                ["--producer-property", "enable.idempotence=false", "--producer-property", "retries=5"]]
        for (i, flags) in runs.enumerated() {
            let r = try Eddy.run(["produce", "--topic", "t"] + flags + dir.flag, stdin: Array("r\(i)a\nr\(i)b\n".utf8))
            try #require(r.status == 0, "\(flags): \(r)")
            #expect(r.stderr.hasSuffix("to t: partition 0 offsets \(2 * i)..\(2 * i + 1)\n"), "\(flags): \(r)")
        }
        let log = try Array(Data(contentsOf: URL(fileURLWithPath: dir.partitionDirectory("t", 0) + "/00000000000000000000.log")))
        let headers = try MemoryRecords.batches(in: log).map(\.header)
        #expect(headers.reduce(0) { $0 + Int($1.recordCount) } == 2 * runs.count)
        // Run i wrote offsets 2i and 2i+1, in one batch or (when the second line came after
        // linger.ms) two.
        let byRun = Dictionary(grouping: headers) { Int($0.baseOffset / 2) }
        #expect((0 ..< runs.count).map { byRun[$0]?.allSatisfy(\.isIdempotent) } == [true, false, false, true, false])
        let first = try #require(byRun[0]?.first), fourth = try #require(byRun[3]?.first)
        #expect(first.baseSequence == 0 && fourth.baseSequence == 0)
        #expect(first.producerId != fourth.producerId, "each run gets its own producer id")
        let c = try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + dir.flag)
        #expect(c.outLines == (0 ..< runs.count).flatMap { ["r\($0)a", "r\($0)b"] })
    }

    @Test(arguments: [
        ["--producer-property", "retries"], ["--producer-property", "no.such.setting=1"],
        ["--producer-property", "acks=2"], ["--acks", "1", "--idempotence"], ["--linger-ms", "-1"],
        ["--producer-property", "compression.type=brotli"], ["--compression-type", "uncompressed"],
    ])
    func badProducerSettingsAreUsageErrors(flags: [String]) throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let r = try Eddy.run(["produce", "--topic", "t"] + flags + dir.flag, stdin: Array("x\n".utf8))
        #expect(r.status == 2, "\(flags): \(r)")
        #expect(r.stderr.hasPrefix("eddy: "), "\(flags): \(r)")
    }

    /// `--compression-type` compresses each batch with the codec; the broker stores it as sent
    /// (compression.type=producer) and consume decompresses. A topic's compression.type other
    /// than producer recompresses.
    @Test func compressedBatchesRoundTrip() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        try dir.createTopic("g", partitions: 1, configs: ["compression.type=gzip"])
        let codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
        for codec in codecs {
            let input = (0 ..< 300).map { "\(codec)-\($0 % 10):value \($0) of \(codec)\n" }.joined()
            let r = try Eddy.run(["produce", "--topic", "t", "--key-separator", ":", "--compression-type", codec] + dir.flag,
                                 stdin: Array(input.utf8))
            try #require(r.status == 0, "\(codec): \(r)")
            let g = try Eddy.run(["produce", "--topic", "g", "--compression-type", codec] + dir.flag, stdin: Array("x\ny\n".utf8))
            try #require(g.status == 0, "\(codec): \(g)")
        }
        let c = try Eddy.run(["consume", "--topic", "t", "--exit-at-end", "--format", "%o %k %s\\n"] + dir.flag)
        try #require(c.status == 0, "\(c)")
        #expect(c.outLines == codecs.enumerated().flatMap { n, codec in
            (0 ..< 300).map { "\(n * 300 + $0) \(codec)-\($0 % 10) value \($0) of \(codec)" }
        })
        let files = PartitionFiles(directory: dir.partitionDirectory("t", 0))
        let codecsStored = try files.segmentLogs().flatMap { try files.batches($0) }.compactMap { $0.header.attributes.compression?.name }
        #expect(Set(codecsStored) == Set(codecs))
        #expect(try files.verifyContiguous("t") == 1500)
        let gzipFiles = PartitionFiles(directory: dir.partitionDirectory("g", 0))
        #expect(try gzipFiles.segmentLogs().flatMap { try gzipFiles.batches($0) }.allSatisfy { $0.header.attributes.compression == .gzip })
        let gc = try Eddy.run(["consume", "--topic", "g", "--exit-at-end"] + dir.flag)
        #expect(gc.outLines == Array(repeating: ["x", "y"], count: codecs.count).flatMap { $0 })
    }

    @Test func keysGoToMurmur2PartitionsAndFormatTokensRender() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("orders", partitions: 4)
        let keys = (0 ..< 200).map { "customer-\($0 % 17)" }
        let input = keys.enumerated().map { "\($1)=>order \($0)" }.joined(separator: "\n")
        let produced = try Eddy.run(["produce", "--topic", "orders", "--key-separator", "=>", "--header", "source=e2e",
                                     "--header", "trace=a=b"] + dir.flag, stdin: Array(input.utf8))
        try #require(produced.status == 0, "\(produced)")
        let consumed = try Eddy.run(["consume", "--topic", "orders", "--exit-at-end",
                                     "--format", "%t|%p|%o|%k|%s|%h|%K|%S|%T|%%\\n"] + dir.flag)
        try #require(consumed.status == 0, "\(consumed)")
        var nextOffset = [Int: Int]()
        var seen = [Int]()
        for line in consumed.outLines {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 10, "\(line)")
            #expect(f[0] == "orders")
            let p = try #require(Int(f[1])), o = try #require(Int(f[2]))
            #expect(o == nextOffset[p, default: 0], "offsets per partition are contiguous from 0")
            nextOffset[p] = o + 1
            #expect(p == Int(Murmur2.partition(forKey: Array(f[3].utf8), partitions: 4)), "key \(f[3]) in partition \(p)")
            let n = try #require(Int(f[4].dropFirst("order ".count)))
            #expect(f[3] == keys[n])
            #expect(f[5] == "source=e2e,trace=a=b")
            #expect(f[6] == "\(f[3].utf8.count)" && f[7] == "\(f[4].utf8.count)")
            let ts = try #require(Int64(f[8]))
            #expect(abs(ts - Int64(Date().timeIntervalSince1970 * 1000)) < 600_000)
            #expect(f[9] == "%")
            seen.append(n)
        }
        #expect(seen.sorted() == Array(0 ..< 200))
        // Per partition, records keep their input order.
        for p in 0 ..< 4 {
            let inP = consumed.outLines.filter { $0.hasPrefix("orders|\(p)|") }.map { Int($0.split(separator: "|")[4].dropFirst(6))! }
            #expect(inP == inP.sorted())
        }
    }

    /// kafka-console-consumer's flags: --from-beginning, and --property for Kafka's
    /// DefaultMessageFormatter (its columns, order, separators, null literal and timestamp type),
    /// from a data directory and over the wire (a group member's records).
    @Test func kafkaConsoleConsumerFlagsPrintAsKafkasFormatter() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("c", partitions: 1)
        try dir.createTopic("l", partitions: 1, configs: ["message.timestamp.type=LogAppendTime"])
        for topic in ["c", "l"] {
            let r = try Eddy.run(["produce", "--topic", topic, "--key-separator", ":", "--header", "h=1"] + dir.flag,
                                 stdin: Array("k1:v1\nnokey\n".utf8))
            try #require(r.status == 0, "\(r)")
        }
        let all = ["--property", "print.timestamp=true", "--property", "print.partition=true", "--property", "print.offset=TRUE",
                   "--property", "print.headers=true", "--property", "print.key=true"]
        for (topic, type) in [("c", "CreateTime"), ("l", "LogAppendTime")] {
            let c = try Eddy.run(["consume", "--topic", topic, "--exit-at-end", "--from-beginning"] + all + dir.flag)
            try #require(c.status == 0, "\(c)")
            let rows = c.outLines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            try #require(rows.count == 2, "\(c)")
            for (i, row) in rows.enumerated() {
                try #require(row.count == 6, "\(row)")
                #expect(row[0].hasPrefix(type + ":") && Int64(row[0].dropFirst(type.count + 1)) != nil, "\(row)")
                #expect(Array(row[1...]) == ["Partition:0", "Offset:\(i)", "h:1", i == 0 ? "k1" : "null", i == 0 ? "v1" : "nokey"])
            }
        }
        // Other separators and null literal, and a column set that does not end with the value.
        let keys = try Eddy.run(["consume", "--topic", "c", "--exit-at-end", "--property", "print.key=true", "--property", "print.value=false",
                                 "--property", "null.literal=-", "--property", "line.separator=;"] + dir.flag)
        #expect(keys.status == 0 && String(decoding: keys.stdout, as: UTF8.self) == "k1;-;", "\(keys)")
        let sep = try Eddy.run(["consume", "--topic", "c", "--exit-at-end", "--property", "print.key=true", "--property", "key.separator= => "]
                               + dir.flag)
        #expect(sep.outLines == ["k1 => v1", "null => nokey"], "\(sep)")
        // Usage errors: one line, exit 2.
        for bad in [["--from-beginning", "--offset", "1"], ["--property", "print.keys=true"], ["--property", "print.key=yes"],
                    ["--property", "print.key=true", "--format", "%s"], ["--property", "print.key"]] {
            let r = try Eddy.run(["consume", "--topic", "c", "--exit-at-end"] + bad + dir.flag)
            #expect(r.status == 2 && r.errLines.count == 1 && r.errLines.first?.hasPrefix("eddy: ") == true, "\(bad): \(r)")
        }

        // Over the wire, as a group member (the records carry their timestamp type).
        let server = try ServedCluster()
        #expect(try Eddy.run(["topics", "create", "--topic", "w", "--partitions", "1", "--config", "message.timestamp.type=LogAppendTime"]
                             + server.flag).status == 0)
        #expect(try Eddy.run(["produce", "--topic", "w", "--key-separator", ":"] + server.flag, stdin: Array("a:b\n".utf8)).status == 0)
        let w = try Eddy.run(["consume", "--topic", "w", "--group", "g", "--from-beginning", "--max-messages", "1", "--property", "print.key=true",
                              "--property", "print.timestamp=true", "--property", "print.offset=true"] + server.flag)
        try #require(w.status == 0, "\(w)")
        let fields = try #require(w.outLines.first).split(separator: "\t").map(String.init)
        #expect(fields.count == 4 && fields[0].hasPrefix("LogAppendTime:") && Array(fields[1...]) == ["Offset:0", "a", "b"], "\(w)")
    }

    /// kafka-console-producer's --property settings of its line reader: headers, key and value
    /// with their delimiters, the null marker, and a line missing a separator (an error that
    /// keeps what came before, or with ignore.error a record without that part).
    @Test func kafkaConsoleProducerPropertiesSplitLinesAsKafkasReader() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("p", partitions: 1)
        let format = ["--format", "%o [%h] [%K:%k] [%S:%s]\\n"]
        let r = try Eddy.run(["produce", "--topic", "p", "--property", "parse.key=true", "--property", "parse.headers=true",
                              "--property", "null.marker=NULL", "--header", "g=0"] + dir.flag,
                             stdin: Array("a:1,b:2\tk1\tv1\nNULL\tk2\tNULL\nx:NULL\tNULL\tv:3\n".utf8))
        try #require(r.status == 0, "\(r)")
        let c = try Eddy.run(["consume", "--topic", "p", "--exit-at-end"] + format + dir.flag)
        #expect(c.outLines == ["0 [g=0,a=1,b=2] [2:k1] [2:v1]", "1 [g=0] [2:k2] [-1:]", "2 [g=0,x] [-1:] [3:v:3]"], "\(c)")

        // Kafka's default: a line without the key separator ends the command, after the lines before it.
        let failed = try Eddy.run(["produce", "--topic", "p", "--property", "parse.key=true", "--property", "key.separator=:"] + dir.flag,
                                  stdin: Array("k:v\nnokey\nk3:v3\n".utf8))
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.errLines.last == "eddy: no key separator found on line 2: 'nokey' (the lines before it were sent; "
            + "--property ignore.error=true sends such a line without that part)", "\(failed)")
        let ignored = try Eddy.run(["produce", "--topic", "p", "--property", "parse.key=true", "--property", "key.separator=:",
                                    "--property", "ignore.error=TRUE"] + dir.flag, stdin: Array("nokey\nk4:v4\n".utf8))
        #expect(ignored.status == 0, "\(ignored)")
        let after = try Eddy.run(["consume", "--topic", "p", "--exit-at-end", "--offset", "3"] + format + dir.flag)
        #expect(after.outLines == ["3 [] [1:k] [1:v]", "4 [] [-1:] [5:nokey]", "5 [] [2:k4] [2:v4]"], "\(after)")

        // headers.separator is a regular expression, and splits as Java's Pattern.split: an
        // empty pair at the end is dropped (also with the plain default).
        let regex = try Eddy.run(["produce", "--topic", "p", "--property", "parse.headers=true", "--property", "headers.separator=[;|]"] + dir.flag,
                                 stdin: Array("a:1;b:2|c:3\tv6\nd:4;\tv7\n".utf8))
        #expect(regex.status == 0, "\(regex)")
        let plain = try Eddy.run(["produce", "--topic", "p", "--property", "parse.headers=true"] + dir.flag, stdin: Array("e:5,f:6,\tv8\n".utf8))
        #expect(plain.status == 0, "\(plain)")
        let split = try Eddy.run(["consume", "--topic", "p", "--exit-at-end", "--offset", "6"] + format + dir.flag)
        #expect(split.outLines == ["6 [a=1,b=2,c=3] [-1:] [2:v6]", "7 [d=4] [-1:] [2:v7]", "8 [e=5,f=6] [-1:] [2:v8]"], "\(split)")
        let badPattern = try Eddy.run(["produce", "--topic", "p", "--property", "parse.headers=true", "--property", "headers.separator=["] + dir.flag)
        #expect(badPattern.status == 2 && badPattern.errLines.count == 1
            && badPattern.stderr.hasPrefix("eddy: --property headers.separator: '[' is not a valid regular expression"), "\(badPattern)")

        // Usage errors: one line, exit 2.
        for bad in [["--property", "parse.keys=true"], ["--property", "parse.key=yes"], ["--property", "parse.key=true", "--key-separator", ":"],
                    ["--property", "parse.headers=true", "--property", "headers.separator=:"],
                    ["--property", "parse.key=true", "--property", "key.separator=:", "--property", "null.marker=:"]] {
            let u = try Eddy.run(["produce", "--topic", "p"] + bad + dir.flag)
            #expect(u.status == 2 && u.errLines.count == 1 && u.errLines.first?.hasPrefix("eddy: ") == true, "\(bad): \(u)")
        }
    }

    @Test func linesWithoutTheSeparatorHaveNullKeysAndBytesPassThrough() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("raw", partitions: 1)
        // A CR before LF stays, NUL and high bytes pass, an empty line is an empty value, and the
        // last line needs no newline.
        var input: [UInt8] = Array("k1:v1\r\n".utf8)
        input += [0x00, 0xff, 0xfe, 0x3a, 0x01, 0x0a]   // key [0,255,254], value [1]
        input += Array("novalue-sep\n\n:leading\nlast".utf8)
        let r = try Eddy.run(["produce", "--topic", "raw", "--key-separator", ":"] + dir.flag, stdin: input)
        try #require(r.status == 0, "\(r)")
        #expect(r.stderr.hasPrefix("eddy: produced 6 records"), "\(r)")
        let c = try Eddy.run(["consume", "--topic", "raw", "--exit-at-end", "--format", "[%K:%k][%S:%s]\\n"] + dir.flag)
        try #require(c.status == 0, "\(c)")
        var expected: [UInt8] = Array("[2:k1][3:v1\r]\n".utf8)
        expected += Array("[3:".utf8) + [0x00, 0xff, 0xfe] + Array("][1:".utf8) + [0x01] + Array("]\n".utf8)
        expected += Array("[-1:][11:novalue-sep]\n[-1:][0:]\n[0:][7:leading]\n[-1:][4:last]\n".utf8)
        #expect(c.stdout == expected, "\(c)")
    }

    @Test func offsetsPartitionAndMaxMessages() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 2)
        let input = Array((0 ..< 10).map { "a\($0)\n" }.joined().utf8)
        try #require(try Eddy.run(["produce", "--topic", "t", "--partition", "1"] + dir.flag, stdin: input).status == 0)
        func consume(_ extra: [String]) throws -> Eddy.Result {
            try Eddy.run(["consume", "--topic", "t", "--exit-at-end", "--format", "%p:%o:%s\\n"] + extra + dir.flag)
        }
        #expect(try consume(["--partition", "1", "--offset", "7"]).outLines == ["1:7:a7", "1:8:a8", "1:9:a9"])
        #expect(try consume(["--offset", "latest"]).outLines == [])
        #expect(try consume(["--offset", "earliest", "--max-messages", "2"]).outLines == ["1:0:a0", "1:1:a1"])
        #expect(try consume(["--partition", "0"]).outLines == [])
        #expect(try consume(["--partition", "1", "--offset", "10"]).outLines == [])
        let outOfRange = try consume(["--partition", "1", "--offset", "11"])
        #expect(outOfRange.status == 1 && outOfRange.stderr.hasPrefix("eddy: OFFSET_OUT_OF_RANGE: "), "\(outOfRange)")
        let noPartition = try consume(["--partition", "2"])
        #expect(noPartition.status == 1 && noPartition.stderr.hasPrefix("eddy: UNKNOWN_TOPIC_OR_PARTITION: "), "\(noPartition)")
        let badProducePartition = try Eddy.run(["produce", "--topic", "t", "--partition", "5"] + dir.flag, stdin: input)
        #expect(badProducePartition.status == 1 && badProducePartition.stderr.hasPrefix("eddy: UNKNOWN_TOPIC_OR_PARTITION: "))
        // Appends continue after the earlier ones.
        try #require(try Eddy.run(["produce", "--topic", "t", "--partition", "1"] + dir.flag, stdin: Array("b\n".utf8)).status == 0)
        #expect(try consume(["--partition", "1", "--offset", "9"]).outLines == ["1:9:a9", "1:10:b"])
    }

    @Test func keylessRecordsStickToAPartitionPerBatch() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 3)
        // 4000 keyless records of 100 bytes with 1 KiB batches: many batches, each on one
        // partition, and the sticky partition moves between batches.
        let value = String(repeating: "x", count: 96)
        let input = Array((0 ..< 4000).map { String(format: "%04d", $0) + value + "\n" }.joined().utf8)
        let r = try Eddy.run(["produce", "--topic", "t", "--batch-size", "1024"] + dir.flag, stdin: input)
        try #require(r.status == 0, "\(r)")
        var counts = [Int]()
        for p in 0 ..< 3 {
            let log = try Array(Data(contentsOf: URL(fileURLWithPath: dir.partitionDirectory("t", p) + "/00000000000000000000.log")))
            let batches = try MemoryRecords.batches(in: log)
            #expect(batches.allSatisfy { $0.header.totalSize <= 1024 + 200 })
            counts.append(batches.reduce(0) { $0 + Int($1.header.recordCount) })
        }
        #expect(counts.reduce(0, +) == 4000)
        #expect(counts.filter { $0 > 0 }.count >= 2, "sticky partitioning moved on: \(counts)")
    }

    @Test func tooLargeLineIsRejectedAfterEarlierLinesAreStored() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("small", partitions: 1, configs: ["max.message.bytes=1000"])
        let input = Array(("ok1\nok2\n" + String(repeating: "y", count: 2000) + "\nafter\n").utf8)
        let r = try Eddy.run(["produce", "--topic", "small"] + dir.flag, stdin: input)
        #expect(r.status == 1, "\(r)")
        #expect(r.errLines.last?.hasPrefix("eddy: MESSAGE_TOO_LARGE: line 3 ") == true, "\(r)")
        let c = try Eddy.run(["consume", "--topic", "small", "--exit-at-end"] + dir.flag)
        #expect(c.outLines == ["ok1", "ok2"])
    }

    @Test func followingConsumerSeesLaterProducesAndStopsOnSIGINT() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("live", partitions: 2)
        try #require(try Eddy.run(["produce", "--topic", "live", "--partition", "0"] + dir.flag, stdin: Array("before\n".utf8)).status == 0)
        let follower = try Eddy.start(["consume", "--topic", "live", "--format", "%p %s\\n"] + dir.flag)
        defer { if follower.isRunning { follower.signal(SIGKILL) } }
        try waitFor("the follower prints the existing record") { follower.stdoutSoFar().contains("0 before\n") }
        // The follower releases the directory while it waits, so producers get in.
        for (p, word) in [(1, "during1"), (0, "during2")] {
            let r = try Eddy.run(["produce", "--topic", "live", "--partition", "\(p)"] + dir.flag, stdin: Array("\(word)\n".utf8))
            #expect(r.status == 0, "\(r)")
        }
        try waitFor("the follower prints the new records") {
            let out = follower.stdoutSoFar()
            return out.contains("1 during1\n") && out.contains("0 during2\n")
        }
        follower.signal(SIGINT)
        let result = follower.wait()
        #expect(result.status == 0, "\(result)")
        #expect(result.outLines == ["0 before", "1 during1", "0 during2"] || result.outLines == ["0 before", "0 during2", "1 during1"],
                "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }
}
