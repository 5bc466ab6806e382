/// A codec backed by its system library: compresses and decompresses whole buffers in Kafka's
/// framing for that codec (see `CompressionType`).
///
/// `CompressionCodec.system(_:)` loads the library the first time a codec is used and keeps
/// it (or the failure) for the life of the process; a missing library is
/// `CompressionError.libraryUnavailable`, whose message names the Debian package to install.
/// `load(_:libraryName:)` loads a codec from another library name, uncached (for tests).
///
/// Decompression is bounded: output beyond `maxBytes` (default
/// `CompressionCodec.defaultMaxDecompressedBytes`) fails with `.tooLarge` instead of growing.
public struct CompressionCodec: Sendable {
    /// The most bytes a batch's records may decompress to unless a caller says otherwise:
    /// 128 MiB. Kafka itself streams records out of a compressed batch and sets no bound;
    /// eddy decodes a batch in memory, so a small batch that claims to expand without limit (a
    /// decompression bomb) must fail instead. Real batches are far below this: producers cap
    /// a batch at batch.size (16 KiB) to max.request.size (1 MiB) *compressed*, which takes a
    /// compression ratio over 100 to reach it.
    public static let defaultMaxDecompressedBytes = 128 << 20

    enum Backend: Sendable {
        case none
        case gzip(Gzip)
        case snappy(Snappy)
        case lz4(LZ4)
        case zstd(Zstd)
    }

    public let type: CompressionType
    let backend: Backend

    /// The codec from the system's library for `type`, loaded when first asked for and kept
    /// (with a failure) for the life of the process.
    public static func system(_ type: CompressionType) throws(CompressionError) -> CompressionCodec {
        switch type {
        case .none: uncompressed
        case .gzip: try gzip.get()
        case .snappy: try snappy.get()
        case .lz4: try lz4.get()
        case .zstd: try zstd.get()
        }
    }

    private static let uncompressed = CompressionCodec(type: .none, backend: .none)
    // Each a lazily initialized global: a library is opened only once its codec is used.
    private static let gzip = loadSystem(.gzip)
    private static let snappy = loadSystem(.snappy)
    private static let lz4 = loadSystem(.lz4)
    private static let zstd = loadSystem(.zstd)

    private static func loadSystem(_ type: CompressionType) -> Result<CompressionCodec, CompressionError> {
        Result { () throws(CompressionError) -> CompressionCodec in
            guard let library = CodecLibrary.system(type) else { return uncompressed }
            return try load(library)
        }
    }

    /// Loads `type`'s functions from `libraryName` instead of the system's library, uncached
    /// (tests use it to see what a missing library does).
    public static func load(_ type: CompressionType, libraryName: String) throws(CompressionError) -> CompressionCodec {
        guard var library = CodecLibrary.system(type) else { return try system(.none) }
        library.name = libraryName
        return try load(library)
    }

    private static func load(_ library: CodecLibrary) throws(CompressionError) -> CompressionCodec {
        let backend: Backend
        switch library.codec {
        case .none: backend = .none
        case .gzip: backend = .gzip(try Gzip(library))
        case .snappy: backend = .snappy(try Snappy(library))
        case .lz4: backend = .lz4(try LZ4(library))
        case .zstd: backend = .zstd(try Zstd(library))
        }
        return CompressionCodec(type: library.codec, backend: backend)
    }

    /// Compresses `input` into one stream of Kafka's framing for the codec (`.none` copies it),
    /// at `level` (KIP-390; nil: the codec's default, `CompressionType.levels`; ignored by
    /// snappy). The level must be one the codec accepts (`CompressionType.accepts(level:)`).
    public func compress(_ input: UnsafeRawBufferPointer, level: Int? = nil) throws(CompressionError) -> [UInt8] {
        let level = level ?? type.levels?.default ?? 0
        switch backend {
        case .none: return Array(input)
        case let .gzip(c): return try c.compress(input, level: CInt(level))
        case let .snappy(c): return try c.compress(input)
        case let .lz4(c): return try c.compress(input, level: CInt(level))
        case let .zstd(c): return try c.compress(input, level: CInt(level))
        }
    }

    /// Decompresses a whole stream, failing with `.tooLarge` once the output would pass
    /// `maxBytes`, and with `.corrupt` for malformed, truncated or trailing data.
    public func decompress(_ input: UnsafeRawBufferPointer,
                           maxBytes: Int = CompressionCodec.defaultMaxDecompressedBytes) throws(CompressionError) -> [UInt8] {
        switch backend {
        case .none:
            guard input.count <= maxBytes else { throw .tooLarge(codec: .none, limit: maxBytes) }
            return Array(input)
        case let .gzip(c): return try c.decompress(input, limit: maxBytes)
        case let .snappy(c): return try c.decompress(input, limit: maxBytes)
        case let .lz4(c): return try c.decompress(input, limit: maxBytes)
        case let .zstd(c): return try c.decompress(input, limit: maxBytes)
        }
    }

    public func compress(_ input: [UInt8], level: Int? = nil) throws(CompressionError) -> [UInt8] {
        try input.withBytes { (b) throws(CompressionError) in try compress(b, level: level) }
    }

    public func decompress(_ input: [UInt8], maxBytes: Int = CompressionCodec.defaultMaxDecompressedBytes) throws(CompressionError) -> [UInt8] {
        try input.withBytes { (b) throws(CompressionError) in try decompress(b, maxBytes: maxBytes) }
    }
}
