import EddyClient
import EddyProtocol
import Testing

@Suite struct OffsetResetParsingTests {
    // MARK: scope

    @Test func topicArguments() throws {
        #expect(try OffsetResetScope.TopicSelection(parsing: "orders") == .init(topic: "orders", partitions: nil))
        #expect(try OffsetResetScope.TopicSelection(parsing: "orders:2,0,2") == .init(topic: "orders", partitions: [0, 2]))
        #expect(try OffsetResetScope.TopicSelection(parsing: "orders:0, 1").partitions == [0, 1])
    }

    @Test(arguments: [
        ("orders:", OffsetResetError.invalidTopicArgument("orders:", reason: "expected topic name and partitions")),
        ("a:1:2", .invalidTopicArgument("a:1:2", reason: "expected topic name and partitions")),
        (":0", .invalidTopicArgument(":0", reason: "expected a topic name")),
        ("", .invalidTopicArgument("", reason: "expected a topic name")),
        ("orders:x", .invalidPartition("x", topicArgument: "orders:x")),
        ("orders:-1", .invalidPartition("-1", topicArgument: "orders:-1")),
        ("orders:0,,1", .invalidPartition("", topicArgument: "orders:0,,1")),
        ("orders:99999999999", .invalidPartition("99999999999", topicArgument: "orders:99999999999")),
    ])
    func badTopicArguments(argument: String, error: OffsetResetError) {
        #expect(throws: error) { try OffsetResetScope.TopicSelection(parsing: argument) }
    }

    @Test func kafkaWordingForBadPartition() {
        #expect(OffsetResetError.invalidPartition("x", topicArgument: "orders:x").description
            == "Invalid partition 'x' specified in topic arg 'orders:x'")
    }

    @Test func commandLineScopes() throws {
        #expect(try OffsetResetScope.parse(arguments: ["--all-topics"]) == .allTopics)
        #expect(try OffsetResetScope.parse(arguments: ["--topic", "orders:0,1", "--topic=payments"]) == .topics([
            .init(topic: "orders", partitions: [0, 1]), .init(topic: "payments"),
        ]))
        #expect(try OffsetResetScope.parse(arguments: []) == nil)
        #expect(throws: OffsetResetError.self) { try OffsetResetScope.parse(arguments: ["--all-topics", "--topic", "a"]) }
        #expect(throws: OffsetResetError.invalidScopeArgument("--topic")) { try OffsetResetScope.parse(arguments: ["--topic"]) }
        #expect(throws: OffsetResetError.invalidScopeArgument("--bogus")) { try OffsetResetScope.parse(arguments: ["--bogus"]) }
        #expect(throws: OffsetResetError.self) { try OffsetResetScope.parse(arguments: ["--topic", "a:z"]) }
        #expect(throws: OffsetResetError.missingScope) { try OffsetResetScope(topicArguments: []) }
    }

    // MARK: from-file

    @Test func resetFileFormats() throws {
        let single = try OffsetResetFile(csv: "orders,0,7\r\n\n payments , 1 , -3 \norders,0,9")
        #expect(single.entries.map(\.topicPartition) == [TopicPartition("orders", 0), TopicPartition("payments", 1), TopicPartition("orders", 0)])
        #expect(single.entries.map(\.line) == [1, 3, 4])
        #expect(try single.offsets(forGroup: "g") == [TopicPartition("orders", 0): 9, TopicPartition("payments", 1): -3])
        let multi = try OffsetResetFile(csv: "g,orders,0,7\nh,orders,0,8\n")
        #expect(try multi.offsets(forGroup: "h") == [TopicPartition("orders", 0): 8])
    }

    @Test(arguments: [
        ("orders,0,1\n\nbad line\n", 3, "expected topic,partition,offset or group,topic,partition,offset but found 1 field(s)"),
        ("orders,x,1", 1, "invalid partition 'x'"),
        ("orders,-2,1", 1, "invalid partition '-2'"),
        ("orders,0,abc", 1, "invalid offset 'abc'"),
        ("orders,0,1\ng,orders,0,1", 2, "expected 3 fields like the first line, found 4"),
        (",0,1", 1, "empty topic"),
        ("a,b,c,d,e", 1, "expected topic,partition,offset or group,topic,partition,offset but found 5 field(s)"),
        (",orders,0,1", 1, "empty group"),
    ])
    func badResetFileLines(csv: String, line: Int, reason: String) {
        do {
            _ = try OffsetResetFile(csv: csv)
            Issue.record("expected an error for \(csv)")
        } catch let OffsetResetError.invalidResetFile(l, _, r) {
            #expect(l == line)
            #expect(r == reason)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func resetFileErrorNamesTheLine() {
        #expect(OffsetResetError.invalidResetFile(line: 3, text: "bad line", reason: "x").description
            == "Invalid reset file, line 3 'bad line': x")
    }

    // MARK: to-datetime

    @Test(arguments: [
        ("2026-11-21T10:00:00.000", Int64(1_795_255_200_000)),
        ("2026-11-21T10:00:00.000Z", 1_795_255_200_000),
        ("2020-11-10T16:51:38.198+0800", 1_604_998_298_198),
        ("2020-11-10T16:51:38.198+08", 1_604_998_298_198),
        ("2020-11-10T16:51:38.198+08:00", 1_604_998_298_198),
        ("2026-11-21T10:00:00.000-05:30", 1_795_275_000_000),
        ("2028-02-29T23:59:59.999", 1_835_481_599_999),
        ("1969-12-31T23:59:59.000", -1000),
        ("1970-01-01T00:00:00.000", 0),
    ])
    func dateTimes(text: String, millis: Int64) throws {
        #expect(try KafkaDateTime.parseMillis(text) == millis)
    }

    @Test(arguments: [
        "2026-11-21 10:00:00.000", "2026-11-21T10:00:00", "2026-11-21T10:00:00.00", "2026-13-01T00:00:00.000",
        "2026-02-29T00:00:00.000", "2026-04-31T00:00:00.000", "2026-11-21T24:00:00.000", "2026-11-21T10:60:00.000",
        "2026-11-21T10:00:00.000+8", "2026-11-21T10:00:00.000+19:00", "2026-11-21T10:00:00.000X",
        "2026-11-21T10:00:00.0000", "20a6-11-21T10:00:00.000", "", "T",
    ])
    func badDateTimes(text: String) {
        #expect(throws: OffsetResetError.self) { try KafkaDateTime.parseMillis(text) }
    }

    // MARK: by-duration

    @Test(arguments: [
        ("PT5M", Int64(300_000)), ("P1DT2H", 93_600_000), ("PT0.5S", 500), ("-PT1H", -3_600_000),
        ("pt1m", 60_000), ("PT1H30M", 5_400_000), ("P2D", 172_800_000), ("PT1.123456789S", 1123),
        ("PT-6H3M", -21_420_000), ("PT0S", 0), ("PT1,5S", 1500),
    ])
    func durations(text: String, millis: Int64) throws {
        #expect(try KafkaDuration.parseMillis(text) == millis)
    }

    @Test(arguments: [
        "", "P", "PT", "5M", "PT5X", "P1H", "PT1M1H", "PT1.5M", "P1DT", "PT5", "PT1.1234567891S",
        "P1D1D", "PTT1H", "P99999999999999999999D", "P9999999999999999D",
    ])
    func badDurations(text: String) {
        #expect(throws: OffsetResetError.self) { try KafkaDuration.parseMillis(text) }
    }
}
