/// The growing output of a decompressor, never allowed past `limit` bytes.
///
/// Capacity starts from a guess and doubles, but is capped at `limit + 1`: a stream that
/// fills that extra byte decompresses to more than the limit and fails with
/// `CompressionError.tooLarge`, so a decompression bomb costs at most `limit + 1` bytes.
/// The buffer is raw memory (not zero-filled as it grows); `finish()` copies the output out.
final class DecompressionOutput {
    let codec: CompressionType
    let limit: Int
    /// `limit + 1`: the most memory the buffer may take.
    private let cap: Int
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes written so far (the rest of the buffer is free space).
    private(set) var count = 0

    init(codec: CompressionType, limit: Int, expected: Int) {
        self.codec = codec
        self.limit = max(0, limit)
        cap = self.limit == Int.max ? Int.max : self.limit + 1
        capacity = min(max(expected, 64), cap)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    var free: Int { capacity - count }

    /// Makes room for more output: doubles the buffer, up to `limit + 1` bytes.
    func grow() throws(CompressionError) {
        try checkLimit()
        guard capacity < cap else { throw .tooLarge(codec: codec, limit: limit) }
        resize(to: capacity > cap / 2 ? cap : capacity * 2)
    }

    /// Ensures at least one free byte.
    func reserve() throws(CompressionError) {
        if free == 0 { try grow() }
    }

    /// Ensures `n` free bytes, failing when that passes the limit.
    func reserve(_ n: Int) throws(CompressionError) {
        guard n <= limit - count else { throw .tooLarge(codec: codec, limit: limit) }
        if free < n { resize(to: count + n) }
    }

    private func resize(to newCapacity: Int) {
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        bigger.copyMemory(from: buffer, byteCount: count)
        buffer.deallocate()
        buffer = bigger
        capacity = newCapacity
    }

    /// Calls `body` with the free space; it returns how many bytes it wrote there.
    func write(_ body: (UnsafeMutableRawBufferPointer) -> Int) {
        count += body(UnsafeMutableRawBufferPointer(start: buffer + count, count: capacity - count))
    }

    /// Fails once more than `limit` bytes were written.
    func checkLimit() throws(CompressionError) {
        guard count <= limit else { throw .tooLarge(codec: codec, limit: limit) }
    }

    /// The output so far, as an array.
    func finish() throws(CompressionError) -> [UInt8] {
        try checkLimit()
        return [UInt8](unsafeUninitializedCapacity: count) { dst, initialized in
            if let base = dst.baseAddress { UnsafeMutableRawPointer(base).copyMemory(from: buffer, byteCount: count) }
            initialized = count
        }
    }
}
