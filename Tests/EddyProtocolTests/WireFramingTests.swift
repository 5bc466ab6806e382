@testable import EddyProtocol
import Testing

/// Hand-assembled bytes from Kafka's protocol guide, the header rules, and the frame decoder fed
/// in every split (as swift-nio's `ByteToMessageDecoderVerifier` does).
@Suite struct WireFramingTests {
    @Test func classicEncodingMatchesTheProtocolGuide() throws {
        // MetadataRequest v0: topics = [name]; int32 count, int16 length + UTF-8.
        let m = Wire.MetadataRequest(topics: [.init(name: "orders")])
        #expect(try m.encoded(version: 0) == hexBytes("00000001 0006") + utf8("orders"))
    }

    @Test func compactEncodingAndTaggedFields() throws {
        // ApiVersionsRequest v3: compact strings (length + 1) and an empty tagged-field section.
        let r = Wire.ApiVersionsRequest(clientSoftwareName: "eddy", clientSoftwareVersion: "1.0")
        let bytes = try r.encoded(version: 3)
        #expect(bytes == [5] + utf8("eddy") + [4] + utf8("1.0") + [0])
        // An unknown tag (99, two bytes) is skipped.
        let withUnknownTag = [5] + utf8("eddy") + [4] + utf8("1.0") + hexBytes("01 63 02 abcd")
        #expect(try Wire.ApiVersionsRequest(decoding: withUnknownTag, version: 3) == r)
        // A known tagged field: ProduceResponse v10's currentLeader (tag 0) = int32 leader,
        // int32 epoch, empty tagged fields: 9 bytes.
        let p = Wire.ProduceResponse.TopicProduceResponse.PartitionProduceResponse(
            index: 1, baseOffset: 5, currentLeader: .init(leaderId: 2, leaderEpoch: 7))
        let pb = try p.encoded(version: 10)
        #expect(Array(pb.suffix(12)) == hexBytes("01 00 09 00000002 00000007 00"))
        // Left at its default, it is not written at all.
        var q = p
        q.currentLeader = .init()
        #expect(try q.encoded(version: 10).suffix(1) == [0])
    }

    @Test func nullsInClassicAndCompactForms() throws {
        let p = Wire.ProduceRequest(transactionalId: nil, acks: 1, timeoutMs: 100,
                                    topicData: [.init(name: "t", partitionData: [.init(index: 0, records: nil)])])
        let classic = try p.encoded(version: 3)
        #expect(Array(classic.prefix(2)) == hexBytes("ffff"))  // null string: int16 -1
        #expect(Array(classic.suffix(4)) == hexBytes("ffffffff"))  // null records: int32 -1
        let compact = try p.encoded(version: 9)
        #expect(compact.first == 0)  // null compact string: 0
        #expect(try Wire.ProduceRequest(decoding: compact, version: 9) == p)
    }

