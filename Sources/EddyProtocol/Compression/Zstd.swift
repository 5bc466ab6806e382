/// zstd through libzstd (`libzstd.so.1`, Debian's libzstd1): zstd frames (RFC 8878), written
/// at the level asked for (3, Kafka's default, unless compression.zstd.level says otherwise) with the content size in the frame header. Decoding streams,
/// so frames that omit their content size (as streaming compressors write them) decode too,
/// and frames in a row decode as their concatenation.
struct Zstd: Sendable {
    /// `ZSTD_inBuffer` (zstd.h).
    struct InBuffer {
        var src: UnsafeRawPointer?
        var size: Int
        var pos: Int
    }

    /// `ZSTD_outBuffer` (zstd.h).
    struct OutBuffer {
        var dst: UnsafeMutableRawPointer?
        var size: Int
        var pos: Int
    }

    /// size_t ZSTD_compressBound(size_t srcSize)
    typealias CompressBound = @convention(c) (Int) -> Int
    /// size_t ZSTD_compress(void *dst, size_t dstCapacity, const void *src, size_t srcSize, int compressionLevel)
    typealias Compress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, CInt) -> Int
    /// unsigned ZSTD_isError(size_t code)
    typealias IsError = @convention(c) (Int) -> CUnsignedInt
    /// const char *ZSTD_getErrorName(size_t code)
    typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?
    /// ZSTD_DStream *ZSTD_createDStream(void)
    typealias CreateDStream = @convention(c) () -> UnsafeMutableRawPointer?
    /// size_t ZSTD_freeDStream(ZSTD_DStream *), size_t ZSTD_initDStream(ZSTD_DStream *)
    typealias DStreamCall = @convention(c) (UnsafeMutableRawPointer?) -> Int
    /// size_t ZSTD_decompressStream(ZSTD_DStream *, ZSTD_outBuffer *, ZSTD_inBuffer *)
    typealias DecompressStream = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int

    let compressBound: CompressBound
    let compressSimple: Compress
    let isError: IsError
    let errorName: ErrorName
    let createDStream: CreateDStream
    let freeDStream: DStreamCall
    let initDStream: DStreamCall
    let decompressStream: DecompressStream

    init(_ library: CodecLibrary) throws(CompressionError) {
        let lib = try library.open()
        compressBound = try library.function(lib, "ZSTD_compressBound", as: CompressBound.self)
        compressSimple = try library.function(lib, "ZSTD_compress", as: Compress.self)
        isError = try library.function(lib, "ZSTD_isError", as: IsError.self)
        errorName = try library.function(lib, "ZSTD_getErrorName", as: ErrorName.self)
        createDStream = try library.function(lib, "ZSTD_createDStream", as: CreateDStream.self)
        freeDStream = try library.function(lib, "ZSTD_freeDStream", as: DStreamCall.self)
        initDStream = try library.function(lib, "ZSTD_initDStream", as: DStreamCall.self)
        decompressStream = try library.function(lib, "ZSTD_decompressStream", as: DecompressStream.self)
    }

    private func name(_ code: Int) -> String {
        errorName(code).map { String(cString: $0) } ?? "zstd error \(code)"
    }

    /// `level`: -131072–22 (negative levels are zstd's fast modes).
    func compress(_ input: UnsafeRawBufferPointer, level: CInt) throws(CompressionError) -> [UInt8] {
        let bound = compressBound(input.count)
        guard isError(bound) == 0 else { throw .compressionFailed(codec: .zstd, reason: name(bound)) }
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { compressSimple($0.baseAddress, $0.count, input.baseAddress, input.count, level) }
        guard isError(written) == 0 else { throw .compressionFailed(codec: .zstd, reason: name(written)) }
        out.removeSubrange(written...)
        return out
    }

    func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
        guard input.count > 0 else { throw .corrupt(codec: .zstd, reason: "no data") }
        guard let stream = createDStream() else { throw .corrupt(codec: .zstd, reason: "ZSTD_createDStream failed") }
        defer { _ = freeDStream(stream) }
        let initialized = initDStream(stream)
        guard isError(initialized) == 0 else { throw .corrupt(codec: .zstd, reason: name(initialized)) }
        var inBuffer = InBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let out = DecompressionOutput(codec: .zstd, limit: limit, expected: input.count * 4)
        while true {
            try out.reserve()
            var result = 0
            var given = 0
            var produced = 0
            out.write { dst in
                var outBuffer = OutBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                given = dst.count
                result = decompressStream(stream, &outBuffer, &inBuffer)
                produced = isError(result) == 0 ? outBuffer.pos : 0
                return produced
            }
            guard isError(result) == 0 else { throw .corrupt(codec: .zstd, reason: name(result)) }
            try out.checkLimit()
            if inBuffer.pos == inBuffer.size {
                // 0: the frame is decoded and flushed; a full buffer may hold back more output.
                if result == 0 { return try out.finish() }
                if produced < given { throw .corrupt(codec: .zstd, reason: "the zstd frame ends early") }
            }
        }
    }
}
