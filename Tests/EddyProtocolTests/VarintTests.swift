import EddyProtocol
import Testing

@Suite struct VarintTests {
    static func encode(_ v: Int64) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarint(v)
        return w.bytes
    }

    static func readVarint(_ bytes: [UInt8]) throws(RecordBatchError) -> (Int32, Int) {
        try bytes.withBytes { (buf) throws(RecordBatchError) in
            var r = ByteReader(buf)
            let v = try r.readVarint()
            return (v, r.position)
        }
    }

    static func readVarlong(_ bytes: [UInt8]) throws(RecordBatchError) -> (Int64, Int) {
        try bytes.withBytes { (buf) throws(RecordBatchError) in
            var r = ByteReader(buf)
            let v = try r.readVarlong()
            return (v, r.position)
        }
    }

    /// Zigzag maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ... (protobuf's sint encoding, which Kafka uses).
    @Test func zigzagOrder() {
        for (i, v) in [Int64(0), -1, 1, -2, 2, -3, 3].enumerated() {
            #expect(Varint.zigzag(v) == UInt64(i))
            #expect(Varint.unzigzag(UInt64(i)) == v)
        }
        #expect(Varint.zigzag(Int64(Int32.max)) == 4_294_967_294)
        #expect(Varint.zigzag(Int64(Int32.min)) == 4_294_967_295)
        #expect(Varint.zigzag(.max) == UInt64.max - 1)
        #expect(Varint.zigzag(.min) == UInt64.max)
    }

    @Test func knownEncodings() throws {
        let cases: [(Int64, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]),
            (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]), (-65, [0x81, 0x01]),
            (300, [0xD8, 0x04]),
            (Int64(Int32.max), [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
            (Int64(Int32.min), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            (.max, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            (.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ]
        for (v, bytes) in cases {
            #expect(Self.encode(v) == bytes, "\(v)")
            #expect(Varint.size(v) == bytes.count, "\(v)")
            #expect(try Self.readVarlong(bytes) == (v, bytes.count), "\(v)")
        }
    }

    /// Every value in -70000...70000 (1-, 2- and 3-byte encodings) round-trips through both
    /// readers and `size` matches the bytes written.
    @Test func exhaustiveSmallRoundTrip() throws {
        for v in Int64(-70000) ... 70000 {
            let bytes = Self.encode(v)
            guard Varint.size(v) == bytes.count,
                  try Self.readVarint(bytes) == (Int32(v), bytes.count),
                  try Self.readVarlong(bytes) == (v, bytes.count) else {
                Issue.record("round trip failed for \(v): \(bytes)")
                return
            }
        }
    }

    /// 2^k - 1, 2^k, 2^k + 1 and their negations for every k, plus Int32/Int64 extremes.
    static var boundaries: [Int64] {
        var out: [Int64] = [0, -1, 1, .max, .min, .max - 1, .min + 1,
                            Int64(Int32.max), Int64(Int32.min), Int64(Int32.max) + 1, Int64(Int32.min) - 1]
        for k in 0 ..< 63 {
            let p = Int64(1) << k
            out += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
        }
        return out
    }

    @Test func boundaryRoundTrip() throws {
        for v in Self.boundaries {
            let bytes = Self.encode(v)
            #expect(Varint.size(v) == bytes.count, "\(v)")
            #expect(bytes.count <= 10)
            #expect(try Self.readVarlong(bytes) == (v, bytes.count), "\(v)")
            if let v32 = Int32(exactly: v) {
                #expect(bytes.count <= 5)
                #expect(try Self.readVarint(bytes) == (v32, bytes.count), "\(v)")
            } else {
                #expect(throws: RecordBatchError.varintOverflow, "\(v)") { try Self.readVarint(bytes) }
            }
        }
    }

    /// An unsigned value needs k bytes up to 2^(7k) - 1 and k + 1 from 2^(7k).
    @Test func sizeSteps() {
        #expect(Varint.size(unsigned: 0) == 1)
        for k in 1 ... 9 {
            let edge = UInt64(1) << (7 * k)
            #expect(Varint.size(unsigned: edge - 1) == k)
            #expect(Varint.size(unsigned: edge) == k + 1)
        }
        #expect(Varint.size(unsigned: .max) == 10)
    }

    @Test func overflowIsDetected() throws {
        // A 32-bit varint may take at most 5 bytes...
        #expect(throws: RecordBatchError.varintOverflow) { try Self.readVarint([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) }
        // ...and its 5th byte carries only 4 more bits.
        #expect(throws: RecordBatchError.varintOverflow) { try Self.readVarint([0xFF, 0xFF, 0xFF, 0xFF, 0x10]) }
        #expect(try Self.readVarint([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == (Int32.min, 5))
        // A 64-bit varint may take at most 10 bytes, the 10th holding only bit 63.
        let nineContinuations = [UInt8](repeating: 0xFF, count: 9)
        #expect(throws: RecordBatchError.varintOverflow) { try Self.readVarlong(nineContinuations + [0x81, 0x00]) }
        #expect(throws: RecordBatchError.varintOverflow) { try Self.readVarlong(nineContinuations + [0x02]) }
        #expect(try Self.readVarlong(nineContinuations + [0x01]) == (.min, 10))
        // Non-minimal encodings within the limit are accepted, as Kafka does.
        #expect(try Self.readVarint([0x80, 0x80, 0x80, 0x80, 0x00]) == (0, 5))
        #expect(try Self.readVarlong([0x82, 0x80, 0x00]) == (1, 3))
    }

    @Test func truncationIsDetected() throws {
        #expect(throws: RecordBatchError.truncated(needed: 1, available: 0)) { try Self.readVarint([]) }
        #expect(throws: RecordBatchError.truncated(needed: 1, available: 0)) { try Self.readVarint([0x80]) }
        #expect(throws: RecordBatchError.truncated(needed: 1, available: 0)) { try Self.readVarlong([0xFF, 0xFF, 0xFF]) }
    }

    /// A seeded sweep over random magnitudes of every bit width.
    @Test func randomRoundTrip() throws {
        let seed: UInt64 = 42
        var rng = SplitMix64(seed: seed)
        for _ in 0 ..< 20000 {
            let bits = Int.random(in: 0 ... 64, using: &rng)
            let raw = bits == 0 ? 0 : rng.next() >> (64 - bits)
            let v = Int64(bitPattern: raw)
            let bytes = Self.encode(v)
            guard try Self.readVarlong(bytes) == (v, bytes.count), Varint.size(v) == bytes.count else {
                Issue.record("seed=\(seed): round trip failed for \(v)")
                return
            }
        }
    }
}
