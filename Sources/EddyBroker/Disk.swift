#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EddyStorage

/// The few POSIX file operations the broker does itself (metadata snapshots, meta.properties,
/// partition directories), with errors as `BrokerError.storage(.io(...))`.
enum Disk {
    static func io(_ operation: String, _ path: String, _ code: Int32 = errno) -> BrokerError {
        .storage(.io(operation: operation, path: path, errno: code))
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

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

    /// Entry names in `path` (without "." and ".."), sorted.
    static func list(_ path: String) throws(BrokerError) -> [String] {
        guard let d = opendir(path) else { throw io("opendir", path) }
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

    static func readAll(_ path: String) throws(BrokerError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw io("open", path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw io("read", path)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0 ..< n])
        }
    }

    /// Creates or replaces `path` with `bytes` atomically and durably: write `temporaryPath`,
    /// fsync it, rename it over `path`, fsync the directory. After a crash at any point, `path`
    /// holds the old content or the new, never a mix; a leftover temporary file may remain.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], temporaryPath: String? = nil) throws(BrokerError) {
        let tmp = temporaryPath ?? path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw io("open", tmp) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw io("write", tmp, e)
            }
            done += n
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            throw io("fsync", tmp, e)
        }
        close(fd)
        try rename(tmp, path)
        try syncDirectory(parent(of: path))
    }

    static func rename(_ from: String, _ to: String) throws(BrokerError) {
        guard Glibc.rename(from, to) == 0 else { throw io("rename", from) }
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws(BrokerError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw io("unlink", path) }
    }

    /// `rm -r`; a missing path is not an error. Does not follow symbolic links.
    static func removeTree(_ path: String) throws(BrokerError) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw io("lstat", path)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(join(path, name)) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw io("rmdir", path) }
        } else {
            try remove(path)
        }
    }

    /// fsyncs a directory so that entries created, renamed or removed in it are durable.
    static func syncDirectory(_ path: String) throws(BrokerError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw io("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw io("fsync", path) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
