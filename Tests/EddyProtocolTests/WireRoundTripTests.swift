@testable import EddyProtocol
import Testing

/// Every generated message, in every version of its schema: random values round-trip exactly,
/// re-encoding gives the same bytes, every truncation is rejected with `ProtocolError`, and
/// random corruption never traps.
@Suite struct WireRoundTripTests {
    static let valuesPerVersion = 40

    @Test func everyMessageRoundTripsInEveryVersion() throws {
        var checked = 0
        for type in allWireMessageTypes {
            checked += try Self.roundTrip(type)
        }
        // 96 schemas (2 headers + 43 APIs x 2 + 8 data schemas), 469 schema versions in all.
        #expect(checked == 469 * Self.valuesPerVersion)
    }

    static func roundTrip<M: WireMessage & WireArbitraryMessage>(_: M.Type) throws -> Int {
        var checked = 0
        for version in M.validVersions {
            var g = SplitMix64(seed: UInt64(bitPattern: Int64(version)) &* 0x9E37 &+ UInt64(String(describing: M.self).utf8.count))
            for i in 0 ..< valuesPerVersion {
                let value = M.arbitrary(version: version, using: &g)
                let context = "\(M.self) v\(version) value \(i)"
                let bytes = try value.encoded(version: version)
                let decoded = try M(decoding: bytes, version: version)
                #expect(decoded == value, "\(context): decoded value differs")
                #expect(try decoded.encoded(version: version) == bytes, "\(context): re-encoding differs")
                // Every proper prefix is a truncated message.
                for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 16)) {
                    #expect(throws: ProtocolError.self, "\(context): prefix \(cut)") {
                        try M(decoding: Array(bytes[..<cut]), version: version)
                    }
                }
                checked += 1
            }
        }
        return checked
    }

    @Test func corruptedMessagesOnlyThrowProtocolError() {
        var g = SplitMix64(seed: 0xC0FFEE)
        var decodedAnyway = 0
        for type in allWireMessageTypes {
            decodedAnyway += Self.corrupt(type, &g)
        }
        #expect(decodedAnyway > 0)
    }

    static func corrupt<M: WireMessage & WireArbitraryMessage>(_: M.Type, _ g: inout SplitMix64) -> Int {
        var decoded = 0
        for version in M.validVersions {
            for _ in 0 ..< 20 {
                guard var bytes = try? M.arbitrary(version: version, using: &g).encoded(version: version), !bytes.isEmpty else { continue }
                for _ in 0 ..< Int.random(in: 1 ... 3, using: &g) {
                    bytes[Int.random(in: 0 ..< bytes.count, using: &g)] = UInt8.random(in: 0 ... 255, using: &g)
                }
                do {
                    _ = try M(decoding: bytes, version: version)
                    decoded += 1
                } catch {
                    // ProtocolError is the only error the typed throw allows; reaching here is the check.
                }
            }
        }
        return decoded
    }

    @Test func fieldsAVersionCannotCarryAreRefused() throws {
        // ProduceRequest.transactionalId exists from v3; a non-default value cannot go in v2.
        let request = Wire.ProduceRequest(transactionalId: "tx", acks: -1, timeoutMs: 1000)
        #expect(throws: ProtocolError.unsupportedField(field: "ProduceRequest.transactionalId", version: 2)) {
            try request.encoded(version: 2)
        }
        #expect(try request.encoded(version: 3).count > 0)
        // Ignorable fields are dropped instead (ProduceResponse.throttleTimeMs is v1+).
        let response = Wire.ProduceResponse(throttleTimeMs: 5)
        #expect(try Wire.ProduceResponse(decoding: response.encoded(version: 0), version: 0).throttleTimeMs == 0)
        // A nullable-from-v1 field cannot be null in v0 (MetadataRequest.topics).
        #expect(throws: ProtocolError.nullNotAllowed(field: "MetadataRequest.topics", version: 0)) {
            try Wire.MetadataRequest(topics: nil).encoded(version: 0)
        }
    }
}
