import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// The leader's append of compressed batches (`LogValidator`): offsets per inner record, the
/// topic's compression.type (stored as sent under `producer`, recompressed otherwise), inner
/// offsets renumbered, maxTimestamp corrected, bounds and errors.
@Suite struct CompressedAppendTests {
    static let codecs: [CompressionType] = [.gzip, .snappy, .lz4, .zstd]

    /// A batch of `count` keyed records `v<first+i>` compressed with `codec`.
    static func batch(_ codec: CompressionType, first: Int = 0, count: Int, timestamp: Int64 = 1_000,
                      producerId: Int64 = -1, baseSequence: Int32 = -1) throws -> [UInt8] {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(compression: codec), producerId: producerId,
                                   producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: baseSequence)
        for i in first ..< first + count {
            b.append(timestamp: timestamp + Int64(i - first), key: Array("k\(i)".utf8), value: Array("v\(i)".utf8))
        }
        return try b.seal().bytes
    }

    /// A compressed batch whose header is consistent (recordCount, lastOffsetDelta) but whose
    /// records carry the offset deltas given, as some old clients wrote them.
    static func batchWithInnerDeltas(_ deltas: [Int32], codec: CompressionType, maxTimestamp: Int64? = nil) throws -> [UInt8] {
        var plain = RecordBatchBuilder()
        for (i, d) in deltas.enumerated() {
            plain.append(offsetDelta: d, timestamp: 5_000 + Int64(i), key: Array("k\(i)".utf8), value: Array("v\(i)".utf8))
        }
        let built = plain.build()
        let section = try CompressionCodec.system(codec).compress(Array(built.bytes[RecordBatchHeader.size...]))
        var h = built.header
        h.attributes = RecordBatchAttributes(compression: codec)
        h.lastOffsetDelta = Int32(deltas.count - 1)
        h.maxTimestamp = maxTimestamp ?? h.maxTimestamp
        h.batchLength = Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + section.count)
        var w = ByteWriter()
        h.write(to: &w)
        w.writeBytes(section)
        var batch = try RecordBatch(bytes: w.take())
        batch.reseal()
        return batch.bytes
    }

    func withLog<R>(_ overrides: [String: String] = [:], _ body: (PartitionLog) throws -> R) throws -> R {
        let dir = TempDir()
        defer { dir.cleanup() }
        let log = try openLog(dir, config: config(overrides))
        defer { try? log.close() }
        return try body(log)
    }

    /// Stored batches, each read back from the log.
    func storedBatches(_ log: PartitionLog) throws -> [RecordBatch] {
        let data = try log.read(from: log.logStartOffset, maxBytes: 1 << 20)
        return try MemoryRecords.batches(in: data.bytes).map { try RecordBatch(bytes: Array(data.bytes[$0.range])) }
    }

    @Test(arguments: codecs)
    func acceptsCompressedBatchesAndAssignsAnOffsetPerInnerRecord(codec: CompressionType) throws {
        try withLog { log in
            let first = try log.append(makeBatch(first: 0, count: 3))
            let sent = try Self.batch(codec, first: 3, count: 5)
            let second = try log.append(sent)
            let third = try log.append(makeBatch(first: 8, count: 1))
            #expect((first.firstOffset, first.lastOffset) == (0, 2))
            #expect((second.firstOffset, second.lastOffset, second.recordCount) == (3, 7, 5))
            #expect(third.firstOffset == 8)
            let records = try readAll(log)
            #expect(records.map(\.offset) == Array(0 ... 8))
            #expect(values(records) == (0 ... 8).map { "v\($0)" })
            // Stored as sent (compression.type=producer): only baseOffset and the leader epoch differ.
            let stored = try storedBatches(log)[1]
            #expect(stored.header.attributes.compression == codec)
            #expect(stored.header.baseOffset == 3)
            #expect(Array(stored.bytes[RecordBatchHeader.crcOffset...]) == Array(sent[RecordBatchHeader.crcOffset...]))
            // A read from inside the compressed batch returns the whole batch.
            let fromInside = try log.read(from: 5, maxBytes: 1 << 20)
            #expect(try MemoryRecords.batches(in: fromInside.bytes).first?.header.baseOffset == 3)
        }
    }

    /// compression.type other than `producer` recompresses: a producer's lz4 batch is stored
    /// as gzip, with the same records, offsets and producer fields.
    @Test func topicCompressionTypeRecompresses() throws {
        try withLog(["compression.type": "gzip"]) { log in
            let info = try log.append(try Self.batch(.lz4, count: 4, producerId: 7, baseSequence: 0))
            try log.append(makeBatch(first: 4, count: 2))
            try log.append(try Self.batch(.gzip, first: 6, count: 2))
            #expect(info.lastOffset == 3)
            let stored = try storedBatches(log)
            #expect(stored.map { $0.header.attributes.compression } == [.gzip, .gzip, .gzip])
            #expect(stored.map(\.header.baseOffset) == [0, 4, 6])
            #expect(stored[0].header.producerId == 7 && stored[0].header.baseSequence == 0 && stored[0].header.lastOffsetDelta == 3)
            for b in stored { try b.validate() }
            #expect(values(try readAll(log)) == (0 ..< 8).map { "v\($0)" })
            #expect(try readAll(log).map(\.timestamp) == [1_000, 1_001, 1_002, 1_003, 1_000, 1_001, 1_000, 1_001])
        }
        try withLog(["compression.type": "uncompressed"]) { log in
            try log.append(try Self.batch(.zstd, count: 3))
            let stored = try storedBatches(log)
            #expect(stored.map { $0.header.attributes.compression } == [CompressionType.none])
            #expect(values(try readAll(log)) == ["v0", "v1", "v2"])
        }
        try withLog(["compression.type": "snappy"]) { log in
            try log.append(try Self.batch(.snappy, count: 3))
            try log.append(makeBatch(first: 3, count: 3))
            #expect(try storedBatches(log).map { $0.header.attributes.compression } == [.snappy, .snappy])
        }
    }

    /// Wrong inner offset deltas are renumbered (Kafka rewrites such batches rather than
    /// refusing them); the codec stays.
    @Test func innerOffsetsAreRenumbered() throws {
        try withLog { log in
            let info = try log.append(try Self.batchWithInnerDeltas([0, 5, 9], codec: .zstd))
            #expect((info.firstOffset, info.lastOffset) == (0, 2))
            let stored = try storedBatches(log)
            #expect(stored.map { $0.header.attributes.compression } == [.zstd])
            try stored[0].validate()
            #expect(try readAll(log).map(\.offset) == [0, 1, 2])
            #expect(values(try readAll(log)) == ["v0", "v1", "v2"])
        }
    }

    /// A maxTimestamp that is not the records' largest is corrected in place, as Kafka does.
    @Test func maxTimestampIsCorrected() throws {
        try withLog { log in
            try log.append(try Self.batchWithInnerDeltas([0, 1], codec: .gzip, maxTimestamp: 99))
            let stored = try storedBatches(log)[0]
            #expect(stored.header.maxTimestamp == 5_001)
            try stored.validate()
        }
    }

    @Test func inconsistentOrCorruptCompressedBatchesAreRefused() throws {
        try withLog { log in
            // lastOffsetDelta must be recordCount - 1.
            let lying = resealed(patched(try Self.batch(.lz4, count: 3), Int32(5), at: 23))
            #expect(storageError { try log.append(lying) }?.errorCode == .corruptMessage)
            // Two records inside where the header says three.
            let twoRecords = try Self.batchWithInnerDeltas([0, 1], codec: .lz4)
            let short = resealed(patched(patched(twoRecords, Int32(3), at: 57), Int32(2), at: 23))
            #expect(storageError { try log.append(short) } == .invalidRecord(.invalidRecordCount(3)))
            // Not an lz4 frame at all.
            var garbage = try Self.batch(.lz4, count: 3)
            garbage[RecordBatchHeader.size] ^= 0xFF
            let e = storageError { try log.append(resealed(garbage)) }
            guard case .invalidRecord(.compression(.corrupt(codec: .lz4, _))) = e else {
                Issue.record("\(String(describing: e))")
                return
            }
            #expect(e?.errorCode == .corruptMessage)
            #expect(log.logEndOffset == 0)
        }
    }

    /// Records that decompress past the limit are refused as MESSAGE_TOO_LARGE, and a
    /// recompressed batch must fit max.message.bytes too.
    @Test func decompressedAndRecompressedSizesAreBounded() throws {
        let big = try Self.batch(.zstd, count: 2_000)
        var validator = LogValidator(config: LogConfig(), topicPartition: TopicPartition("t", 0))
        validator.maxDecompressedBytes = 1_000
        #expect {
            _ = try validator.validate(big)
        } throws: { error in
            (error as? StorageError)?.errorCode == .messageTooLarge
        }
        // 50 records of 1000 zeros: small as zstd, about 50 KB uncompressed.
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(compression: .zstd))
        for _ in 0 ..< 50 { b.append(timestamp: 1, key: [1], value: [UInt8](repeating: 0, count: 1_000)) }
        let zstd = try b.seal().bytes
        let limit = zstd.count + 10
        try withLog(["max.message.bytes": "\(limit)", "compression.type": "uncompressed"]) { log in
            #expect(storageError { try log.append(zstd) } == .recordTooLarge(size: b.estimatedSize, max: limit))
        }
        try withLog(["max.message.bytes": "\(limit)"]) { log in
            let info = try log.append(zstd)
            #expect(info.recordCount == 50)
        }
    }

    @Test func compressionErrorsMapToKafkaErrors() {
        let unavailable = CompressionError.libraryUnavailable(codec: .snappy, library: "libsnappy.so.1", package: "libsnappy1v5", reason: "x")
        #expect(StorageError.invalidRecord(.compression(unavailable)).kafkaErrorName == "UNSUPPORTED_COMPRESSION_TYPE")
        #expect(StorageError.invalidRecord(.compression(.tooLarge(codec: .gzip, limit: 1))).kafkaErrorName == "MESSAGE_TOO_LARGE")
        #expect(StorageError.invalidRecord(.compression(.corrupt(codec: .gzip, reason: ""))).kafkaErrorName == "CORRUPT_MESSAGE")
        #expect(StorageError.invalidRecord(.compression(unavailable)).description.contains("apt-get install libsnappy1v5"))
    }

    /// KIP-390: compression.gzip.level, compression.lz4.level and compression.zstd.level accept
    /// Kafka's ranges (and gzip's -1), default to -1, 9 and 3, and are what a recompressing
    /// leader uses: the stored batch is the records compressed at that level.
    @Test func compressionLevelConfigsAreValidatedAndUsedWhenRecompressing() throws {
        let defaults = LogConfig()
        #expect([defaults.compressionLevel(for: .gzip), defaults.compressionLevel(for: .lz4), defaults.compressionLevel(for: .zstd)] == [-1, 9, 3])
        #expect(defaults.compressionLevel(for: .snappy) == nil)
        for (key, good, bad) in [("compression.gzip.level", ["1", "9", "-1"], ["0", "10", "-2", "x"]),
                                 ("compression.lz4.level", ["1", "17"], ["0", "18"]),
                                 ("compression.zstd.level", ["-131072", "0", "22"], ["23", "-131073"])] {
            for v in good { #expect((try? LogConfig(overrides: [key: v])) != nil, "\(key)=\(v)") }
            for v in bad {
                #expect(throws: LogConfig.ValidationError.self, "\(key)=\(v)") { try LogConfig(overrides: [key: v]) }
            }
        }
        // Compressible records, sent uncompressed, stored as gzip at level 1 and at level 9.
        var plain = RecordBatchBuilder()
        for i in 0 ..< 200 { plain.append(timestamp: 1, key: nil, value: Array(String(repeating: "record \(i % 7) ", count: 20).utf8)) }
        let sent = plain.build().bytes
        let section = Array(sent[RecordBatchHeader.size...])
        for (codec, levels) in [(CompressionType.gzip, [1, 9]), (.zstd, [1, 19]), (.lz4, [1, 12])] {
            var sizes: [Int] = []
            for level in levels {
                try withLog(["compression.type": codec.name, codec.levelConfigKey!: String(level)]) { log in
                    try log.append(sent)
                    let stored = try #require(try storedBatches(log).first)
                    #expect(stored.header.attributes.compression == codec)
                    let expected = try CompressionCodec.system(codec).compress(section, level: level)
                    #expect(Array(stored.bytes[RecordBatchHeader.size...]) == expected, "\(codec.name) level \(level)")
                    sizes.append(stored.bytes.count)
                }
            }
            #expect(sizes[1] < sizes[0], "\(codec.name): level \(levels[1]) is not smaller than level \(levels[0]): \(sizes)")
        }
    }

    @Test func compressionTypeConfigAcceptsKafkasValues() throws {
        for v in ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"] {
            #expect(try LogConfig(overrides: ["compression.type": v]).compressionType == v)
        }
        #expect(throws: LogConfig.ValidationError.self) { try LogConfig(overrides: ["compression.type": "none"]) }
        #expect(throws: LogConfig.ValidationError.self) { try LogConfig(overrides: ["compression.type": "brotli"]) }
        let gzip = try LogConfig(overrides: ["compression.type": "gzip"])
        #expect(gzip.storedCompression(for: .lz4) == .gzip && gzip.storedCompression(for: .none) == .gzip)
        #expect(LogConfig().storedCompression(for: .lz4) == .lz4)
        #expect(try LogConfig(overrides: ["compression.type": "uncompressed"]).storedCompression(for: .zstd) == CompressionType.none)
    }
}

/// The `StorageError` `body` throws, nil if none.
func storageError(_ body: () throws -> Void) -> StorageError? {
    do {
        try body()
        return nil
    } catch {
        return error as? StorageError
    }
}

/// Rewrites batchLength to the byte count and recomputes the CRC.
func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    let len = Int32(b.count - RecordBatchHeader.logOverhead)
    b.replaceSubrange(8 ..< 12, with: withUnsafeBytes(of: len.bigEndian) { Array($0) })
    let crc = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.attributesOffset...])) }
    b.replaceSubrange(RecordBatchHeader.crcOffset ..< RecordBatchHeader.crcOffset + 4, with: withUnsafeBytes(of: crc.bigEndian) { Array($0) })
    return b
}

/// Overwrites a big-endian integer at `offset`.
func patched<T: FixedWidthInteger>(_ bytes: [UInt8], _ value: T, at offset: Int) -> [UInt8] {
    var b = bytes
    b.replaceSubrange(offset ..< offset + MemoryLayout<T>.size, with: withUnsafeBytes(of: value.bigEndian) { Array($0) })
    return b
}
