import EddyProtocol
import Testing

@Suite struct Murmur2Tests {
    /// From Kafka's `UtilsTest.testMurmur2` (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
    static let kafkaUtilsTestCases: [(String, Int32)] = [
        ("21", -973_932_308),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ]

    @Test(arguments: 0 ..< kafkaUtilsTestCases.count)
    func matchesKafkaUtilsTest(_ i: Int) {
        let (key, expected) = Self.kafkaUtilsTestCases[i]
        #expect(Murmur2.hash(utf8(key)) == expected, "\(key)")
    }

    @Test func toPositiveClearsTheSignBitLikeKafka() {
        #expect(Murmur2.toPositive(0) == 0)
        #expect(Murmur2.toPositive(-1) == Int32.max)
        #expect(Murmur2.toPositive(Int32.min) == 0) // abs() would overflow here
        #expect(Murmur2.toPositive(-973_932_308) == 1_173_551_340)
        #expect(Murmur2.toPositive(479_470_107) == 479_470_107)
    }

    /// Keys to partitions out of 1000, as Kafka's Java partitioner computes them (the values
    /// kafka-python's test_partitioner.py checks against Kafka).
    @Test func partitionForKeyMatchesKafka() {
        let cases: [([UInt8], Int)] = [
            ([], 681), (utf8("a"), 524), (utf8("ab"), 434), (utf8("abc"), 107),
            (utf8("123456789"), 566), ([0x00, 0x20], 742),
        ]
        for (key, expected) in cases {
            #expect(Murmur2.partition(forKey: key, partitions: 1000) == expected, "\(key)")
        }
    }

    /// Every tail length (length % 4) takes a different branch.
    @Test func tailBranchesDiffer() {
        let hashes = (0 ..< 8).map { n in Murmur2.hash([UInt8](repeating: 0x61, count: n)) }
        #expect(Set(hashes).count == 8)
        #expect(Murmur2.hash([UInt8]()) == 275_646_681)
    }
}
