@testable import EddyProtocol
import Testing

/// The generated codecs of Kafka's data schemas (the consumer protocol, the `__consumer_offsets`
/// records) on real clients' bytes, and the shared primitives that eddy's own formats use.
@Suite struct WireDataSchemaTests {
    /// Every consumer-protocol subscription in the captured JoinGroup requests and responses, and
    /// every assignment in SyncGroup, decodes and writes back to the client's bytes.
    @Test func realClientsConsumerProtocolBytesRoundTrip() throws {
        var subscriptions: [[UInt8]] = [], assignments: [[UInt8]] = []
        for frame in try WireGoldenFrameTests.frames() {
            let request = try Wire.decodeRequest(frame.bytes)
            let version = request.header.requestApiVersion
            if let join = request.body as? Wire.JoinGroupRequest, join.protocolType == "consumer" {
                subscriptions += join.protocols.map(\.metadata)
                if let response = frame.response {
                    subscriptions += try Wire.decodeResponse(Wire.JoinGroupResponse.self, response, version: version).message.members.map(\.metadata)
                }
            }
            if let sync = request.body as? Wire.SyncGroupRequest {
                assignments += sync.assignments.map(\.assignment)
                if let response = frame.response {
                    assignments.append(try Wire.decodeResponse(Wire.SyncGroupResponse.self, response, version: version).message.assignment)
                }
            }
        }
        #expect(subscriptions.count >= 4 && assignments.filter { !$0.isEmpty }.count >= 4)
        for bytes in subscriptions { try Self.roundTrip(Wire.ConsumerProtocolSubscription.self, bytes) }
        for bytes in assignments where !bytes.isEmpty { try Self.roundTrip(Wire.ConsumerProtocolAssignment.self, bytes) }
    }

    static func roundTrip<M: WireMessage>(_: M.Type, _ bytes: [UInt8]) throws {
        let version = try Wire.versionPrefix(of: bytes)
        let value = try M(versionPrefixed: bytes, version: version)
        #expect(try value.versionPrefixedBytes(version: version) == bytes, "\(M.self) v\(version): \(bytes)")
    }

    @Test func versionPrefixedNewerVersionsUseTheNewestLayoutAndMalformedBytesThrow() throws {
        let s = Wire.ConsumerProtocolSubscription(topics: ["t"], userData: nil, generationId: 2, rackId: "r")
        let v3 = try s.versionPrefixedBytes(version: 3)
        let v7 = try s.versionPrefixedBytes(version: 7)
        #expect(v7 == [0, 7] + v3.dropFirst(2))
        #expect(try Wire.ConsumerProtocolSubscription(versionPrefixed: v7 + [9, 9], version: 7) == s)
        #expect(throws: ProtocolError.truncated(needed: 2, available: 1)) { try Wire.versionPrefix(of: [0]) }
        for cut in 2 ..< v3.count {
            #expect(throws: ProtocolError.self) { try Wire.ConsumerProtocolSubscription(versionPrefixed: Array(v3[..<cut]), version: 3) }
        }
        // A null topics array, where the schema has no null.
        #expect(throws: ProtocolError.nullNotAllowed(field: "ConsumerProtocolSubscription.topics", version: 0)) {
            try Wire.ConsumerProtocolSubscription(versionPrefixed: [0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], version: 0)
        }
    }

    @Test func stringsCanBeRequiredToBeValidUTF8() throws {
        let invalid: [UInt8] = [0x03, 0xC3, 0x28]
        try invalid.withBytes { (b) throws(ProtocolError) in
            var lenient = ByteReader(b)
            #expect(try lenient.wireNullableString("f", compact: true) == "\u{FFFD}(")
            var strict = ByteReader(b)
            #expect(throws: ProtocolError.invalidUTF8(field: "f")) { try strict.wireString("f", compact: true, version: 0, validatingUTF8: true) }
        }
    }

    @Test func taggedFieldsCanBeRequiredToAscend() throws {
        let unordered: [UInt8] = [0x02, 0x05, 0x00, 0x05, 0x00]
        try unordered.withBytes { (b) throws(ProtocolError) in
            var lenient = ByteReader(b)
            try lenient.wireTaggedFields { (_, _) throws(ProtocolError) in false }
            #expect(lenient.remaining == 0)
            var strict = ByteReader(b)
            #expect(throws: ProtocolError.taggedFieldsOutOfOrder(tag: 5, previous: 5)) {
                try strict.wireTaggedFields(strictlyAscending: true) { (_, _) throws(ProtocolError) in false }
            }
        }
    }

    @Test func compactWritersMatchTheThrowingOnes() throws {
        for s in [nil, "", "é", String(repeating: "x", count: 200)] as [String?] {
            var a = ByteWriter(), b = ByteWriter()
            a.writeCompactString(s)
            try b.writeWireString(s, "f", compact: true)
            #expect(a.bytes == b.bytes)
        }
        for n in [nil, 0, 1, 127, 128, 70_000] as [Int?] {
            var a = ByteWriter(), b = ByteWriter()
            a.writeCompactArrayCount(n)
            try b.writeWireArrayCount(n, "f", compact: true)
            #expect(a.bytes == b.bytes)
        }
    }

    @Test func longStringsAreCutToFitAClassicLength() {
        #expect("abc".fittingClassicWireString == "abc")
        let long = String(repeating: "é", count: 20_000)  // 40,000 bytes
        let cut = long.fittingClassicWireString
        #expect(cut.utf8.count == 32_766 && long.hasPrefix(cut))
    }
}
