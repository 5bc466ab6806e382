#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory, so that only one process uses it at a time
/// (Kafka's `.lock` file in each log directory).
///
/// The lock is `flock(2)` (`LOCK_EX | LOCK_NB`) on `<directory>/.lock`. While held, the file
/// contains the holder's PID in decimal followed by a newline; a process that fails to get
/// the lock reads it to name the holder. The lock belongs to the open file description, so
/// it is released when the holder calls `release()`, is deinitialized, or dies (even by
/// SIGKILL): a stale `.lock` file never blocks anyone. The descriptor is close-on-exec, so
/// child processes do not inherit the lock.
///
/// Not thread-safe: one owner acquires and releases it.
public final class DataDirectoryLock {
    /// The name of the lock file inside the data directory.
    public static let fileName = ".lock"

    /// Why a data directory could not be locked.
    public enum LockError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Another process (or another open of the lock in this process) holds the lock.
        /// `pid` is what the holder wrote into the lock file, nil if it was unreadable.
        case inUse(directory: String, pid: Int32?)
        /// The directory does not exist and `create` was false.
        case directoryMissing(String)
        /// A system call failed.
        case io(operation: String, path: String, errno: Int32)

        public var description: String {
            switch self {
            case let .inUse(dir, pid?):
                "data directory \(dir) is in use by process \(pid); stop it or use another --data-dir"
            case let .inUse(dir, nil):
                "data directory \(dir) is in use by another process; stop it or use another --data-dir"
            case let .directoryMissing(dir):
                "data directory \(dir) does not exist"
            case let .io(op, path, e):
                "\(op) \(path) failed: \(String(cString: strerror(e)))"
            }
        }
    }

    public let directory: String
    public var path: String { DataDirectoryLock.lockPath(directory) }
    private var fd: Int32

    /// Whether this object still holds the lock.
    public var isHeld: Bool { fd >= 0 }

    /// Takes the lock, retrying for up to `waitMilliseconds` while another process holds it.
    ///
    /// eddy commands that poll (a following `consume`, an idle `produce`) hold the lock only
    /// for moments at a time, so a short wait lets a new command slip in between instead of failing.
    ///
    /// - Parameters:
    ///   - create: create `directory` (and missing parents) first if it does not exist.
    ///   - waitMilliseconds: how long to keep retrying a held lock; 0 tries once.
    /// - Throws: `.inUse` naming the holder's PID when another process still has it.
    public convenience init(directory: String, create: Bool, waitMilliseconds: Int) throws(LockError) {
        let deadline = DataDirectoryLock.monotonicMs() + Int64(max(0, waitMilliseconds))
        while true {
            do {
                try self.init(directory: directory, create: create)
                return
            } catch let error {
                guard case .inUse = error, DataDirectoryLock.monotonicMs() < deadline else { throw error }
                usleep(DataDirectoryLock.retryIntervalMicroseconds)
            }
        }
    }

    /// Pause between attempts while waiting for a held lock.
    static let retryIntervalMicroseconds: UInt32 = 5_000

    /// Takes the lock without waiting.
    ///
    /// - Parameter create: create `directory` (and missing parents) first if it does not exist.
    /// - Throws: `.inUse` naming the holder's PID when another process has it.
    public init(directory: String, create: Bool) throws(LockError) {
        self.directory = directory
        var st = stat()
        if stat(directory, &st) != 0 {
            guard errno == ENOENT else { throw .io(operation: "stat", path: directory, errno: errno) }
            guard create else { throw .directoryMissing(directory) }
            try DataDirectoryLock.makeDirectories(directory)
        } else if (st.st_mode & S_IFMT) != S_IFDIR {
            throw .io(operation: "open directory", path: directory, errno: ENOTDIR)
        }
        let path = DataDirectoryLock.lockPath(directory)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            close(fd)
            guard e == EWOULDBLOCK || e == EAGAIN else { throw .io(operation: "flock", path: path, errno: e) }
            throw .inUse(directory: directory, pid: DataDirectoryLock.holderPID(directory: directory))
        }
        let text = Array("\(getpid())\n".utf8)
        let written = text.withUnsafeBytes { ftruncate(fd, 0) == 0 ? pwrite(fd, $0.baseAddress, $0.count, 0) : -1 }
        if written != text.count {
            let e = errno
            close(fd)
            throw .io(operation: "write", path: path, errno: e)
        }
        self.fd = fd
    }

    deinit { release() }

    /// Clears the PID and gives the lock up. Calling it again does nothing.
    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// The PID written in `<directory>/.lock`, or nil if there is none (no file, empty, not a number).
    /// It names the holder only while the lock is held; after a crash it may name a dead process.
    public static func holderPID(directory: String) -> Int32? {
        let fd = open(lockPath(directory), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 32)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let text = String(decoding: buf[0 ..< n], as: UTF8.self)
        return Int32(text.split(whereSeparator: { $0 == "\n" }).first.map(String.init) ?? "")
    }

    static func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func lockPath(_ directory: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws(LockError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += part
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw .io(operation: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
    }
}
