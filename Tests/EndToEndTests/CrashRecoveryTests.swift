import EddyProtocol
import Foundation
import Testing

/// Kills a real `eddy produce` with SIGKILL while it appends, then checks the recovery
/// contract: what is readable is a prefix of the input per partition, offsets are contiguous
/// from 0, every batch on disk has a valid CRC, and appending continues from the recovered end.
///
/// The suite runs 20 seeds; `scripts/stress-crash N` runs N more (EDDY_CRASH_RUNS and
/// EDDY_CRASH_SEED_BASE choose them). Each failure message carries `seed=`; rerun one with
/// `EDDY_CRASH_SEED_BASE=<seed> EDDY_CRASH_RUNS=1 swift test --filter CrashRecoveryTests`.
@Suite struct CrashRecoveryTests {
    static let seeds: [UInt64] = {
        let env = ProcessInfo.processInfo.environment
        let runs = env["EDDY_CRASH_RUNS"].flatMap(Int.init) ?? 20
        let base = env["EDDY_CRASH_SEED_BASE"].flatMap(UInt64.init) ?? 1
        return (0 ..< UInt64(max(runs, 0))).map { base + $0 }
    }()

    /// Lines in the killed producer's input.
    static let inputLines = 30_000
    /// Lines appended after recovery.
    static let laterLines = 500

    /// One scenario drawn from the seed.
    struct Scenario: CustomStringConvertible {
        var seed: UInt64
        var partitions: Int
        var keyed: Bool
        var configs: [String]
        var batchSize: Int
        /// Kill once the partition logs hold this many bytes in total.
        var killAtBytes: Int

        init(seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            self.seed = seed
            partitions = [1, 3][Int(rng.next() % 2)]
            keyed = partitions > 1 || rng.next() % 2 == 0
            configs = [["segment.bytes=16384"], ["segment.bytes=65536"], ["segment.bytes=1048576"],
                       ["segment.bytes=32768", "flush.messages=200"]][Int(rng.next() % 4)]
            batchSize = [1024, 16384][Int(rng.next() % 2)]
            // About 22 log bytes per keyed record and 13 per keyless one: kills land anywhere
            // from before the first append to just after the last.
            killAtBytes = Int(rng.next() % UInt64(CrashRecoveryTests.inputLines * (keyed ? 22 : 13)))
        }

        var description: String {
            "seed=\(seed) partitions=\(partitions) keyed=\(keyed) configs=\(configs) batch-size=\(batchSize) kill-at=\(killAtBytes)B"
        }

        func line(_ i: Int, prefix: String = "") -> (key: String, value: String) {
            (keyed ? "\(prefix)k\(i)" : "", "\(prefix)v\(i)")
        }

        func partition(ofKey key: String) -> Int {
            keyed && partitions > 1 ? Murmur2.partition(forKey: Array(key.utf8), partitions: partitions) : 0
        }

        func input(_ count: Int, prefix: String = "") -> [UInt8] {
            var text = ""
            for i in 0 ..< count {
                let (k, v) = line(i, prefix: prefix)
                text += keyed ? "\(k):\(v)\n" : "\(v)\n"
            }
            return Array(text.utf8)
        }

        /// The input's records that belong to partition p, in input order.
        func expected(_ count: Int, partition p: Int, prefix: String = "") -> [(key: String, value: String)] {
            (0 ..< count).map { line($0, prefix: prefix) }.filter { partition(ofKey: $0.key) == p }
        }
    }

