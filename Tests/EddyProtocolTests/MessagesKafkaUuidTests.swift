import EddyProtocol
import Testing

@Suite struct MessagesKafkaUuidTests {
    /// Text forms computed independently (Python's `base64.urlsafe_b64encode` of the 16
    /// big-endian bytes, padding stripped), i.e. Kafka's `Uuid.toString`.
    static let vectors: [(UInt64, UInt64, String)] = [
        (0, 0, "AAAAAAAAAAAAAAAAAAAAAA"),
        (0, 1, "AAAAAAAAAAAAAAAAAAAAAQ"),
        (34, 98, "AAAAAAAAACIAAAAAAAAAYg"),
        (.max, .max, "_____________________w"),
        (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, "ASNFZ4mrze_-3LqYdlQyEA"),
        (0xF800_0000_0000_0000, 0, "-AAAAAAAAAAAAAAAAAAAAA"),
    ]

    @Test func textFormMatchesKafka() throws {
        for (msb, lsb, text) in Self.vectors {
            let id = KafkaUuid(mostSignificantBits: msb, leastSignificantBits: lsb)
            #expect(id.description == text)
            #expect(KafkaUuid(text) == id)
            let bytes = id.bytes
            #expect(bytes.count == 16)
            #expect(KafkaUuid(bytes: bytes) == id)
        }
        #expect(KafkaUuid.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        #expect(KafkaUuid.metadataTopicId.description == "AAAAAAAAAAAAAAAAAAAAAQ")
        #expect(KafkaUuid(bytes: [0x01] + [UInt8](repeating: 0, count: 15))?.mostSignificantBits == 0x0100_0000_0000_0000)
    }

    @Test func rejectsMalformedText() {
        for bad in ["", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA==",
                    "AAAAAAAAAAAAAAAAAAAA+A", "AAAAAAAAAAAAAAAAAAAA/A", "AAAAAAAAAAAAAAAAAAAA=A",
                    "AAAAAAAAAAAAAAAAAAAAAB",  // non-canonical: the last character's unused bits are set
                    "AAAAAAAAAAAAAAAAAAAAAé"] {
            #expect(KafkaUuid(bad) == nil, "\(bad)")
        }
        #expect(KafkaUuid(bytes: [UInt8](repeating: 1, count: 15)) == nil)
        #expect(KafkaUuid(bytes: [UInt8](repeating: 1, count: 17)) == nil)
    }

    /// Kafka's `UuidTest.testCompareUuids`, plus the signed-long ordering it implies.
    @Test func ordersAsKafka() {
        let id00 = KafkaUuid(mostSignificantBits: 0, leastSignificantBits: 0)
        let id01 = KafkaUuid(mostSignificantBits: 0, leastSignificantBits: 1)
        let id10 = KafkaUuid(mostSignificantBits: 1, leastSignificantBits: 0)
        #expect(id00 < id01 && id00 < id10 && id01 < id10)
        #expect(!(id01 < id00) && !(id00 < id00))
        let negative = KafkaUuid(mostSignificantBits: 0x8000_0000_0000_0000, leastSignificantBits: 0)
        #expect(negative < id00)
    }

    @Test func randomIdsAreVersion4AndNeverReservedOrDashFirst() {
        let seed: UInt64 = 0x5EED_0003
        var rng = SplitMix64(seed: seed)
        var seen = Set<KafkaUuid>()
        for _ in 0 ..< 2000 {
            let id = KafkaUuid.random(using: &rng)
            #expect(id.mostSignificantBits >> 12 & 0xF == 4, "seed=\(seed)")
            #expect(id.leastSignificantBits >> 62 == 0b10, "seed=\(seed)")
            #expect(id != .zero && id != .metadataTopicId)
            #expect(!id.description.hasPrefix("-"), "seed=\(seed) \(id)")
            #expect(KafkaUuid(id.description) == id, "seed=\(seed) \(id)")
            seen.insert(id)
        }
        #expect(seen.count == 2000)
    }

    /// A generator whose first draws would make an ID that prints with a leading '-' (top six
    /// bits 0b111110): `random` must skip it and use the next draws.
    @Test func randomSkipsDashFirst() {
        struct Scripted: RandomNumberGenerator {
            var values: [UInt64]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        var g = Scripted(values: [0xF800_0000_0000_0000, 7, 0x1234, 9])
        let id = KafkaUuid.random(using: &g)
        #expect(id.mostSignificantBits == 0x4234)
        #expect(g.values.isEmpty)
    }
}
