import Testing
@testable import EddyProtocol

/// Fetch answers whose records stay in a file until the socket (`FileRecords`,
/// `Wire.encodeResponseParts`): the parts, with the file ranges read, are exactly the frame
/// `encodeResponse` writes with the records as bytes, in every Fetch version.
@Suite struct WireFileRecordsTests {
    /// Stands in for a segment file: the records at a position inside other bytes.
    final class MemoryFile: RecordsFile {
        let contents: [UInt8]
        init(_ contents: [UInt8]) { self.contents = contents }
        var descriptor: Int32 { -1 }
        func size() throws -> Int64 { Int64(contents.count) }
        func read(at position: Int64, count: Int) throws -> [UInt8] { Array(contents[Int(position) ..< Int(position) + count]) }
    }

    func batch(_ values: [String], base: Int64) -> [UInt8] {
        var b = RecordBatchBuilder(baseOffset: base)
        for v in values { b.append(timestamp: 1000, key: nil, value: Array(v.utf8)) }
        return b.build().bytes
    }

    func response(p0: [UInt8], p1: [UInt8], p2: [UInt8]) -> FetchResponse {
        FetchResponse(responses: [
            .init(topic: "a", partitions: [
                .init(partitionIndex: 0, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0, records: p0),
                .init(partitionIndex: 1, errorCode: .notLeaderOrFollower),
            ]),
            .init(topic: "b", partitions: [.init(partitionIndex: 2, highWatermark: 9, lastStableOffset: 9, logStartOffset: 0, records: p2)]),
        ] + (p1.isEmpty ? [] : [.init(topic: "c", partitions: [.init(partitionIndex: 0, highWatermark: 1, records: p1)])]))
    }

    @Test func splicedPartsAreTheBytesFrameInEveryVersion() throws {
        let first = batch(["x", "y"], base: 3), second = batch(["z"], base: 7)
        let file = MemoryFile([9, 9, 9] + first + [7] + second)
        var withFiles = response(p0: [], p1: batch(["inline"], base: 0), p2: [])
        withFiles.responses[0].partitions[0].recordsFile = FileRecords(file: file, position: 3, count: first.count, nextOffset: 5)
        withFiles.responses[1].partitions[0].recordsFile = FileRecords(file: file, position: Int64(4 + first.count), count: second.count,
                                                                       nextOffset: 8)
        let withBytes = response(p0: first, p1: batch(["inline"], base: 0), p2: second)
        #expect(withFiles.fileRecordsInWireOrder.map { $0 != nil } == [true, false, true, false])
        for version in Int16(4) ... 12 {
            let parts = try Wire.encodeResponseParts(withFiles.wire(version: version), version: version, correlationId: 42,
                                                     fileRecords: withFiles.fileRecordsInWireOrder)
            #expect(parts.filter { if case .file = $0 { true } else { false } }.count == 2)
            let joined = try parts.flatMap { part -> [UInt8] in
                switch part {
                case let .bytes(b): b
                case let .file(f): try f.bytes()
                }
            }
            let expected = try Wire.encodeResponse(withBytes.wire(version: version), version: version, correlationId: 42)
            #expect(joined == expected, "version \(version)")
            // And a client decodes the records as bytes (what that version carries of the rest).
            let decoded = try Wire.decodeResponse(Wire.FetchResponse.self, Array(joined.dropFirst(4)), version: version)
            #expect(FetchResponse(wire: decoded.message, version: version) == FetchResponse(wire: withBytes.wire(version: version), version: version))
        }
    }

    @Test func withoutFileRecordsTheFrameIsOnePart() throws {
        let plain = response(p0: batch(["a"], base: 0), p1: [], p2: [])
        let parts = try Wire.encodeResponseParts(plain.wire(version: 11), version: 11, correlationId: 1,
                                                 fileRecords: plain.fileRecordsInWireOrder)
        #expect(parts == [.bytes(try Wire.encodeResponse(plain.wire(version: 11), version: 11, correlationId: 1))])
    }
}
