#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writes to a file descriptor (stdout). When the reader goes away (EPIPE, as with
/// `eddy consume | head`), `isClosed` becomes true and further output is dropped, so commands
/// stop quietly instead of dying of SIGPIPE.
///
/// Not thread-safe: the CLI writes from one thread.
final class Output {
    /// Standard output. The CLI is single-threaded, so this shared instance is never raced.
    nonisolated(unsafe) static let standard = Output(fd: 1)

    /// Bytes gathered before a write(2).
    static let bufferCapacity = 64 * 1024

    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var isClosed = false

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(Output.bufferCapacity)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        buffer.append(contentsOf: bytes)
        if buffer.count >= Output.bufferCapacity { flush() }
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ string: String) {
        var s = string
        s.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    func write(byte: UInt8) {
        guard !isClosed else { return }
        buffer.append(byte)
        if buffer.count >= Output.bufferCapacity { flush() }
    }

    func flush() {
        guard !isClosed, !buffer.isEmpty else { buffer.removeAll(keepingCapacity: true); return }
        if !buffer.withUnsafeBytes({ writeAll(fd: fd, $0) }) { isClosed = true }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes a one-line notice to stderr (not an error).
func printNotice(_ message: String) {
    _ = Array((message.replacingNewlines() + "\n").utf8).withUnsafeBytes { writeAll(fd: 2, $0) }
}

/// write(2) until everything is written; false on an error other than EINTR.
func writeAll(fd: Int32, _ buf: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < buf.count {
        let n = write(fd, buf.baseAddress! + done, buf.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        done += n
    }
    return true
}
