#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EddyProtocol
import Foundation

/// A thin owner of a POSIX file descriptor with positional I/O, closed by `close()` or when the
/// last reference goes. Not thread-safe: callers (segments, indexes) are guarded by their log's
/// lock, except reads through `SegmentFile`, which are positional and never close it.
final class File: @unchecked Sendable {
    let path: String
    private(set) var fd: Int32

    /// Opens (and with `create`, creates) a file for reading and writing.
    init(path: String, create: Bool = true, readOnly: Bool = false) throws {
        self.path = path
        let flags = readOnly ? O_RDONLY : (O_RDWR | (create ? O_CREAT : 0))
        let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.io(operation: "open", path: path, errno: errno) }
        self.fd = fd
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    var isOpen: Bool { fd >= 0 }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    func size() throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StorageError.io(operation: "fstat", path: path, errno: errno) }
        return Int64(st.st_size)
    }

    /// Writes all of `buf` at `offset`, retrying short writes and EINTR.
    func write(_ buf: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < buf.count {
            let n = pwrite(fd, buf.baseAddress! + done, buf.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    /// Gathers `parts` into one positional write (pwritev), retrying short writes.
    func write(parts: [UnsafeRawBufferPointer], at offset: Int64) throws {
        var parts = parts.filter { $0.count > 0 }
        var pos = offset
        while !parts.isEmpty {
            let n = parts.prefix(1024).withUnsafeBufferPointer { ps -> Int in
                var iov = ps.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress!), iov_len: $0.count) }
                return pwritev(fd, &iov, Int32(iov.count), off_t(pos))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.io(operation: "write", path: path, errno: errno)
            }
            pos += Int64(n)
            var left = n
            while left > 0, let first = parts.first {
                if first.count <= left {
                    left -= first.count
                    parts.removeFirst()
                } else {
                    parts[0] = UnsafeRawBufferPointer(rebasing: first[left ..< first.count])
                    left = 0
                }
            }
        }
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { b in try write(b, at: offset) }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let got = try out.withUnsafeMutableBytes { b in try read(into: b, at: offset) }
        if got < count { out.removeSubrange(got...) }
        return out
    }

    /// Fills `buf` from `offset`; returns bytes read (short only at end of file).
    func read(into buf: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buf.count {
            let n = pread(fd, buf.baseAddress! + done, buf.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.io(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func truncate(to size: Int64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw StorageError.io(operation: "truncate", path: path, errno: errno) }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw StorageError.io(operation: "fsync", path: path, errno: errno) }
    }
}

/// A segment's log file as `FileRecords` point into it: the segment's own `File`, whose
/// descriptor stays open while any records in flight hold it, even after the segment closes,
/// rolls or is deleted (a `File` closes its descriptor when the last reference goes). One per
/// segment (`LogSegment.openLogFile`). Reads are positional, so they do not disturb the
/// segment's appends on the same descriptor.
public final class SegmentFile: RecordsFile {
    private let file: File

    init(sharing file: File) {
        self.file = file
    }

    public var descriptor: Int32 { file.fd }

    public func size() throws -> Int64 { try file.size() }

    public func read(at position: Int64, count: Int) throws -> [UInt8] {
        let bytes = try file.read(at: position, count: count)
        guard bytes.count == count else {
            throw StorageError.corruptBatch(path: file.path, position: position + Int64(bytes.count),
                                            reason: "the file ends \(count - bytes.count) bytes short of the records read from it")
        }
        return bytes
    }
}

/// Directory and whole-file helpers, shared by the storage layer and the broker above it.
/// Failures are `StorageError.io` with the failing call, path and errno.
public enum FileSystem {
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func createDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw StorageError.io(operation: "mkdir", path: path, errno: EIO)
        }
    }

    /// Entry names in `path` (without "." and ".."), sorted.
    public static func list(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw StorageError.io(operation: "opendir", path: path, errno: errno) }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw StorageError.io(operation: "rename", path: from, errno: errno) }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw StorageError.io(operation: "unlink", path: path, errno: errno) }
    }

    /// `rm -r`; a missing path is not an error. Does not follow symbolic links.
    public static func removeTree(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw StorageError.io(operation: "lstat", path: path, errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw StorageError.io(operation: "rmdir", path: path, errno: errno) }
        } else {
            try remove(path)
        }
    }

    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : nil
    }

    /// fsyncs a directory so that renames and creations inside it are durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(operation: "open", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StorageError.io(operation: "fsync", path: path, errno: errno) }
    }

    /// Replaces `path` with `bytes` atomically: write `temporaryPath` (default `path.tmp`), fsync,
    /// rename, fsync the directory. After a crash the file holds either the old or the new
    /// content, never a mix; a leftover temporary file may remain.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], temporaryPath: String? = nil) throws {
        let tmp = temporaryPath ?? path + ".tmp"
        try writeSynced(tmp, bytes)
        try rename(tmp, path)
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Creates or replaces `path` with `bytes` and fsyncs it (the first step of `writeAtomically`,
    /// for callers that rename under a lock of their own).
    static func writeSynced(_ path: String, _ bytes: [UInt8]) throws {
        let f = try File(path: path)
        defer { f.close() }
        try f.truncate(to: 0)
        try f.write(bytes, at: 0)
        try f.sync()
    }

    public static func readAll(_ path: String) throws -> [UInt8] {
        let f = try File(path: path, create: false, readOnly: true)
        return try f.read(at: 0, count: Int(try f.size()))
    }
}
