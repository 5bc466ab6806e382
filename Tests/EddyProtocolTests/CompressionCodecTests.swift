@testable import EddyProtocol
import Foundation
import Testing

/// The codecs, run in the system's libraries (libz, libsnappy, liblz4, libzstd loaded at run
/// time): round trips, Kafka's framings, bounds on decompressed size, and what a missing
/// library says.
@Suite struct CompressionCodecTests {
    static let codecs: [CompressionType] = [.gzip, .snappy, .lz4, .zstd]

    /// Inputs with different shapes: empty, tiny, repetitive, and 300 KiB of mixed bytes (more
    /// than one snappy xerial block (32 KiB) and one lz4 block (64 KiB)).
    static let inputs: [[UInt8]] = {
        var random = SplitMix64(seed: 42)
        var mixed: [UInt8] = []
        for i in 0 ..< 300 * 1024 {
            mixed.append(i % 7 == 0 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(truncatingIfNeeded: i / 64))
        }
        return [[], [42], Array(repeating: 0x61, count: 100_000), mixed]
    }()

    func codec(_ type: CompressionType) throws -> CompressionCodec { try CompressionCodec.system(type) }

    @Test(arguments: codecs)
    func roundTrips(type: CompressionType) throws {
        let c = try codec(type)
        #expect(c.type == type)
        for input in Self.inputs {
            let compressed = try c.compress(input)
            #expect(try c.decompress(compressed) == input, "\(type.name), \(input.count) bytes")
        }
    }

    /// What eddy writes is Kafka's framing for each codec.
    @Test func writesKafkasFramings() throws {
        let input = Self.inputs[3]
        let gzip = try codec(.gzip).compress(input)
        #expect(Array(gzip.prefix(3)) == [0x1F, 0x8B, 0x08]) // gzip, deflate
        let snappy = try codec(.snappy).compress(input)
        #expect(Array(snappy.prefix(16)) == Snappy.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1])
        let lz4 = try codec(.lz4).compress(input)
        #expect(Array(lz4.prefix(4)) == [0x04, 0x22, 0x4D, 0x18])
        // FLG: version 01, block independence set (Kafka's Java reader requires it).
        #expect(lz4[4] & 0xC0 == 0x40 && lz4[4] & 0x20 != 0)
        let zstd = try codec(.zstd).compress(input)
        #expect(Array(zstd.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
    }

    /// The C structs declared in Swift have the C layout (LP64): zlib checks the size itself,
    /// liblz4 does not.
    @Test func declaredCStructsHaveTheCLayout() {
        #if arch(x86_64) || arch(arm64)
        typealias Z = Gzip.ZStream
        #expect(MemoryLayout<Z>.size == 112)
        #expect(MemoryLayout<Z>.offset(of: \.availIn) == 8 && MemoryLayout<Z>.offset(of: \.totalIn) == 16)
        #expect(MemoryLayout<Z>.offset(of: \.nextOut) == 24 && MemoryLayout<Z>.offset(of: \.availOut) == 32)
        #expect(MemoryLayout<Z>.offset(of: \.msg) == 48 && MemoryLayout<Z>.offset(of: \.zalloc) == 64)
        #expect(MemoryLayout<Z>.offset(of: \.dataType) == 88 && MemoryLayout<Z>.offset(of: \.reserved) == 104)
        typealias P = LZ4.Preferences
        #expect(MemoryLayout<P>.size == 56)
        #expect(MemoryLayout<P>.offset(of: \.contentSize) == 16 && MemoryLayout<P>.offset(of: \.compressionLevel) == 32)
        #expect(MemoryLayout<Zstd.InBuffer>.size == 24 && MemoryLayout<Zstd.OutBuffer>.size == 24)
        #endif
    }

    // MARK: snappy's two framings

