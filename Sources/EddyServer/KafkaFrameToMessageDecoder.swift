import EddyProtocol
import NIOCore

/// The first stage of a connection: cuts the byte stream into Kafka frames (4-byte big-endian
/// size, then the message) and passes each message on as one buffer, without its size. A size
/// above `socket.request.max.bytes` fails the channel (`ProtocolError.frameTooLarge`) before
/// anything is buffered for it. On a SASL listener the limit starts at
/// `sasl.server.max.receive.size` and is raised by the connection once it has authenticated
/// (`FrameLimit`), so an unauthenticated client cannot make the broker buffer large frames.
struct KafkaFrameToMessageDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let limit: FrameLimit

    init(maxFrameSize: Int) {
        limit = FrameLimit(maxFrameSize)
    }

    init(limit: FrameLimit) {
        self.limit = limit
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let prefix = buffer.getBytes(at: buffer.readerIndex, length: 4) else { return .needMoreData }
        let size = try KafkaFrameDecoder.frameSize(prefix, limit: limit.bytes)
        guard buffer.readableBytes >= 4 + size else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let frame = buffer.readSlice(length: size)!
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A client that disconnects mid-frame leaves a partial request: it is dropped unread.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// The largest frame a connection accepts now, shared by its decoder and its handler (both on
/// the connection's event loop, the only place it is read or changed).
final class FrameLimit {
    var bytes: Int

    init(_ bytes: Int) {
        self.bytes = bytes
    }
}
