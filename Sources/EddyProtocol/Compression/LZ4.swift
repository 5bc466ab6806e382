/// lz4 through liblz4's frame API (`liblz4.so.1`, Debian's liblz4-1): the LZ4 frame format
/// (magic `04 22 4D 18`), as Kafka's `KafkaLZ4BlockOutputStream` and librdkafka write it.
/// eddy writes independent 64 KiB blocks without checksums other than the header's, which
/// Java's `KafkaLZ4BlockInputStream` requires (it refuses linked blocks). Frames in a row
/// decode as their concatenation.
struct LZ4: Sendable {
    /// `LZ4F_preferences_t` (lz4frame.h, stable since lz4 1.8), with its `LZ4F_frameInfo_t`
    /// inlined: C enums are int-sized, `contentSize` is an unsigned long long.
    struct Preferences {
        var blockSizeID: CUnsignedInt = 0 // LZ4F_default: 64 KiB
        var blockMode: CUnsignedInt = 1 // LZ4F_blockIndependent
        var contentChecksumFlag: CUnsignedInt = 0
        var frameType: CUnsignedInt = 0
        var contentSize: CUnsignedLongLong = 0
        var dictID: CUnsignedInt = 0
        var blockChecksumFlag: CUnsignedInt = 0
        var compressionLevel: CInt = 0
        var autoFlush: CUnsignedInt = 0
        var favorDecSpeed: CUnsignedInt = 0
        var reserved0: CUnsignedInt = 0
        var reserved1: CUnsignedInt = 0
        var reserved2: CUnsignedInt = 0
    }

    /// LZ4F_VERSION, which `LZ4F_createDecompressionContext` checks.
    static let frameVersion: CUnsignedInt = 100

    /// unsigned LZ4F_isError(LZ4F_errorCode_t)
    typealias IsError = @convention(c) (Int) -> CUnsignedInt
    /// const char *LZ4F_getErrorName(LZ4F_errorCode_t)
    typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?
    /// size_t LZ4F_compressFrameBound(size_t srcSize, const LZ4F_preferences_t *)
    typealias CompressFrameBound = @convention(c) (Int, UnsafeRawPointer?) -> Int
    /// size_t LZ4F_compressFrame(void *dst, size_t dstCapacity, const void *src, size_t srcSize, const LZ4F_preferences_t *)
    typealias CompressFrame = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, UnsafeRawPointer?) -> Int
    /// LZ4F_errorCode_t LZ4F_createDecompressionContext(LZ4F_dctx **, unsigned version)
    typealias CreateContext = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, CUnsignedInt) -> Int
    /// LZ4F_errorCode_t LZ4F_freeDecompressionContext(LZ4F_dctx *)
    typealias FreeContext = @convention(c) (UnsafeMutableRawPointer?) -> Int
    /// size_t LZ4F_decompress(LZ4F_dctx *, void *dst, size_t *dstSize, const void *src, size_t *srcSize, const LZ4F_decompressOptions_t *)
    typealias Decompress = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?,
                                           UnsafeRawPointer?, UnsafeMutablePointer<Int>?, UnsafeRawPointer?) -> Int

    let isError: IsError
    let errorName: ErrorName
    let compressFrameBound: CompressFrameBound
    let compressFrame: CompressFrame
    let createContext: CreateContext
    let freeContext: FreeContext
    let decompressFrame: Decompress

    init(_ library: CodecLibrary) throws(CompressionError) {
        let lib = try library.open()
        isError = try library.function(lib, "LZ4F_isError", as: IsError.self)
        errorName = try library.function(lib, "LZ4F_getErrorName", as: ErrorName.self)
        compressFrameBound = try library.function(lib, "LZ4F_compressFrameBound", as: CompressFrameBound.self)
        compressFrame = try library.function(lib, "LZ4F_compressFrame", as: CompressFrame.self)
        createContext = try library.function(lib, "LZ4F_createDecompressionContext", as: CreateContext.self)
        freeContext = try library.function(lib, "LZ4F_freeDecompressionContext", as: FreeContext.self)
        decompressFrame = try library.function(lib, "LZ4F_decompress", as: Decompress.self)
    }

    private func name(_ code: Int) -> String {
        errorName(code).map { String(cString: $0) } ?? "lz4 error \(code)"
    }

    /// `level`: LZ4F's compressionLevel (1–17; 3 and up use LZ4 HC).
    func compress(_ input: UnsafeRawBufferPointer, level: CInt) throws(CompressionError) -> [UInt8] {
        var preferences = Preferences()
        preferences.compressionLevel = level
        return try withUnsafePointer(to: &preferences) { (prefs) throws(CompressionError) -> [UInt8] in
            let bound = compressFrameBound(input.count, prefs)
            guard isError(bound) == 0 else { throw .compressionFailed(codec: .lz4, reason: name(bound)) }
            var out = [UInt8](repeating: 0, count: bound)
            let written = out.withUnsafeMutableBytes { compressFrame($0.baseAddress, $0.count, input.baseAddress, input.count, prefs) }
            guard isError(written) == 0 else { throw .compressionFailed(codec: .lz4, reason: name(written)) }
            out.removeSubrange(written...)
            return out
        }
    }

    func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
        guard input.count > 0 else { throw .corrupt(codec: .lz4, reason: "no data") }
        var context: UnsafeMutableRawPointer?
        let created = createContext(&context, LZ4.frameVersion)
        guard isError(created) == 0, let context else { throw .corrupt(codec: .lz4, reason: name(created)) }
        defer { _ = freeContext(context) }
        let out = DecompressionOutput(codec: .lz4, limit: limit, expected: input.count * 4)
        var position = 0
        while true {
            try out.reserve()
            var hint = 0
            var given = 0
            var produced = 0
            var consumed = 0
            out.write { dst in
                given = dst.count
                produced = dst.count
                consumed = input.count - position
                hint = decompressFrame(context, dst.baseAddress, &produced, input.baseAddress.map { $0 + position }, &consumed, nil)
                return isError(hint) == 0 ? produced : 0
            }
            guard isError(hint) == 0 else { throw .corrupt(codec: .lz4, reason: name(hint)) }
            try out.checkLimit()
            position += consumed
            if position == input.count {
                // 0: the frame ended with the input; output cut short by a full buffer: go on.
                if hint == 0 { return try out.finish() }
                if produced < given { throw .corrupt(codec: .lz4, reason: "the lz4 frame ends early") }
            }
            // Otherwise more input (possibly a next frame) or more output remains.
        }
    }
}