    /// librdkafka sends one raw snappy block; Java clients the xerial framing. Both decode.
    @Test func snappyDecodesRawBlocksAndXerialFraming() throws {
        guard case let .snappy(s) = try codec(.snappy).backend else { Issue.record("snappy backend"); return }
        let input = Self.inputs[3]
        let raw = try input.withUnsafeBytes { try s.compressBlock($0) }
        #expect(try codec(.snappy).decompress(raw) == input)

        // Java's SnappyOutputStream: header, then int32 length + raw block per chunk.
        func xerial(_ chunks: [ArraySlice<UInt8>]) throws -> [UInt8] {
            var w = ByteWriter()
            w.writeBytes(Snappy.xerialMagic)
            w.writeInt32(1)
            w.writeInt32(1)
            for chunk in chunks {
                let block = try chunk.withUnsafeBytes { try s.compressBlock($0) }
                w.writeInt32(Int32(block.count))
                w.writeBytes(block)
            }
            return w.take()
        }
        let chunks = stride(from: 0, to: input.count, by: 50_000).map { input[$0 ..< min($0 + 50_000, input.count)] }
        let framed = try xerial(chunks)
        #expect(try codec(.snappy).decompress(framed) == input)
        // A second stream's header where a block would start (snappy-java reads on).
        #expect(try codec(.snappy).decompress(framed + framed) == input + input)
        // A header with no blocks is an empty stream.
        #expect(try codec(.snappy).decompress(try xerial([])) == [])
        // A block cut short is corrupt.
        #expect(throws: CompressionError.self) { try codec(.snappy).decompress(Array(framed.dropLast(3))) }
    }

    // MARK: missing libraries

