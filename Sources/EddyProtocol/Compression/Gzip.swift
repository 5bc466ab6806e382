/// gzip through zlib (`libz.so.1`, Debian's zlib1g): deflate with the gzip wrapper (RFC 1952),
/// as Java's `GZIPOutputStream` writes and `GZIPInputStream` reads it. Several gzip members
/// in a row decode as their concatenation, as in Java.
struct Gzip: Sendable {
    /// zlib's `z_stream` (zlib.h), field for field. zlib checks its size against
    /// `sizeof(z_stream)` in `deflateInit2_`/`inflateInit2_` (Z_VERSION_ERROR when they differ),
    /// and zlib keeps a pointer to it, so it lives in allocated memory while a stream is open.
    struct ZStream {
        var nextIn: UnsafeMutableRawPointer? = nil
        var availIn: CUnsignedInt = 0
        var totalIn: CUnsignedLong = 0
        var nextOut: UnsafeMutableRawPointer? = nil
        var availOut: CUnsignedInt = 0
        var totalOut: CUnsignedLong = 0
        var msg: UnsafePointer<CChar>? = nil
        var state: UnsafeMutableRawPointer? = nil
        /// `zalloc`, `zfree` and `opaque`: null selects zlib's own allocator.
        var zalloc: UnsafeMutableRawPointer? = nil
        var zfree: UnsafeMutableRawPointer? = nil
        var opaque: UnsafeMutableRawPointer? = nil
        var dataType: CInt = 0
        var adler: CUnsignedLong = 0
        var reserved: CUnsignedLong = 0
    }

    // zlib.h
    typealias ZlibVersion = @convention(c) () -> UnsafePointer<CChar>?
    /// int deflateInit2_(z_streamp, int level, int method, int windowBits, int memLevel, int strategy, const char *version, int stream_size)
    typealias DeflateInit2 = @convention(c) (UnsafeMutableRawPointer?, CInt, CInt, CInt, CInt, CInt, UnsafePointer<CChar>?, CInt) -> CInt
    /// int deflate(z_streamp, int flush), inflate likewise
    typealias Step = @convention(c) (UnsafeMutableRawPointer?, CInt) -> CInt
    /// int deflateEnd(z_streamp), inflateEnd, inflateReset
    typealias End = @convention(c) (UnsafeMutableRawPointer?) -> CInt
    /// uLong deflateBound(z_streamp, uLong sourceLen)
    typealias DeflateBound = @convention(c) (UnsafeMutableRawPointer?, CUnsignedLong) -> CUnsignedLong
    /// int inflateInit2_(z_streamp, int windowBits, const char *version, int stream_size)
    typealias InflateInit2 = @convention(c) (UnsafeMutableRawPointer?, CInt, UnsafePointer<CChar>?, CInt) -> CInt

    static let ok: CInt = 0, streamEnd: CInt = 1, bufError: CInt = -5
    static let noFlush: CInt = 0, finish: CInt = 4
    static let deflated: CInt = 8, defaultStrategy: CInt = 0
    /// 15-bit window with the gzip wrapper (15 + 16).
    static let gzipWindowBits: CInt = 31

    let zlibVersion: ZlibVersion
    let deflateInit2: DeflateInit2
    let deflate: Step
    let deflateEnd: End
    let deflateBound: DeflateBound
    let inflateInit2: InflateInit2
    let inflate: Step
    let inflateEnd: End
    let inflateReset: End

    init(_ library: CodecLibrary) throws(CompressionError) {
        let lib = try library.open()
        zlibVersion = try library.function(lib, "zlibVersion", as: ZlibVersion.self)
        deflateInit2 = try library.function(lib, "deflateInit2_", as: DeflateInit2.self)
        deflate = try library.function(lib, "deflate", as: Step.self)
        deflateEnd = try library.function(lib, "deflateEnd", as: End.self)
        deflateBound = try library.function(lib, "deflateBound", as: DeflateBound.self)
        inflateInit2 = try library.function(lib, "inflateInit2_", as: InflateInit2.self)
        inflate = try library.function(lib, "inflate", as: Step.self)
        inflateEnd = try library.function(lib, "inflateEnd", as: End.self)
        inflateReset = try library.function(lib, "inflateReset", as: End.self)
    }

