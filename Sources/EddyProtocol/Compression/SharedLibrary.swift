#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A shared library opened with dlopen(3), for looking up the few C functions of a codec.
///
/// The codecs are loaded at run time rather than linked so that building eddy needs no codec
/// headers (a fresh Debian machine has zlib's headers but neither liblz4's nor libzstd's, and
/// no libsnappy at all): each codec's functions are declared in Swift as `@convention(c)`
/// types matching the libraries' stable C ABIs. The library stays loaded for the life of the
/// process (it is never dlclose'd), so the function pointers stay valid.
struct SharedLibrary {
    /// Why a library or one of its symbols is missing (dlerror's text).
    struct LoadError: Error {
        var reason: String
    }

    private let handle: UnsafeMutableRawPointer
    let name: String

    /// Opens `name` through the dynamic linker's normal search (e.g. `libsnappy.so.1`).
    init(name: String) throws(LoadError) {
        _ = dlerror()
        guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            throw LoadError(reason: SharedLibrary.lastError() ?? "dlopen failed")
        }
        handle = h
        self.name = name
    }

    /// The function `symbol`, as the C function type `T` (which must match its C declaration).
    func function<T>(_ symbol: String, as type: T.Type) throws(LoadError) -> T {
        _ = dlerror()
        guard let p = dlsym(handle, symbol) else {
            throw LoadError(reason: SharedLibrary.lastError() ?? "\(name) has no function \(symbol)")
        }
        return unsafeBitCast(p, to: type)
    }

    private static func lastError() -> String? {
        guard let e = dlerror() else { return nil }
        return String(cString: e)
    }
}

/// Where a codec's library comes from: its soname and the Debian package that installs it.
public struct CodecLibrary: Sendable, Equatable {
    public var codec: CompressionType
    /// The name dlopen(3) is given.
    public var name: String
    /// The Debian package that installs it (for the error a missing library gives).
    public var debianPackage: String

    /// The library eddy loads for `codec` (nil for `.none`).
    public static func system(_ codec: CompressionType) -> CodecLibrary? {
        #if canImport(Darwin)
        switch codec {
        case .none: return nil
        case .gzip: return CodecLibrary(codec: codec, name: "libz.1.dylib", debianPackage: "zlib1g")
        case .snappy: return CodecLibrary(codec: codec, name: "libsnappy.1.dylib", debianPackage: "libsnappy1v5")
        case .lz4: return CodecLibrary(codec: codec, name: "liblz4.1.dylib", debianPackage: "liblz4-1")
        case .zstd: return CodecLibrary(codec: codec, name: "libzstd.1.dylib", debianPackage: "libzstd1")
        }
        #else
        switch codec {
        case .none: return nil
        case .gzip: return CodecLibrary(codec: codec, name: "libz.so.1", debianPackage: "zlib1g")
        case .snappy: return CodecLibrary(codec: codec, name: "libsnappy.so.1", debianPackage: "libsnappy1v5")
        case .lz4: return CodecLibrary(codec: codec, name: "liblz4.so.1", debianPackage: "liblz4-1")
        case .zstd: return CodecLibrary(codec: codec, name: "libzstd.so.1", debianPackage: "libzstd1")
        }
        #endif
    }

    /// Opens the library, or fails with `CompressionError.libraryUnavailable` naming the package.
    func open() throws(CompressionError) -> SharedLibrary {
        do {
            return try SharedLibrary(name: name)
        } catch {
            throw unavailable(error.reason)
        }
    }

    func unavailable(_ reason: String) -> CompressionError {
        .libraryUnavailable(codec: codec, library: name, package: debianPackage, reason: reason)
    }

    /// Looks up `symbol` in `library`, failing like a missing library (an old version lacking it).
    func function<T>(_ library: SharedLibrary, _ symbol: String, as type: T.Type) throws(CompressionError) -> T {
        do {
            return try library.function(symbol, as: type)
        } catch {
            throw unavailable(error.reason)
        }
    }
}