    /// A codec whose library cannot be loaded says which Debian package installs it.
    @Test(arguments: zip(codecs, ["zlib1g", "libsnappy1v5", "liblz4-1", "libzstd1"]))
    func missingLibraryNamesTheDebianPackage(type: CompressionType, package: String) {
        let name = "libeddy-missing-\(type.name).so.1"
        do {
            _ = try CompressionCodec.load(type, libraryName: name)
            Issue.record("\(name) loaded")
        } catch {
            guard case let .libraryUnavailable(codec, library, p, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(codec == type && library == name && p == package)
            #expect(error.description.contains("install the Debian package \(package)"), "\(error)")
            #expect(error.description.contains(name), "\(error)")
            #expect(error.errorCode == .unsupportedCompressionType)
        }
    }

    /// A library that lacks a function (here, the right file for another codec) fails the same way.
    @Test func libraryWithoutTheFunctionsIsUnavailable() throws {
        let zlibName = try #require(CodecLibrary.system(.gzip)?.name)
        #expect(throws: CompressionError.self) { try CompressionCodec.load(.zstd, libraryName: zlibName) }
        #expect(CodecLibrary.system(.none) == nil)
        #expect(try CompressionCodec.system(.none).compress([1, 2, 3]) == [1, 2, 3])
    }

    // MARK: bounds and bad data

    /// Output past the limit fails instead of growing; a stream of exactly the limit decodes.
    @Test(arguments: codecs)
    func decompressedSizeIsBounded(type: CompressionType) throws {
        let c = try codec(type)
        let input = [UInt8](repeating: 0, count: 1 << 20)
        let compressed = try c.compress(input)
        #expect(try c.decompress(compressed, maxBytes: input.count) == input)
        #expect(throws: CompressionError.tooLarge(codec: type, limit: input.count - 1)) {
            try c.decompress(compressed, maxBytes: input.count - 1)
        }
        #expect(throws: CompressionError.tooLarge(codec: type, limit: 64 * 1024)) {
            try c.decompress(compressed, maxBytes: 64 * 1024)
        }
    }

    /// A few KiB that expand past the default limit (128 MiB) fail without taking more memory
    /// than the limit: 130 streams (frames, gzip members) of 1 MiB of zeros each, and a raw
    /// snappy block whose length header claims 2 GiB. (One codec at a time: each may take the
    /// limit in memory before it fails.)
    @Test(.serialized, arguments: codecs)
    func decompressionBombsFail(type: CompressionType) throws {
        let c = try codec(type)
        let bomb: [UInt8]
        if type == .snappy {
            bomb = [0x80, 0x80, 0x80, 0x80, 0x08, 0x00] // varint 2^31, then nothing
        } else {
            let frame = try c.compress([UInt8](repeating: 0, count: 1 << 20))
            bomb = Array((0 ..< 130).map { _ in frame }.joined())
            #expect(bomb.count < 1_000_000)
        }
        #expect(throws: CompressionError.tooLarge(codec: type, limit: CompressionCodec.defaultMaxDecompressedBytes)) {
            try c.decompress(bomb)
        }
    }

    @Test(arguments: codecs)
    func corruptTruncatedOrEmptyDataFails(type: CompressionType) throws {
        let c = try codec(type)
        let compressed = try c.compress(Self.inputs[3])
        func isCorrupt(_ bytes: [UInt8]) -> Bool {
            do {
                _ = try c.decompress(bytes)
                return false
            } catch {
                if case .corrupt(codec: type, _) = error { return true }
                return false
            }
        }
        #expect(isCorrupt(Array(compressed.prefix(compressed.count / 2))), "\(type.name): truncated")
        #expect(isCorrupt([]), "\(type.name): empty")
        #expect(isCorrupt(Array("definitely not compressed data".utf8)), "\(type.name): garbage")
        var flipped = compressed
        flipped[flipped.count / 2] ^= 0xFF
        flipped[flipped.count / 2 + 1] ^= 0xFF
        // A flipped byte may still decode (snappy, lz4 and zstd without checksums) but never
        // to the input, and never traps.
        if let decoded = try? c.decompress(flipped) { #expect(decoded != Self.inputs[3]) }
        if type == .gzip {
            #expect(isCorrupt(compressed + [0x00, 0x01]), "trailing garbage")
            #expect(try c.decompress(compressed + compressed) == Self.inputs[3] + Self.inputs[3], "two gzip members")
        }
    }

    @Test func namesAreKafkas() {
        #expect(CompressionType.allCases.map(\.name) == ["none", "gzip", "snappy", "lz4", "zstd"])
        #expect(CompressionType.producerNames.compactMap { CompressionType(name: $0) } == CompressionType.allCases)
        #expect(CompressionType(name: "uncompressed") == CompressionType.none)
        #expect(CompressionType(name: "producer") == nil && CompressionType(name: "GZIP") == nil)
    }

    /// KIP-390 levels: every codec with levels round-trips at the ends of its range, and a
    /// higher level is no larger; the default is Kafka's (gzip -1, lz4 9, zstd 3).
    @Test func levelsRoundTripAndHigherLevelsCompressMore() throws {
        let input = Self.inputs[3]
        for codec in [CompressionType.gzip, .lz4, .zstd] {
            let levels = try #require(codec.levels)
            let c = try self.codec(codec)
            var previous = Int.max
            for level in [levels.range.lowerBound, levels.range.upperBound].filter({ $0 >= -5 }) + [levels.default] {
                let out = try c.compress(input, level: level)
                #expect(try c.decompress(out) == input, "\(codec.name) level \(level)")
                if level == levels.range.upperBound { #expect(out.count <= previous, "\(codec.name)") }
                previous = min(previous, out.count)
            }
            #expect(try c.compress(input) == c.compress(input, level: levels.default))
            #expect(codec.accepts(level: levels.default) && !codec.accepts(level: levels.range.upperBound + 1))
        }
        #expect(CompressionType.snappy.levels == nil && CompressionType.snappy.levelConfigKey == nil)
        #expect(CompressionType.byLevelConfigKey == ["compression.gzip.level": .gzip, "compression.lz4.level": .lz4, "compression.zstd.level": .zstd])
    }
}
