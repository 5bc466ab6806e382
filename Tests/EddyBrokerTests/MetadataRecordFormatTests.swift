import EddyProtocol
import EddySasl
import Testing
@testable import EddyBroker

/// The on-disk bytes of one metadata record of each kind, as the codec wrote them before it
/// moved onto EddyProtocol's shared wire primitives: existing metadata logs and snapshots must
/// keep decoding, and new ones must be written exactly so.
@Suite struct MetadataRecordFormatTests {
    static let id = Uuid(mostSignificantBits: 0x0102_0304_0506_0708, leastSignificantBits: 0x090A_0B0C_0D0E_0F10)

    static let records: [MetadataRecord] = [
        .registerBroker(RegisterBrokerRecord(brokerId: 3, incarnationId: id, fenced: false, inControlledShutdown: true)),
        .registerBroker(RegisterBrokerRecord(brokerId: 0x0102_0304)),
        .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: 2, fenced: true, inControlledShutdown: false)),
        .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: -1)),
        .topic(TopicRecord(name: "tópico-✓", topicId: id)),
        .topic(TopicRecord(name: String(repeating: "n", count: 130), topicId: .zero)),
        .partition(PartitionRecord(partitionId: 5, topicId: id, replicas: [1, 2, 3], isr: [], leader: -1,
                                   leaderEpoch: 0x7FFF_FFFF, partitionEpoch: 9)),
        .config(ConfigRecord(resourceType: .broker, resourceName: "1", name: "log.retention.ms", value: "1000")),
        .config(ConfigRecord(resourceName: "t", name: "cleanup.policy", value: nil)),
        .partitionChange(PartitionChangeRecord(partitionId: 1, topicId: id, isr: [4], leader: 4, replicas: nil)),
        .partitionChange(PartitionChangeRecord(partitionId: 2, topicId: id, isr: nil, leader: -2, replicas: [])),
        .removeTopic(RemoveTopicRecord(topicId: id)),
        .producerIds(ProducerIdsRecord(brokerId: 1, brokerEpoch: 0x0102_0304_0506_0708, nextProducerId: -1)),
        .noOp,
        .userScramCredential(UserScramCredentialRecord(name: "alice", mechanism: .sha256,
                                                       credential: ScramCredential(salt: [1, 2, 3], storedKey: [4, 5], serverKey: [6], iterations: 4096))),
        .removeUserScramCredential(RemoveUserScramCredentialRecord(name: "alice", mechanism: .sha512)),
    ]

    /// Captured from the codec before the move, one line per record above.
    static let hex: [String] = [
        "010000000000030102030405060708090a0b0c0d0e0f10000100",
        "0100000102030400000000000000000000000000000000010000",
        "0111000000000201ff00",
        "011100ffffffff000000",
        "0102000c74c3b37069636f2de29c930102030405060708090a0b0c0d0e0f1000",
        "01020083016e" + String(repeating: "6e", count: 129) + "0000000000000000000000000000000000",
        "010300000000050102030405060708090a0b0c0d0e0f100400000001000000020000000301ffffffff7fffffff0000000900",
        "010400040231116c6f672e726574656e74696f6e2e6d73053130303000",
        "0104000202740f636c65616e75702e706f6c6963790000",
        "010500000000010102030405060708090a0b0c0d0e0f100200000004000000040000",
        "010500000000020102030405060708090a0b0c0d0e0f1000fffffffe0100",
        "0109000102030405060708090a0b0c0d0e0f1000",
        "010f00000000010102030405060708ffffffffffffffff00",
        "01140000",
        // Added with SASL: UserScramCredentialRecord (11) and RemoveUserScramCredentialRecord (22).
        "010b0006616c696365010401020303040502060000100000",
        "01160006616c6963650200",
    ]

    @Test func everyKindKeepsItsBytes() throws {
        #expect(Set(Self.records.map(\.type)).count == MetadataRecordType.allCases.count)
        #expect(Self.records.count == Self.hex.count)
        for (record, hex) in zip(Self.records, Self.hex) {
            let bytes = bytes(hex: hex)
            #expect(record.encoded() == bytes, "\(record)")
            #expect(try MetadataRecord(decoding: bytes) == record)
        }
    }

    @Test func malformedRecordsAreCorruptMetadata() throws {
        for hex in Self.hex {
            let bytes = bytes(hex: hex)
            for cut in 0 ..< bytes.count {
                #expect(throws: BrokerError.self) { try MetadataRecord(decoding: Array(bytes[..<cut])) }
            }
        }
        // A bool other than 0 or 1, a change other than -1, 0 or 1.
        #expect(throws: BrokerError.self) { try MetadataRecord(decoding: bytes(hex: "0100000000000300000000000000000000000000000000020000")) }
        #expect(throws: BrokerError.self) { try MetadataRecord(decoding: bytes(hex: "0111000000000202ff00")) }
        // A nullable string's length far beyond the bytes present.
        #expect(throws: BrokerError.self) { try MetadataRecord(decoding: bytes(hex: "0104000202740f636c65616e75702e706f6c696379ffffffff0f00")) }
        // A SCRAM mechanism other than 1 or 2.
        #expect(throws: BrokerError.self) { try MetadataRecord(decoding: bytes(hex: "01160006616c6963650300")) }
    }
}

/// Bytes from a hex string such as "01ff".
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0 ... $0 + 1], as: UTF8.self), radix: 16)! }
}
