#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EddyStorage

/// The file operations the broker does itself (metadata snapshots, meta.properties, partition
/// directories): EddyStorage's `FileSystem` with errors as `BrokerError.storage(.io(...))`, plus
/// a durable `mkdir -p`.
enum Disk {
    static func io(_ operation: String, _ path: String, _ code: Int32 = errno) -> BrokerError {
        .storage(.io(operation: operation, path: path, errno: code))
    }

    static func exists(_ path: String) -> Bool { FileSystem.exists(path) }

    static func isDirectory(_ path: String) -> Bool { FileSystem.isDirectory(path) }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// `mkdir -p`; fsyncs each parent in which it created an entry.
    static func makeDirectories(_ path: String) throws(BrokerError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        var parent = path.hasPrefix("/") ? "/" : "."
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += part
            if mkdir(prefix, 0o755) == 0 {
                try syncDirectory(parent)
            } else if errno != EEXIST {
                throw io("mkdir", prefix)
            } else if !isDirectory(prefix) {
                throw io("mkdir", prefix, ENOTDIR)
            }
            parent = prefix
            prefix += "/"
        }
    }

    static func list(_ path: String) throws(BrokerError) -> [String] {
        try BrokerError.storage { try FileSystem.list(path) }
    }

    static func readAll(_ path: String) throws(BrokerError) -> [UInt8] {
        try BrokerError.storage { try FileSystem.readAll(path) }
    }

    /// See `FileSystem.writeAtomically`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], temporaryPath: String? = nil) throws(BrokerError) {
        try BrokerError.storage { try FileSystem.writeAtomically(path, bytes, temporaryPath: temporaryPath) }
    }

    static func rename(_ from: String, _ to: String) throws(BrokerError) {
        try BrokerError.storage { try FileSystem.rename(from, to) }
    }

    static func remove(_ path: String) throws(BrokerError) {
        try BrokerError.storage { try FileSystem.remove(path) }
    }

    static func removeTree(_ path: String) throws(BrokerError) {
        try BrokerError.storage { try FileSystem.removeTree(path) }
    }

    static func syncDirectory(_ path: String) throws(BrokerError) {
        try BrokerError.storage { try FileSystem.syncDirectory(path) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