    private static var streamSize: CInt { CInt(MemoryLayout<ZStream>.size) }

    private func message(_ stream: UnsafeMutablePointer<ZStream>, _ rc: CInt) -> String {
        stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
    }

    /// `level`: 1–9, or -1 for zlib's default (6).
    func compress(_ input: UnsafeRawBufferPointer, level: CInt) throws(CompressionError) -> [UInt8] {
        guard input.count <= Int(CUnsignedInt.max) else {
            throw .compressionFailed(codec: .gzip, reason: "input of \(input.count) bytes is too large")
        }
        let stream = UnsafeMutablePointer<ZStream>.allocate(capacity: 1)
        stream.initialize(to: ZStream())
        defer { stream.deallocate() }
        let rc = deflateInit2(stream, level, Gzip.deflated, Gzip.gzipWindowBits, 8, Gzip.defaultStrategy,
                              zlibVersion(), Gzip.streamSize)
        guard rc == Gzip.ok else { throw .compressionFailed(codec: .gzip, reason: message(stream, rc)) }
        defer { _ = deflateEnd(stream) }
        let bound = Int(deflateBound(stream, CUnsignedLong(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let result = out.withUnsafeMutableBytes { dst -> CInt in
            stream.pointee.nextIn = UnsafeMutableRawPointer(mutating: input.baseAddress)
            stream.pointee.availIn = CUnsignedInt(input.count)
            stream.pointee.nextOut = dst.baseAddress
            stream.pointee.availOut = CUnsignedInt(dst.count)
            return deflate(stream, Gzip.finish)
        }
        guard result == Gzip.streamEnd else { throw .compressionFailed(codec: .gzip, reason: message(stream, result)) }
        out.removeSubrange(Int(stream.pointee.totalOut)...)
        return out
    }

    func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> [UInt8] {
        guard input.count <= Int(CUnsignedInt.max) else { throw .tooLarge(codec: .gzip, limit: limit) }
        guard input.count > 0 else { throw .corrupt(codec: .gzip, reason: "no data") }
        let stream = UnsafeMutablePointer<ZStream>.allocate(capacity: 1)
        stream.initialize(to: ZStream())
        defer { stream.deallocate() }
        let rc = inflateInit2(stream, Gzip.gzipWindowBits, zlibVersion(), Gzip.streamSize)
        guard rc == Gzip.ok else { throw .corrupt(codec: .gzip, reason: "inflateInit2: \(message(stream, rc))") }
        defer { _ = inflateEnd(stream) }
        stream.pointee.nextIn = UnsafeMutableRawPointer(mutating: input.baseAddress)
        stream.pointee.availIn = CUnsignedInt(input.count)
        let out = DecompressionOutput(codec: .gzip, limit: limit, expected: input.count * 4)
        while true {
            try out.reserve()
            var rc: CInt = 0
            out.write { dst in
                let space = CUnsignedInt(clamping: dst.count)
                stream.pointee.nextOut = dst.baseAddress
                stream.pointee.availOut = space
                rc = inflate(stream, Gzip.noFlush)
                return Int(space - stream.pointee.availOut)
            }
            try out.checkLimit()
            switch rc {
            case Gzip.ok:
                continue
            case Gzip.streamEnd:
                let left = Int(stream.pointee.availIn)
                if left == 0 { return try out.finish() }
                // Another gzip member follows (magic 1f 8b), or trailing garbage.
                let next = input[input.count - left]
                guard left >= 2, next == 0x1F, input[input.count - left + 1] == 0x8B else {
                    throw .corrupt(codec: .gzip, reason: "\(left) bytes after the end of the gzip stream")
                }
                let reset = inflateReset(stream)
                guard reset == Gzip.ok else { throw .corrupt(codec: .gzip, reason: message(stream, reset)) }
            case Gzip.bufError where stream.pointee.availOut == 0:
                continue
            case Gzip.bufError:
                throw .corrupt(codec: .gzip, reason: "the gzip stream ends early")
            default:
                throw .corrupt(codec: .gzip, reason: message(stream, rc))
            }
        }
    }
}
