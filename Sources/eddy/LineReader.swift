#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a file descriptor's bytes into lines for `eddy produce`.
///
/// A line is the bytes up to (not including) `\n`; nothing else is stripped, so a `\r`
/// before the `\n` stays part of the line, and any bytes, NUL included, pass through. The
/// last line needs no `\n`. Lines are handed out as borrowed buffers, valid only inside the
/// callback, so reading allocates nothing per line.
///
/// Not thread-safe.
struct LineReader {
    /// Largest read(2); a line longer than the buffer grows it.
    static let chunkSize = 1 << 20

    let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    /// Bytes [start, end) of `buffer` are read but not yet handed out.
    private var start = 0
    private var end = 0
    private(set) var isAtEnd = false

    init(fd: Int32) {
        self.fd = fd
        buffer = .allocate(byteCount: LineReader.chunkSize, alignment: 16)
    }

    func deallocate() { buffer.deallocate() }

    /// Whether a read would return at once (data or end of input) rather than block.
    func isReadable(timeoutMs: Int32 = 0) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, timeoutMs) != 0
    }

    enum ReadResult: Equatable {
        case data, endOfInput, interrupted
    }

    /// Reads once (blocking) into the buffer. `.interrupted` when a signal arrived first.
    mutating func fill() throws -> ReadResult {
        guard !isAtEnd else { return .endOfInput }
        if start > 0 {
            // Move the partial line to the front.
            if end > start { memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start) }
            end -= start
            start = 0
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
            buffer.deallocate()
            buffer = bigger
        }
        let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
        if n < 0 {
            if errno == EINTR { return .interrupted }
            throw EddyError("cannot read standard input: \(String(cString: strerror(errno)))")
        }
        if n == 0 {
            isAtEnd = true
            return .endOfInput
        }
        end += n
        return .data
    }

    /// Hands out every complete line in the buffer; at end of input, also the last line
    /// if it has no `\n` (an input ending in `\n` has no extra empty line).
    mutating func drainLines(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let base = UnsafeRawBufferPointer(buffer)
        while start < end {
            let rest = UnsafeRawBufferPointer(rebasing: base[start ..< end])
            guard let nl = memchr(rest.baseAddress!, 10, rest.count) else { break }
            let len = UnsafeRawPointer(nl) - rest.baseAddress!
            let line = UnsafeRawBufferPointer(rebasing: base[start ..< start + len])
            start += len + 1
            try body(line)
        }
        if isAtEnd, start < end {
            let line = UnsafeRawBufferPointer(rebasing: base[start ..< end])
            start = end
            try body(line)
        }
    }
}
