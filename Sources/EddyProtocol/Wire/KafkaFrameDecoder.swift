/// Splits a byte stream into Kafka frames: each a 4-byte big-endian size, then that many bytes
/// (the message). Bytes may arrive in any split; the frames that come out are the same.
///
/// A size above `maxFrameSize` (the broker's `socket.request.max.bytes`, 100 MiB by default) or
/// below zero is rejected before anything is buffered for it: the connection is then unusable.
public struct KafkaFrameDecoder: Sendable {
    /// Kafka's default `socket.request.max.bytes`.
    public static let defaultMaxFrameSize = 104_857_600

    public let maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxFrameSize: Int = KafkaFrameDecoder.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as a frame.
    public var buffered: Int { buffer.count - start }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame's message (without its size), or nil until enough bytes arrived.
    public mutating func next() throws(ProtocolError) -> [UInt8]? {
        guard buffered >= 4 else { return nil }
        let size = try Self.frameSize(buffer[start ..< start + 4], limit: maxFrameSize)
        guard buffered - 4 >= size else { return nil }
        let frame = Array(buffer[start + 4 ..< start + 4 + size])
        start += 4 + size
        return frame
    }

    /// The message size that a 4-byte prefix announces, checked against `limit`.
    public static func frameSize<C: Collection>(_ prefix: C, limit: Int) throws(ProtocolError) -> Int where C.Element == UInt8 {
        var size: Int32 = 0
        for b in prefix.prefix(4) { size = size << 8 | Int32(b) }
        guard size >= 0, Int(size) <= limit else { throw .frameTooLarge(size: Int64(size), limit: limit) }
        return Int(size)
    }
}
