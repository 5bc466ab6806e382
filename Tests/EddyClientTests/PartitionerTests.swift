import EddyProtocol
import EddyClient
import Testing

/// Returns scripted draws in order (then repeats the last), so a test knows which partition the
/// sticky rule picks: Kafka's rule is `draw % candidates`.
struct ScriptedRandom: RandomNumberGenerator, Sendable {
    var draws: [UInt64]
    var index = 0
    init(_ draws: [UInt64]) { self.draws = draws }
    mutating func next() -> UInt64 {
        defer { index = min(index + 1, draws.count - 1) }
        return draws[index]
    }
}

@Suite struct PartitionerTests {
    // MARK: keyed

    /// Keys to partitions out of 1000 as Kafka's Java partitioner places them (the values
    /// kafka-python's test_partitioner.py::test_murmur2_java_compatibility checks against Kafka).
    @Test func keyedRecordsLandWhereKafkaPutsThem() throws {
        let cases: [([UInt8], Int32)] = [
            ([], 681), (Array("a".utf8), 524), (Array("ab".utf8), 434), (Array("abc".utf8), 107),
            (Array("123456789".utf8), 566), ([0x00, 0x20], 742),
        ]
        var p = Partitioner(random: ScriptedRandom([0]))
        for (key, expected) in cases {
            #expect(try p.partition(topic: "t", key: key, partitionCount: 1000) == .keyed(expected))
            #expect(Partitioner.partition(forKey: key, partitionCount: 1000) == expected)
        }
        // Kafka's UtilsTest: murmur2("foobar") = -790332482, toPositive = 1357151166.
        #expect(try p.partition(topic: "t", key: Array("foobar".utf8), partitionCount: 7) == .keyed(1_357_151_166 % 7))
    }

    /// Keyed placement counts every partition, available or not, so a key never moves while a
    /// leader is missing.
    @Test func keyedRecordsIgnoreAvailability() throws {
        var p = Partitioner()
        let key = Array("abc".utf8)
        let all = try p.partition(topic: "t", key: key, partitionCount: 1000)
        let some = try p.partition(topic: "t", key: key, partitionCount: 1000, availablePartitions: [1, 2, 3])
        #expect(all == some && all == .keyed(107))
        #expect(p.stickyPartition(topic: "t") == nil)
    }

    // MARK: explicit

    @Test func explicitPartitionWins() throws {
        var p = Partitioner()
        #expect(try p.partition(topic: "t", key: Array("abc".utf8), explicitPartition: 3, partitionCount: 1000) == .explicit(3))
        #expect(try p.partition(topic: "t", key: nil, explicitPartition: 0, partitionCount: 1) == .explicit(0))
        #expect(p.stickyPartition(topic: "t") == nil)
    }

