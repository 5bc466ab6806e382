import EddyProtocol
import EddySasl
import Testing
@testable import EddyBroker

@Suite struct MetadataRecordCodecTests {
    static let id = Uuid(mostSignificantBits: 0x0102_0304_0506_0708, leastSignificantBits: 0x090A_0B0C_0D0E_0F10)
    static let idBytes: [UInt8] = Array(1 ... 16)

    @Test func topicRecordBytesAreAssembledByHand() throws {
        let r = MetadataRecord.topic(TopicRecord(name: "foo", topicId: Self.id))
        let expected: [UInt8] = [0x01, 0x02, 0x00, 0x04, 0x66, 0x6F, 0x6F] + Self.idBytes + [0x00]
        #expect(r.encoded() == expected)
        #expect(try MetadataRecord(decoding: expected) == r)
    }

    @Test func partitionRecordBytesAreAssembledByHand() throws {
        let r = MetadataRecord.partition(PartitionRecord(partitionId: 1, topicId: Self.id, replicas: [0], isr: [0],
                                                         leader: 0, leaderEpoch: 2, partitionEpoch: 3))
        let expected: [UInt8] = [0x01, 0x03, 0x00, 0, 0, 0, 1] + Self.idBytes
            + [0x02, 0, 0, 0, 0] + [0x02, 0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 2] + [0, 0, 0, 3] + [0x00]
        #expect(r.encoded() == expected)
        #expect(try MetadataRecord(decoding: expected) == r)
    }

    @Test func configRecordWithNullValueBytes() throws {
        let r = MetadataRecord.config(ConfigRecord(resourceName: "t", name: "retention.ms", value: nil))
        let expected: [UInt8] = [0x01, 0x04, 0x00, 0x02, 0x02, 0x74, 0x0D] + Array("retention.ms".utf8) + [0x00, 0x00]
        #expect(r.encoded() == expected)
        #expect(try MetadataRecord(decoding: expected) == r)
    }

    @Test func partitionChangeRemoveTopicAndNoOpBytes() throws {
        let change = MetadataRecord.partitionChange(PartitionChangeRecord(partitionId: 0, topicId: Self.id, replicas: [1, 2]))
        let changeBytes: [UInt8] = [0x01, 0x05, 0x00, 0, 0, 0, 0] + Self.idBytes + [0x00, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0x03, 0, 0, 0, 1, 0, 0, 0, 2] + [0x00]
        #expect(change.encoded() == changeBytes)
        #expect(try MetadataRecord(decoding: changeBytes) == change)

        let remove = MetadataRecord.removeTopic(RemoveTopicRecord(topicId: Self.id))
        #expect(remove.encoded() == [0x01, 0x09, 0x00] + Self.idBytes + [0x00])
        #expect(MetadataRecord.noOp.encoded() == [0x01, 0x14, 0x00, 0x00])
        #expect(try MetadataRecord(decoding: [0x01, 0x14, 0x00, 0x00]) == .noOp)
    }

