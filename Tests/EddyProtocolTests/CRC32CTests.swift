import EddyProtocol
import Testing

@Suite struct CRC32CTests {
    /// Check values: "123456789" is the standard CRC catalogue check; the 32-byte patterns are
    /// the iSCSI test vectors of RFC 3720 appendix B.4; all agree with kafka-python's crc32c.
    static let vectors: [(String, [UInt8], UInt32)] = [
        ("empty", [], 0x0000_0000),
        ("a", utf8("a"), 0xC1D0_4330),
        ("123456789", utf8("123456789"), 0xE306_9283),
        ("32 zero bytes", [UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ("32 0xFF bytes", [UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ("0...31", (0 ..< 32).map { UInt8($0) }, 0x46DD_794E),
        ("31...0", (0 ..< 32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        ("fox", utf8("The quick brown fox jumps over the lazy dog"), 0x2262_0404),
    ]

    @Test(arguments: 0 ..< vectors.count)
    func knownVectors(_ i: Int) {
        let (name, data, expected) = Self.vectors[i]
        #expect(CRC32C.checksum(data) == expected, "\(name)")
        let sw = data.withUnsafeBytes { CRC32C.softwareChecksum($0) }
        #expect(sw == expected, "\(name) (software)")
    }

    @Test func continuationEqualsOneShot() {
        let data = utf8("123456789")
        for split in 0 ... data.count {
            let first = CRC32C.checksum(data[..<split])
            let whole = CRC32C.checksum(data[split...], continuing: first)
            #expect(whole == 0xE306_9283, "split at \(split)")
        }
    }

    /// The hardware path (when this CPU has one) and the slice-by-8 tables agree on every length
    /// 0...2048 at random alignments and on split points.
    @Test func hardwareAndSoftwareAgree() {
        let seed: UInt64 = 0xC0FF_EE00_2024
        var rng = SplitMix64(seed: seed)
        var buffer = [UInt8](repeating: 0, count: 2048 + 16)
        for i in buffer.indices { buffer[i] = UInt8.random(in: 0 ... 255, using: &rng) }
        buffer.withUnsafeBytes { all in
            for length in 0 ... 2048 {
                let start = Int.random(in: 0 ..< 16, using: &rng)
                let slice = UnsafeRawBufferPointer(rebasing: all[start ..< start + length])
                let hw = CRC32C.checksum(slice)
                let sw = CRC32C.softwareChecksum(slice)
                if hw != sw {
                    Issue.record("seed=\(seed) length=\(length) offset=\(start): hw 0x\(String(hw, radix: 16)) sw 0x\(String(sw, radix: 16)) (hardware: \(CRC32C.isHardwareAccelerated))")
                    return
                }
                let split = length == 0 ? 0 : Int.random(in: 0 ... length, using: &rng)
                let a = UnsafeRawBufferPointer(rebasing: slice[..<split])
                let b = UnsafeRawBufferPointer(rebasing: slice[split...])
                let chained = CRC32C.softwareChecksum(b, continuing: CRC32C.checksum(a))
                if chained != hw {
                    Issue.record("seed=\(seed) length=\(length) split=\(split): chained 0x\(String(chained, radix: 16)) != 0x\(String(hw, radix: 16))")
                    return
                }
            }
        }
    }
}
