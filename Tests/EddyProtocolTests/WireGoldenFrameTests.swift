@testable import EddyProtocol
import Foundation
import Testing

/// Request frames captured from real clients (kcat on librdkafka 2.0.2 and 2.16, confluent-kafka,
/// kafka-python, aiokafka; see Fixtures/frames/README.md and scripts/capture-golden-frames):
/// every one eddy's codec covers decodes, and writing it back gives the client's bytes exactly.
/// The broker's responses (from a peer broker) decode too.
@Suite struct WireGoldenFrameTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/frames")

    struct Frame: CustomStringConvertible {
        var client: String
        var name: String
        var bytes: [UInt8]
        var response: [UInt8]?
        var description: String { "\(client)/\(name)" }
    }

    static func frames() throws -> [Frame] {
        let fm = FileManager.default
        var out: [Frame] = []
        for client in try fm.contentsOfDirectory(atPath: directory.path).sorted() {
            let folder = directory.appendingPathComponent(client)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else { continue }
            for file in try fm.contentsOfDirectory(atPath: folder.path).sorted()
            where file.hasSuffix(".bin") && !file.hasSuffix(".response.bin") {
                let name = String(file.dropLast(4))
                let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(file)))
                let response = try? [UInt8](Data(contentsOf: folder.appendingPathComponent(name + ".response.bin")))
                out.append(Frame(client: client, name: name, bytes: bytes, response: response))
            }
        }
        return out
    }

    @Test func everyClientSentTheCoreApis() throws {
        let all = try Self.frames()
        for client in ["kcat", "kcat-2.0.2", "confluent-kafka", "kafka-python"] {
            let names = Set(all.filter { $0.client == client }.map { $0.name.split(separator: "-")[0] })
            for api in ["ApiVersions", "Metadata", "Produce", "Fetch", "JoinGroup", "SyncGroup", "OffsetCommit"] {
                #expect(names.contains(Substring(api)), "\(client) has no \(api) frame")
            }
        }
    }

    @Test func capturedRequestsDecodeAndReencodeByteForByte() throws {
        var decoded = 0
        for frame in try Self.frames() {
            let request = try Wire.decodeRequest(frame.bytes)
            let header = request.header
            guard let body = request.body else {
                // APIs eddy's codec does not cover (GetTelemetrySubscriptions, ConsumerGroupDescribe).
                #expect(Wire.requestTypes[header.requestApiKey] == nil, "\(frame) did not decode")
                continue
            }
            var w = ByteWriter()
            try header.write(to: &w, version: Wire.requestHeaderVersion(apiKey: header.requestApiKey, apiVersion: header.requestApiVersion))
            try body.write(to: &w, version: header.requestApiVersion)
            #expect(w.bytes == frame.bytes, "\(frame): re-encoded bytes differ")
            if let response = frame.response, let type = Wire.responseTypes[header.requestApiKey] {
                let decodes = type.decodesAsResponse(response, version: header.requestApiVersion)
                #expect(decodes, "\(frame): response did not decode")
            }
            decoded += 1
        }
        #expect(decoded >= 70)
    }


    @Test func capturedFramesSurviveEverySplit() throws {
        // Every captured request, back to back with size prefixes, fed one byte at a time.
        let frames = try Self.frames().map(\.bytes)
        var stream: [UInt8] = []
        for f in frames {
            var w = ByteWriter()
            w.writeInt32(Int32(f.count))
            stream += w.bytes + f
        }
        var decoder = KafkaFrameDecoder()
        var out: [[UInt8]] = []
        for b in stream {
            decoder.append(CollectionOfOne(b))
            while let f = try decoder.next() { out.append(f) }
        }
        #expect(out == frames)
    }
}

extension WireApiMessage {
    static func decodesAsResponse(_ frame: [UInt8], version: Int16) -> Bool {
        (try? Wire.decodeResponse(Self.self, frame, version: version)) != nil
    }
}
