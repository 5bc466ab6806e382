import Dispatch
import EddyProtocol
import Logging
import NIOCore

/// One client connection to one broker (Kafka's network processor and request channel for
/// that connection): takes request frames, hands them to the broker one at a time, and writes
/// each response before the next request starts, so that responses come back in request order
/// and a producer's batches to a partition are appended in the order sent. Different
/// connections proceed in parallel.
///
/// Threading: the handler runs on its channel's event loop. The broker's work (which may touch
/// disk) runs on `workQueue`; its completion hops back to the event loop to write. While
/// `maxQueuedFrames` requests wait, the handler stops reading from the socket (back pressure).
///
/// A frame that does not decode, an API or version eddy does not serve, and a stopped broker
/// close the connection, as Kafka does; ApiVersions is answered here (see `DecodedRequest`).
/// acks=0 produce requests get no response at all.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxQueuedFrames = 32

    private let node: Int32
    private let dispatcher: any RequestDispatcher
    private let workQueue: DispatchQueue
    private let logger: Logger
    private let tracker: ConnectionTracker

    private var queued = CircularBuffer<ByteBuffer>()
    private var inFlight = false
    private var readHeld = false
    private var closing = false
    /// The peer, as Kafka shows client hosts (`/127.0.0.1`).
    private var clientHost = ""

    init(node: Int32, dispatcher: any RequestDispatcher, workQueue: DispatchQueue, logger: Logger, tracker: ConnectionTracker) {
        self.node = node
        self.dispatcher = dispatcher
        self.workQueue = workQueue
        self.logger = logger
        self.tracker = tracker
    }

    func channelActive(context: ChannelHandlerContext) {
        tracker.opened(context.channel)
        clientHost = context.remoteAddress?.ipAddress.map { "/" + $0 } ?? ""
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tracker.closed(context.channel)
        queued.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        queued.append(unwrapInboundIn(data))
        processNext(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if queued.count >= Self.maxQueuedFrames {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            logger.debug("closing idle connection", metadata: ["broker": "\(node)"])
            close(context: context)
        } else if event is ServerDrainEvent {
            // Shutdown: finish what is in flight, take nothing new.
            closing = true
            queued.removeAll()
            if !inFlight { close(context: context) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.error("closing connection: \(error)", metadata: ["broker": "\(node)", "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
        close(context: context)
    }

    private func close(context: ChannelHandlerContext) {
        closing = true
        queued.removeAll()
        context.close(promise: nil)
    }

    private func processNext(context: ChannelHandlerContext) {
        guard !inFlight, !closing, let frame = queued.popFirst() else { return }
        if readHeld, queued.count < Self.maxQueuedFrames {
            readHeld = false
            context.read()
        }
        let bytes = Array(frame.readableBytesView)
        let decoded: DecodedRequest
        do {
            decoded = try DecodedRequest.decode(bytes)
        } catch {
            let header = try? Wire.decodeRequestHeader(bytes)
            logger.error("closing connection: undecodable request: \(error)", metadata: [
                "broker": "\(node)", "api_key": "\(header.map { "\($0.requestApiKey)" } ?? "?")",
                "api_version": "\(header.map { "\($0.requestApiVersion)" } ?? "?")", "client_id": "\(header?.clientId ?? "")",
                "frame_head": "\(bytes.prefix(64).map { String($0, radix: 16) }.joined(separator: " "))"])
            close(context: context)
            return
        }
        switch decoded {
        case let .apiVersions(header, supported):
            do {
                write(try DecodedRequest.apiVersionsResponse(header: header, supported: supported), context: context)
            } catch {
                errorCaught(context: context, error: error)
                return
            }
            processNext(context: context)
        case let .unsupported(header):
            logger.warning("closing connection: unsupported request", metadata: [
                "broker": "\(node)", "api_key": "\(header.requestApiKey)", "api_version": "\(header.requestApiVersion)",
                "client_id": "\(header.clientId ?? "")"])
            close(context: context)
        case let .request(request, header):
            dispatch(request, header: header, context: context)
        }
    }

    private func dispatch(_ request: KafkaRequest, header: Wire.RequestHeader, context: ChannelHandlerContext) {
        inFlight = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let requestContext = RequestContext(clientId: header.clientId ?? "", correlationId: header.correlationId, clientHost: clientHost)
        let expectsResponse: Bool
        if case let .produce(p) = request, p.acks == 0 { expectsResponse = false } else { expectsResponse = true }
        let dispatcher = dispatcher, node = node
        workQueue.async {
            dispatcher.send(request, to: node, context: requestContext) { result in
                // Encoding is pure CPU work; do it here, off the event loop.
                let frame: Result<[UInt8]?, any Error>
                switch result {
                case let .success(response):
                    frame = Result { () throws(ProtocolError) -> [UInt8]? in
                        guard expectsResponse else { return nil }
                        return try Wire.encodeResponse(response.wireMessage(version: header.requestApiVersion),
                                                       version: header.requestApiVersion, correlationId: header.correlationId)
                    }.mapError { $0 as any Error }
                case let .failure(error):
                    frame = .failure(error)
                }
                loop.execute {
                    let (handler, context) = bound.value
                    handler.inFlight = false
                    switch frame {
                    case let .success(bytes):
                        if let bytes { handler.write(bytes, context: context) }
                        if handler.closing { handler.close(context: context) } else { handler.processNext(context: context) }
                    case let .failure(error):
                        handler.errorCaught(context: context, error: error)
                    }
                }
            }
        }
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}

/// Sent down every open connection when the server shuts down.
struct ServerDrainEvent: Sendable {}