    @Test func invalidPartitionsAreTypedErrors() {
        var p = Partitioner()
        #expect(throws: ClientError.invalidPartition(topic: "t", partition: 4, partitionCount: 4)) {
            try p.partition(topic: "t", key: nil, explicitPartition: 4, partitionCount: 4)
        }
        #expect(throws: ClientError.invalidPartition(topic: "t", partition: -1, partitionCount: 4)) {
            try p.partition(topic: "t", key: nil, explicitPartition: -1, partitionCount: 4)
        }
        #expect(throws: ClientError.noPartitions(topic: "t")) {
            try p.partition(topic: "t", key: Array("k".utf8), partitionCount: 0)
        }
    }

    // MARK: sticky

    @Test func keylessRecordsStickUntilTheBatchIsFullAndReady() throws {
        var p = Partitioner(batchSize: 100, random: ScriptedRandom([7, 2, 5]))
        let first = try p.partition(topic: "t", key: nil, partitionCount: 10)
        #expect(first == .sticky(7))
        // 99 bytes: not enough even with a ready batch.
        for _ in 0 ..< 9 {
            p.recordAppended(topic: "t", choice: first, bytes: 11, batchIsReady: true, partitionCount: 10)
            #expect(try p.partition(topic: "t", key: nil, partitionCount: 10) == .sticky(7))
        }
        // 100 bytes and a ready batch: move on (draw 2 % 10).
        p.recordAppended(topic: "t", choice: first, bytes: 1, batchIsReady: true, partitionCount: 10)
        #expect(p.stickyPartition(topic: "t") == 2)
        #expect(try p.partition(topic: "t", key: nil, partitionCount: 10) == .sticky(2))
    }

    @Test func anUnreadyBatchDelaysTheSwitchUpToTwiceTheBatchSize() throws {
        var p = Partitioner(batchSize: 100, random: ScriptedRandom([1, 4]))
        let c = try p.partition(topic: "t", key: nil, partitionCount: 8)
        p.recordAppended(topic: "t", choice: c, bytes: 150, batchIsReady: false, partitionCount: 8)
        #expect(p.stickyPartition(topic: "t") == 1)
        p.recordAppended(topic: "t", choice: c, bytes: 49, batchIsReady: false, partitionCount: 8)
        #expect(p.stickyPartition(topic: "t") == 1)
        p.recordAppended(topic: "t", choice: c, bytes: 1, batchIsReady: false, partitionCount: 8)
        #expect(p.stickyPartition(topic: "t") == 4)
    }

    @Test func theNextPartitionIsDrawnFromTheAvailableOnes() throws {
        // Draw 5 indexes [3, 6, 9] as 5 % 3 = 2 -> partition 9.
        var p = Partitioner(batchSize: 1, random: ScriptedRandom([5, 4]))
        let c = try p.partition(topic: "t", key: nil, partitionCount: 12, availablePartitions: [3, 6, 9])
        #expect(c == .sticky(9))
        p.recordAppended(topic: "t", choice: c, bytes: 1, batchIsReady: true, partitionCount: 12, availablePartitions: [3, 6, 9])
        #expect(p.stickyPartition(topic: "t") == 6) // 4 % 3 = 1
        // No partition available: draw among all (4 % 12).
        var q = Partitioner(random: ScriptedRandom([4]))
        #expect(try q.partition(topic: "t", key: nil, partitionCount: 12, availablePartitions: []) == .sticky(4))
    }

    @Test func onlyCurrentStickyChoicesCount() throws {
        var p = Partitioner(batchSize: 10, random: ScriptedRandom([0, 1, 2]))
        let sticky = try p.partition(topic: "t", key: nil, partitionCount: 3)
        #expect(sticky == .sticky(0))
        // Keyed and explicit records on the same partition do not advance it.
        p.recordAppended(topic: "t", choice: .keyed(0), bytes: 1000, batchIsReady: true, partitionCount: 3)
        p.recordAppended(topic: "t", choice: .explicit(0), bytes: 1000, batchIsReady: true, partitionCount: 3)
        // Nor does a stale sticky choice for another partition.
        p.recordAppended(topic: "t", choice: .sticky(2), bytes: 1000, batchIsReady: true, partitionCount: 3)
        #expect(p.stickyPartition(topic: "t") == 0)
        p.recordAppended(topic: "t", choice: sticky, bytes: 10, batchIsReady: true, partitionCount: 3)
        #expect(p.stickyPartition(topic: "t") == 1)
    }

    @Test func topicsStickIndependently() throws {
        var p = Partitioner(batchSize: 10, random: ScriptedRandom([1, 2, 3]))
        let a = try p.partition(topic: "a", key: nil, partitionCount: 5)
        let b = try p.partition(topic: "b", key: nil, partitionCount: 5)
        #expect(a == .sticky(1) && b == .sticky(2))
        p.recordAppended(topic: "a", choice: a, bytes: 10, batchIsReady: true, partitionCount: 5)
        #expect(p.stickyPartition(topic: "a") == 3 && p.stickyPartition(topic: "b") == 2)
    }

    @Test func ignoreKeysMakesKeyedRecordsSticky() throws {
        var p = Partitioner(ignoreKeys: true, random: ScriptedRandom([3]))
        #expect(try p.partition(topic: "t", key: Array("abc".utf8), partitionCount: 1000) == .sticky(3))
        #expect(try p.partition(topic: "t", key: Array("abc".utf8), explicitPartition: 9, partitionCount: 1000) == .explicit(9))
    }

    @Test func batchSizeIsAtLeastOne() {
        #expect(Partitioner(batchSize: 0).batchSize == 1)
        #expect(Partitioner(batchSize: -5).batchSize == 1)
        #expect(Partitioner().batchSize == 16_384)
    }

    /// With a seeded generator, keyless batches spread over every available partition and
    /// never touch an unavailable one.
    @Test func seededStickySpreadsOverAvailablePartitions() throws {
        let seed: UInt64 = 99
        var p = Partitioner(batchSize: 100, random: SplitMix64(state: seed))
        let available: [Int32] = [0, 2, 3, 5, 7]
        var batchesPerPartition: [Int32: Int] = [:]
        var current: Int32? = nil
        for _ in 0 ..< 10_000 {
            let c = try p.partition(topic: "t", key: nil, partitionCount: 8, availablePartitions: available)
            if c.partition != current {
                batchesPerPartition[c.partition, default: 0] += 1
                current = c.partition
            }
            p.recordAppended(topic: "t", choice: c, bytes: 10, batchIsReady: true, partitionCount: 8, availablePartitions: available)
        }
        #expect(Set(batchesPerPartition.keys) == Set(available), "seed=\(seed): \(batchesPerPartition)")
        // 10,000 records of 10 bytes in 100-byte batches: 1000 switches, ~200 each.
        for (partition, n) in batchesPerPartition {
            #expect(n > 80, "seed=\(seed): partition \(partition) got only \(n) batches")
        }
    }
}
