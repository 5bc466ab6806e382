/// snappy through libsnappy's C API (`libsnappy.so.1`, Debian's libsnappy1v5).
///
/// Two framings reach a broker: librdkafka (kcat, confluent-kafka, …) sends one raw snappy
/// block; Java clients send snappy-java's "xerial" framing (see `CompressionType`). Both
/// decode. eddy writes the xerial framing with 32 KiB blocks, as Java's `SnappyOutputStream`
/// (and Kafka's broker, recompressing) does; every client reads it.
struct Snappy: Sendable {
    // snappy-c.h; snappy_status is an int enum: 0 OK, 1 INVALID_INPUT, 2 BUFFER_TOO_SMALL.
    /// snappy_status snappy_compress(const char *input, size_t input_length, char *compressed, size_t *compressed_length)
    typealias Compress = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> CInt
    /// snappy_status snappy_uncompress(const char *compressed, size_t compressed_length, char *uncompressed, size_t *uncompressed_length)
    typealias Uncompress = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> CInt
    /// size_t snappy_max_compressed_length(size_t source_length)
    typealias MaxCompressedLength = @convention(c) (Int) -> Int
    /// snappy_status snappy_uncompressed_length(const char *compressed, size_t compressed_length, size_t *result)
    typealias UncompressedLength = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutablePointer<Int>?) -> CInt

    /// `\x82SNAPPY\0`, then int32 version 1 and int32 compatible version 1.
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSize = 16
    /// snappy-java's default block size.
    static let xerialBlockSize = 32 * 1024

    let snappyCompress: Compress
    let snappyUncompress: Uncompress
    let maxCompressedLength: MaxCompressedLength
    let uncompressedLength: UncompressedLength

    init(_ library: CodecLibrary) throws(CompressionError) {
        let lib = try library.open()
        snappyCompress = try library.function(lib, "snappy_compress", as: Compress.self)
        snappyUncompress = try library.function(lib, "snappy_uncompress", as: Uncompress.self)
        maxCompressedLength = try library.function(lib, "snappy_max_compressed_length", as: MaxCompressedLength.self)
        uncompressedLength = try library.function(lib, "snappy_uncompressed_length", as: UncompressedLength.self)
    }

    /// Whether `input` starts with the xerial framing's header.
    static func isXerial(_ input: UnsafeRawBufferPointer) -> Bool {
        input.count >= xerialHeaderSize && input.prefix(xerialMagic.count).elementsEqual(xerialMagic)
    }

    /// The xerial framing (header, then each 32 KiB of input as int32 length + raw block).
    func compress(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        var w = ByteWriter(capacity: Snappy.xerialHeaderSize + maxCompressedLength(input.count) + 4 * (input.count / Snappy.xerialBlockSize + 1))
        w.writeBytes(Snappy.xerialMagic)
        w.writeInt32(1)
        w.writeInt32(1)
        var start = 0
        while start < input.count {
            let chunk = UnsafeRawBufferPointer(rebasing: input[start ..< min(start + Snappy.xerialBlockSize, input.count)])
            let block = try compressBlock(chunk)
            w.writeInt32(Int32(block.count))
            w.writeBytes(block)
            start += chunk.count
        }
        return w.take()
    }

    /// One raw snappy block, as librdkafka writes a whole batch.
    func compressBlock(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: maxCompressedLength(input.count))
        var length = out.count
        let status = out.withUnsafeMutableBytes { snappyCompress(input.baseAddress, input.count, $0.baseAddress, &length) }
        guard status == 0 else { throw .compressionFailed(codec: .snappy, reason: "snappy_compress returned \(status)") }
        out.removeSubrange(length...)
        return out
    }

    func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
        guard Snappy.isXerial(input) else {
            let out = DecompressionOutput(codec: .snappy, limit: limit, expected: 0)
            try decompressBlock(input, into: out)
            return try out.finish()
        }
        let out = DecompressionOutput(codec: .snappy, limit: limit, expected: input.count * 2)
        var position = Snappy.xerialHeaderSize
        while position < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[position...])
            // snappy-java also reads a second stream's header where a block would start.
            if Snappy.isXerial(rest) {
                position += Snappy.xerialHeaderSize
                continue
            }
            guard rest.count >= 4 else { throw .corrupt(codec: .snappy, reason: "xerial framing cut short") }
            let length = Int(Int32(bigEndian: rest.loadUnaligned(as: Int32.self)))
            guard length >= 0, length <= rest.count - 4 else {
                throw .corrupt(codec: .snappy, reason: "xerial block of \(length) bytes where \(rest.count - 4) remain")
            }
            try decompressBlock(UnsafeRawBufferPointer(rebasing: rest[4 ..< 4 + length]), into: out)
            position += 4 + length
        }
        return try out.finish()
    }

    private func decompressBlock(_ block: UnsafeRawBufferPointer, into out: DecompressionOutput) throws(CompressionError) {
        var length = 0
        guard uncompressedLength(block.baseAddress, block.count, &length) == 0 else {
            throw .corrupt(codec: .snappy, reason: "not a snappy block (bad length header)")
        }
        try out.reserve(length)
        var status: CInt = 0
        out.write { dst in
            var produced = length
            status = snappyUncompress(block.baseAddress, block.count, dst.baseAddress, &produced)
            return status == 0 ? produced : 0
        }
        guard status == 0 else { throw .corrupt(codec: .snappy, reason: "snappy_uncompress returned \(status)") }
    }
}
