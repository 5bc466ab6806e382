import EddyProtocol
import NIOCore

/// The first stage of a connection: cuts the byte stream into Kafka frames (4-byte big-endian
/// size, then the message) and passes each message on as one buffer, without its size. A size
/// above `socket.request.max.bytes` fails the channel (`ProtocolError.frameTooLarge`) before
/// anything is buffered for it.
struct KafkaFrameToMessageDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxFrameSize: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let prefix = buffer.getBytes(at: buffer.readerIndex, length: 4) else { return .needMoreData }
        let size = try KafkaFrameDecoder.frameSize(prefix, limit: maxFrameSize)
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