    @Test(arguments: CrashRecoveryTests.seeds)
    func killedProducerLeavesARecoverablePrefix(seed: UInt64) throws {
        let s = Scenario(seed: seed)
        let dir = TempDataDir()
        defer { dir.remove() }
        let created = try Eddy.run(["topics", "create", "--topic", "crash", "--partitions", "\(s.partitions)"]
            + s.configs.flatMap { ["--config", $0] } + dir.flag)
        try #require(created.status == 0, "\(s): \(created)")

        let produceArgs = ["produce", "--topic", "crash", "--batch-size", "\(s.batchSize)"]
            + (s.keyed ? ["--key-separator", ":"] : []) + dir.flag
        let producer = try Eddy.start(produceArgs, stdin: s.input(CrashRecoveryTests.inputLines))
        while producer.isRunning, logBytes(dir, s) < s.killAtBytes { usleep(500) }
        producer.signal(SIGKILL)
        let killed = producer.wait()
        #expect(killed.status == 128 + SIGKILL || killed.status == 0, "\(s): \(killed)")

        // Reopening recovers; what is readable is a prefix of each partition's input.
        let recovered = try consume(dir, s)
        var prefixLengths = [Int]()
        for p in 0 ..< s.partitions {
            let got = recovered.filter { $0.partition == p }
            let want = s.expected(CrashRecoveryTests.inputLines, partition: p)
            try #require(got.count <= want.count, "\(s): partition \(p) has \(got.count) records, more than the input's \(want.count)")
            #expect(got.map(\.offset) == (0 ..< Int64(got.count)).map { $0 }, "\(s): partition \(p) offsets are not 0..<\(got.count)")
            for (i, r) in got.enumerated() where r.key != want[i].key || r.value != want[i].value {
                Issue.record("\(s): partition \(p) offset \(i) holds \(r.key):\(r.value), input had \(want[i].key):\(want[i].value)")
                break
            }
            let onDisk = try PartitionFiles(directory: dir.partitionDirectory("crash", p)).verifyContiguous("\(s) p\(p)")
            #expect(onDisk == Int64(got.count), "\(s): partition \(p) files end at \(onDisk), consume read \(got.count)")
            prefixLengths.append(got.count)
        }
        if ProcessInfo.processInfo.environment["EDDY_CRASH_VERBOSE"] != nil {
            print("\(s): exit \(killed.status), recovered \(prefixLengths) records")
        }
        if killed.status == 0 {
            #expect(prefixLengths.reduce(0, +) == CrashRecoveryTests.inputLines, "\(s): the producer finished, so everything is there")
        }

        // Appending continues from the recovered end.
        let later = try Eddy.run(produceArgs, stdin: s.input(CrashRecoveryTests.laterLines, prefix: "n"))
        try #require(later.status == 0, "\(s): \(later)")
        let all = try consume(dir, s)
        for p in 0 ..< s.partitions {
            let got = all.filter { $0.partition == p }
            let want = Array(s.expected(CrashRecoveryTests.inputLines, partition: p).prefix(prefixLengths[p]))
                + s.expected(CrashRecoveryTests.laterLines, partition: p, prefix: "n")
            #expect(got.map(\.offset) == (0 ..< Int64(want.count)).map { $0 }, "\(s): partition \(p) offsets after the second produce")
            #expect(got.map { "\($0.key):\($0.value)" } == want.map { "\($0.key):\($0.value)" }, "\(s): partition \(p) after the second produce")
            _ = try PartitionFiles(directory: dir.partitionDirectory("crash", p)).verifyContiguous("\(s) p\(p) after append")
        }
    }

    private func consume(_ dir: TempDataDir, _ s: Scenario) throws -> [ConsumedRecord] {
        let r = try Eddy.run(["consume", "--topic", "crash", "--exit-at-end", "--format", ConsumedRecord.format] + dir.flag)
        try #require(r.status == 0, "\(s): \(r)")
        // Recovery may log what it truncated; nothing else is expected on stderr.
        for line in r.errLines {
            #expect(line.hasPrefix("eddy: warning: ") || line.hasPrefix("eddy: info: "), "\(s): unexpected stderr line \(line)")
        }
        return try ConsumedRecord.parse(r)
    }

    /// Total bytes in the topic's segment files.
    private func logBytes(_ dir: TempDataDir, _ s: Scenario) -> Int {
        var total = 0
        for p in 0 ..< s.partitions {
            let d = dir.partitionDirectory("crash", p)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] where name.hasSuffix(".log") {
                var st = stat()
                if stat(d + "/" + name, &st) == 0 { total += Int(st.st_size) }
            }
        }
        return total
    }
}
