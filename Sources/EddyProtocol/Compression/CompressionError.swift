/// Why a codec could not compress or decompress.
public enum CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The codec's shared library could not be loaded, or lacks a function eddy needs.
    /// `package` is the Debian package that installs `library`.
    case libraryUnavailable(codec: CompressionType, library: String, package: String, reason: String)
    /// The compressed bytes are not a valid stream of the codec (or are cut short).
    case corrupt(codec: CompressionType, reason: String)
    /// The data decompresses to more than `limit` bytes: refused before it could exhaust
    /// memory (a decompression bomb, or a batch larger than eddy reads).
    case tooLarge(codec: CompressionType, limit: Int)
    /// The library failed to compress (out of memory, or input too large for its API).
    case compressionFailed(codec: CompressionType, reason: String)

    public var description: String {
        switch self {
        case let .libraryUnavailable(codec, library, package, reason):
            "\(codec.name) compression needs \(library), which could not be loaded (\(reason)); "
                + "install the Debian package \(package) (apt-get install \(package))"
        case let .corrupt(codec, reason): "corrupt \(codec.name) data: \(reason)"
        case let .tooLarge(codec, limit): "\(codec.name) data decompresses to more than \(limit) bytes"
        case let .compressionFailed(codec, reason): "\(codec.name) compression failed: \(reason)"
        }
    }

    /// The Kafka error a broker answers with, or a consumer reports, for this failure: a codec
    /// the process cannot run is UNSUPPORTED_COMPRESSION_TYPE; data over the size limit is
    /// MESSAGE_TOO_LARGE; bad data is CORRUPT_MESSAGE.
    public var errorCode: ErrorCode {
        switch self {
        case .libraryUnavailable: .unsupportedCompressionType
        case .corrupt: .corruptMessage
        case .tooLarge: .messageTooLarge
        case .compressionFailed: .unknownServerError
        }
    }
}