    static func randomRecord(_ g: inout TestRandom) -> MetadataRecord {
        func id() -> Uuid { Uuid.random(using: &g) }
        func ints() -> [Int32] { (0 ..< Int.random(in: 0 ... 5, using: &g)).map { _ in Int32.random(in: -3 ... 1000, using: &g) } }
        func text() -> String {
            let alphabet = Array("abcXYZ09._-é✓ ")
            return String((0 ..< Int.random(in: 0 ... 300, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
        }
        func change() -> Bool? { [nil, true, false].randomElement(using: &g)! }
        func blob() -> [UInt8] { (0 ..< Int.random(in: 0 ... 70, using: &g)).map { _ in UInt8.random(in: 0 ... 255, using: &g) } }
        switch Int.random(in: 0 ..< 10, using: &g) {
        case 8: return .userScramCredential(UserScramCredentialRecord(
            name: text(), mechanism: ScramMechanism.allCases.randomElement(using: &g)!,
            credential: ScramCredential(salt: blob(), storedKey: blob(), serverKey: blob(), iterations: .random(in: 0 ... .max, using: &g))))
        case 9: return .removeUserScramCredential(RemoveUserScramCredentialRecord(name: text(), mechanism: ScramMechanism.allCases.randomElement(using: &g)!))
        case 6: return .registerBroker(RegisterBrokerRecord(brokerId: .random(in: 0 ... .max, using: &g),
                                                            incarnationId: Bool.random(using: &g) ? id() : nil,
                                                            fenced: .random(using: &g), inControlledShutdown: .random(using: &g)))
        case 7: return .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: .random(in: -1 ... 9, using: &g),
                                                                                fenced: change(), inControlledShutdown: change()))
        case 0: return .topic(TopicRecord(name: text(), topicId: id()))
        case 1: return .partition(PartitionRecord(partitionId: .random(in: 0 ... .max, using: &g), topicId: id(), replicas: ints(),
                                                  isr: ints(), leader: .random(in: -1 ... 5, using: &g),
                                                  leaderEpoch: .random(in: 0 ... .max, using: &g), partitionEpoch: .random(in: 0 ... 9, using: &g)))
        case 2: return .config(ConfigRecord(resourceType: Bool.random(using: &g) ? .topic : .broker, resourceName: text(),
                                            name: text(), value: Bool.random(using: &g) ? text() : nil))
        case 3: return .partitionChange(PartitionChangeRecord(partitionId: 7, topicId: id(), isr: Bool.random(using: &g) ? ints() : nil,
                                                              leader: .random(in: -2 ... 3, using: &g),
                                                              replicas: Bool.random(using: &g) ? ints() : nil))
        case 4: return .removeTopic(RemoveTopicRecord(topicId: id()))
        default: return .noOp
        }
    }

    @Test func randomRecordsRoundTrip() throws {
        let seed: UInt64 = 0xC0DEC
        var g = TestRandom(seed: seed)
        for _ in 0 ..< 2000 {
            let r = Self.randomRecord(&g)
            #expect(try MetadataRecord(decoding: r.encoded()) == r, "seed=\(seed) record=\(r)")
        }
    }

    @Test func everyTruncationIsATypedError() throws {
        var g = TestRandom(seed: 7)
        for _ in 0 ..< 50 {
            let bytes = Self.randomRecord(&g).encoded()
            for cut in 0 ..< bytes.count {
                #expect(throws: BrokerError.self) { try MetadataRecord(decoding: Array(bytes[..<cut])) }
            }
        }
    }

    @Test func randomMutationsNeverCrash() throws {
        let seed: UInt64 = 99
        var g = TestRandom(seed: seed)
        var decoded = 0, rejected = 0
        for _ in 0 ..< 5000 {
            var bytes = Self.randomRecord(&g).encoded()
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &g) {
                bytes[Int.random(in: 0 ..< bytes.count, using: &g)] = UInt8.random(in: 0 ... 255, using: &g)
            }
            do {
                let r = try MetadataRecord(decoding: bytes)
                // Whatever decodes must re-encode to bytes that decode the same way.
                #expect(try MetadataRecord(decoding: r.encoded()) == r, "seed=\(seed)")
                decoded += 1
            } catch {
                // The decoder throws BrokerError only (typed throws); it must be .corruptMetadata.
                guard case .corruptMetadata = error else { Issue.record("unexpected \(error), seed=\(seed)"); continue }
                rejected += 1
            }
        }
        #expect(rejected > 0 && decoded > 0)
    }

    @Test func rejectsUnknownTypesVersionsFramesAndTrailingBytes() {
        func rejects(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try MetadataRecord(decoding: bytes)
                Issue.record("decoded \(bytes)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
        rejects([0x00, 0x14, 0x00, 0x00], "frame version 0")
        rejects([0x01, 0x63, 0x00, 0x00], "unknown metadata record type 99")
        rejects([0x01, 0x14, 0x01, 0x00], "NoOpRecord version 1 is newer")
        rejects([0x01, 0x14, 0x00, 0x00, 0x00], "1 trailing bytes")
        rejects([0x01, 0x02, 0x00, 0x00] + Self.idBytes + [0x00], "TopicRecord.name may not be null")
        rejects([0x01, 0x02, 0x00, 0x03, 0xC3, 0x28] + Self.idBytes + [0x00], "not valid UTF-8")
        // An array count far beyond the bytes present is refused before allocating.
        rejects([0x01, 0x03, 0x00, 0, 0, 0, 1] + Self.idBytes + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "invalid PartitionRecord.replicas length")
        rejects([0x01, 0x04, 0x00, 0x03, 0x01, 0x61, 0x01, 0x61, 0x00, 0x00], "unknown config resource type 3")
        // Tagged fields must be in increasing order.
        rejects([0x01, 0x14, 0x00, 0x02, 0x05, 0x00, 0x05, 0x00], "out of order")
    }

    @Test func unknownTaggedFieldsAreSkipped() throws {
        // A NoOpRecord from a newer writer with two tagged fields eddy does not know.
        let bytes: [UInt8] = [0x01, 0x14, 0x00, 0x02, 0x00, 0x02, 0xAA, 0xBB, 0x07, 0x00]
        #expect(try MetadataRecord(decoding: bytes) == .noOp)
        let topic: [UInt8] = [0x01, 0x02, 0x00, 0x02, 0x61] + Self.idBytes + [0x01, 0x03, 0x01, 0xFF]
        #expect(try MetadataRecord(decoding: topic) == .topic(TopicRecord(name: "a", topicId: Self.id)))
    }
}