    @Test func lengthsBeyondTheBytesLeftAreRefusedBeforeAllocating() {
        // A MetadataRequest v0 claiming 2^31-1 topics in 4 bytes.
        #expect(throws: ProtocolError.invalidLength(field: "MetadataRequest.topics", value: Int64(Int32.max))) {
            try Wire.MetadataRequest(decoding: hexBytes("7fffffff"), version: 0)
        }
        // A compact string claiming 1,000 bytes.
        #expect(throws: ProtocolError.self) {
            try Wire.ApiVersionsRequest(decoding: hexBytes("e907 41"), version: 3)
        }
    }

    @Test func headerVersionsFollowFlexibility() {
        #expect(Wire.requestHeaderVersion(apiKey: 3, apiVersion: 8) == 1)
        #expect(Wire.requestHeaderVersion(apiKey: 3, apiVersion: 9) == 2)
        #expect(Wire.responseHeaderVersion(apiKey: 3, apiVersion: 9) == 1)
        #expect(Wire.responseHeaderVersion(apiKey: 0, apiVersion: 8) == 0)
        // ApiVersions: request header v2 from v3, but its response header is always v0.
        #expect(Wire.requestHeaderVersion(apiKey: 18, apiVersion: 3) == 2)
        #expect(Wire.responseHeaderVersion(apiKey: 18, apiVersion: 3) == 0)
    }

    @Test func requestFramesRoundTrip() throws {
        let request = Wire.ApiVersionsRequest(clientSoftwareName: "kcat", clientSoftwareVersion: "1.7.1")
        let frame = try Wire.encodeRequest(request, version: 3, correlationId: 42, clientId: "rdkafka")
        // 18 header bytes + 12 body bytes (two compact strings, empty tags).
        #expect(Array(frame.prefix(4)) == hexBytes("0000001e"))
        // api key 18, version 3, correlation 42, classic client id, empty header tags.
        #expect(Array(frame[4 ..< 22]) == hexBytes("0012 0003 0000002a 0007") + utf8("rdkafka") + [0])
        let decoded = try Wire.decodeRequest(Array(frame.dropFirst(4)))
        #expect(decoded.header == .init(requestApiKey: 18, requestApiVersion: 3, correlationId: 42, clientId: "rdkafka"))
        #expect(decoded.body.map { wireEqual($0, request) } == true)
    }

    @Test func apiVersionsResponsesAlwaysUseHeaderV0() throws {
        let response = Wire.ApiVersionsResponse(apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 4)])
        let frame = try Wire.encodeResponse(response, version: 3, correlationId: 7)
        // correlation id, then straight into the body (error code 0): no header tag byte.
        #expect(Array(frame[4 ..< 10]) == hexBytes("00000007 0000"))
        let (correlation, decoded) = try Wire.decodeResponse(Wire.ApiVersionsResponse.self, Array(frame.dropFirst(4)), version: 3)
        #expect(correlation == 7 && decoded == response)
        // A flexible Metadata response has header v1: correlation id, then an empty tag section.
        let metadata = try Wire.encodeResponse(Wire.MetadataResponse(), version: 12, correlationId: 7)
        #expect(Array(metadata[4 ..< 9]) == hexBytes("00000007 00"))
    }

    @Test func unknownApisAndVersionsKeepTheirHeader() throws {
        // ApiVersions v9 (beyond 3.9's 0-4) and an API key the codec does not cover.
        for (key, version) in [(Int16(18), Int16(9)), (Int16(1000), Int16(0))] {
            var w = ByteWriter()
            try Wire.RequestHeader(requestApiKey: key, requestApiVersion: version, correlationId: 3, clientId: "c").write(to: &w, version: 1)
            w.writeBytes([0, 0, 0])
            let frame = try Wire.decodeRequest(w.bytes)
            #expect(frame.body == nil)
            #expect(frame.header.correlationId == 3 && frame.header.requestApiKey == key)
        }
    }

    // MARK: the frame decoder

    static func stream(_ g: inout SplitMix64) throws -> (bytes: [UInt8], frames: [[UInt8]]) {
        var bytes: [UInt8] = []
        var frames: [[UInt8]] = []
        for i in 0 ..< 12 {
            let m = Wire.MetadataRequest.arbitrary(version: 12, using: &g)
            let frame = try Wire.encodeRequest(m, version: 12, correlationId: Int32(i), clientId: "c")
            bytes += frame
            frames.append(Array(frame.dropFirst(4)))
        }
        bytes += hexBytes("00000000")  // an empty frame is a frame
        frames.append([])
        return (bytes, frames)
    }

    static func decodeAll(_ chunks: [ArraySlice<UInt8>]) throws -> [[UInt8]] {
        var d = KafkaFrameDecoder()
        var out: [[UInt8]] = []
        for chunk in chunks {
            d.append(chunk)
            while let f = try d.next() { out.append(f) }
        }
        #expect(d.buffered == 0)
        return out
    }

    @Test func frameDecoderGivesTheSameFramesForEverySplit() throws {
        var g = SplitMix64(seed: 91)
        let (bytes, frames) = try Self.stream(&g)
        // One byte at a time.
        #expect(try Self.decodeAll(bytes.indices.map { bytes[$0 ... $0] }) == frames)
        // All at once.
        #expect(try Self.decodeAll([bytes[...]]) == frames)
        // Random splits.
        for _ in 0 ..< 200 {
            var chunks: [ArraySlice<UInt8>] = []
            var at = 0
            while at < bytes.count {
                let n = Int.random(in: 1 ... 64, using: &g)
                chunks.append(bytes[at ..< min(bytes.count, at + n)])
                at += n
            }
            #expect(try Self.decodeAll(chunks) == frames)
        }
        // And each frame decodes to its request.
        for (i, f) in frames.dropLast().enumerated() {
            #expect(try Wire.decodeRequest(f).header.correlationId == Int32(i))
        }
    }

    @Test func oversizedAndNegativeFramesAreRefused() {
        var d = KafkaFrameDecoder(maxFrameSize: 1024)
        d.append(hexBytes("00000401"))
        #expect(throws: ProtocolError.frameTooLarge(size: 1025, limit: 1024)) { try d.next() }
        var n = KafkaFrameDecoder()
        n.append(hexBytes("ffffffff"))
        #expect(throws: ProtocolError.frameTooLarge(size: -1, limit: KafkaFrameDecoder.defaultMaxFrameSize)) { try n.next() }
    }
}

extension WireFramingTests {
    /// librdkafka 2.16's AdminClient sends Metadata v12 with three bytes after the message;
    /// Kafka's broker ignores them, and so does eddy's (the frame is from a real request).
    @Test func bytesAfterARequestAreIgnoredAsKafkaDoes() throws {
        let frame = hexBytes("0003000c00000008000772646b61666b61 00 00 00 00 00 010000")
        let decoded = try Wire.decodeRequest(frame)
        #expect(decoded.trailingBytes == 3)
        #expect(decoded.body.map { wireEqual($0, Wire.MetadataRequest(topics: nil, allowAutoTopicCreation: false)) } == true)
    }
}
