#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import EddyProtocol
import Logging
import NIOCore
import NIOSSL

/// One client connection to one broker (Kafka's network processor and request channel for
/// that connection): takes request frames, hands them to the broker one at a time, and writes
/// each response before the next request starts, so that responses come back in request order
/// and a producer's batches to a partition are appended in the order sent. Different
/// connections proceed in parallel.
///
/// Threading: the handler runs on its channel's event loop. The broker's work (which may touch
/// disk) runs on `workQueue`; its completion hops back to the event loop to write. A consumer's
/// Fetch is first offered to the broker on the event loop (`Transport.sendIfNonBlocking`): one
/// with nothing to read parks there at once, without blocking. While
/// `maxQueuedFrames` requests wait, the handler stops reading from the socket (back pressure).
///
/// A frame that does not decode, an API or version eddy does not serve, and a stopped broker
/// close the connection, as Kafka does; ApiVersions is answered here (see `DecodedRequest`).
/// acks=0 produce requests get no response at all.
///
/// On a SASL listener (`sasl` set), a `SaslServerSession` authenticates the connection first:
/// its steps run on `workQueue` too (key derivation is CPU work, and credentials are read from
/// the cluster), and any request but ApiVersions, SaslHandshake and SaslAuthenticate before it
/// succeeds closes the connection, as Kafka's SaslServerAuthenticator does. On other listeners,
/// SaslHandshake and SaslAuthenticate are answered ILLEGAL_SASL_STATE.
///
/// A consumer's Fetch answer leaves its records in the segment files (`FileRecords`, asked for
/// with `RequestContext.acceptsFileRecords`): they are written as `FileRegion`s, which NIO
/// sends with sendfile, between the bytes around them. Kafka's zero-copy fetch.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    static let maxQueuedFrames = 32

    private let node: Int32
    private let listenerName: String
    /// Whether Fetch answers may be sent from the segment files (sendfile): not through TLS.
    private let fileRecords: Bool
    private let dispatcher: any RequestDispatcher
    private let workQueue: DispatchQueue
    private let logger: Logger
    private let tracker: ConnectionTracker
    private let sasl: SaslServerConfig?
    private var session: SaslServerSession?
    /// Raised to `authenticatedFrameLimit` once the SASL session succeeds.
    private let frameLimit: FrameLimit?
    private let authenticatedFrameLimit: Int
    private let failedAuthenticationDelayMs: Int64

    private var queued = CircularBuffer<ByteBuffer>()
    private var inFlight = false
    private var readHeld = false
    private var closing = false
    /// The peer, as Kafka shows client hosts (`/127.0.0.1`).
    private var clientHost = ""

    init(node: Int32, listenerName: String = "PLAINTEXT", fileRecords: Bool = true, dispatcher: any RequestDispatcher,
         workQueue: DispatchQueue, logger: Logger, tracker: ConnectionTracker, sasl: SaslServerConfig? = nil,
         frameLimit: FrameLimit? = nil, authenticatedFrameLimit: Int = KafkaFrameDecoder.defaultMaxFrameSize,
         failedAuthenticationDelayMs: Int64 = 100) {
        self.sasl = sasl
        self.frameLimit = frameLimit
        self.authenticatedFrameLimit = authenticatedFrameLimit
        self.failedAuthenticationDelayMs = failedAuthenticationDelayMs
        session = sasl.map { SaslServerSession(mechanisms: $0.mechanisms) }
        self.node = node
        self.listenerName = listenerName
        self.fileRecords = fileRecords
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
        let peer = context.remoteAddress.map { "\($0)" } ?? "?"
        if error is NIOSSLError || error is BoringSSLError {
            // As Kafka logs it: a client that could not complete the TLS handshake.
            logger.warning("failed authentication (SSL handshake failed): \(error)", metadata: ["broker": "\(node)", "peer": "\(peer)"])
        } else {
            logger.error("closing connection: \(error)", metadata: ["broker": "\(node)", "peer": "\(peer)"])
        }
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
        if let session, session.bareTokens, session.authenticatedUser == nil {
            return authenticate(.token(bytes), header: nil, context: context)
        }
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
            if let session, session.authenticatedUser == nil {
                logger.warning("closing connection: \(request.apiKey.name) request before SASL authentication", metadata: [
                    "broker": "\(node)", "client_id": "\(header.clientId ?? "")", "peer": "\(clientHost)"])
                return close(context: context)
            }
            dispatch(request, header: header, context: context)
        case let .sasl(request, header):
            authenticate(request, header: header, context: context)
        }
    }

    /// One SASL step, run on the work queue; the session's new state comes back with the
    /// response. Without SASL on this listener: ILLEGAL_SASL_STATE.
    private func authenticate(_ request: DecodedRequest.SaslRequest, header: Wire.RequestHeader?, context: ChannelHandlerContext) {
        guard let current = session, let sasl else {
            // As Kafka's KafkaApis answers them on a listener without SASL: an error, and the
            // connection goes on.
            let response: any WireApiMessage
            switch request {
            case .handshake: response = Wire.SaslHandshakeResponse(errorCode: .illegalSaslState, mechanisms: [])
            case .authenticate, .token:
                response = Wire.SaslAuthenticateResponse(errorCode: .illegalSaslState, errorMessage: "This listener does not use SASL")
            }
            guard let header, let bytes = try? Wire.encodeResponse(response, version: header.requestApiVersion, correlationId: header.correlationId) else {
                return close(context: context)
            }
            write(bytes, context: context)
            return processNext(context: context)
        }
        inFlight = true
        let loop = context.eventLoop, tracker = tracker, node = node, logger = logger, peer = clientHost
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        workQueue.async {
            var session = current
            let bytes: [UInt8]?
            var next = SaslServerSession.Next.proceed
            func authenticated(_ token: [UInt8]) -> Wire.SaslAuthenticateResponse {
                let outcome = session.authenticate(Wire.SaslAuthenticateRequest(authBytes: token), credentials: sasl.credentials)
                if outcome.0.errorCode != .none {
                    // A warning, as a failed TLS handshake is; the message names the mechanism,
                    // never a secret.
                    logger.warning("failed authentication: \(outcome.0.errorMessage ?? "")", metadata: ["broker": "\(node)", "peer": "\(peer)"])
                }
                next = outcome.1
                return outcome.0
            }
            switch request {
            case let .handshake(m):
                let response: Wire.SaslHandshakeResponse
                (response, next) = session.handshake(m, version: header?.requestApiVersion ?? 1)
                bytes = header.flatMap { try? Wire.encodeResponse(response, version: $0.requestApiVersion, correlationId: $0.correlationId) }
            case let .authenticate(m):
                let response = authenticated(m.authBytes)
                bytes = header.flatMap { try? Wire.encodeResponse(response, version: $0.requestApiVersion, correlationId: $0.correlationId) }
            case let .token(token):
                // A bare token's answer is a bare token; a failure has none.
                let response = authenticated(token)
                bytes = response.errorCode == .none ? Self.sizePrefixed(response.authBytes) : nil
            }
            let updated = session, after = next
            tracker.execute(on: loop) {
                let (handler, context) = bound.value
                handler.inFlight = false
                handler.session = updated
                if updated.authenticatedUser != nil { handler.frameLimit?.bytes = handler.authenticatedFrameLimit }
                if let bytes { handler.write(bytes, context: context) }
                if after == .close || bytes == nil {
                    // Kafka's connection.failed.authentication.delay.ms: the connection is closed
                    // a little later, reading nothing more meanwhile.
                    handler.closing = true
                    handler.queued.removeAll()
                    context.eventLoop.scheduleTask(in: .milliseconds(handler.failedAuthenticationDelayMs)) {
                        let (handler, context) = bound.value
                        handler.close(context: context)
                    }
                } else if handler.closing {
                    handler.close(context: context)
                } else {
                    handler.processNext(context: context)
                }
            }
        }
    }

    private func dispatch(_ request: KafkaRequest, header: Wire.RequestHeader, context: ChannelHandlerContext) {
        inFlight = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let requestContext = RequestContext(clientId: header.clientId ?? "", correlationId: header.correlationId, clientHost: clientHost,
                                            acceptsFileRecords: fileRecords, listenerName: listenerName)
        let expectsResponse: Bool
        if case let .produce(p) = request, p.acks == 0 { expectsResponse = false } else { expectsResponse = true }
        let tracker = tracker
        let completion: @Sendable (Result<KafkaResponse, TransportError>) -> Void = { result in
            // Encoding is pure CPU work; do it here, off the event loop.
            let frame: Result<[Wire.FramePart]?, any Error>
            switch result {
            case let .success(response):
                frame = Result { () throws(ProtocolError) -> [Wire.FramePart]? in
                    guard expectsResponse else { return nil }
                    return try Self.encode(response, header: header)
                }.mapError { $0 as any Error }
            case let .failure(error):
                frame = .failure(error)
            }
            tracker.execute(on: loop) {
                let (handler, context) = bound.value
                handler.inFlight = false
                switch frame {
                case let .success(parts):
                    if let parts { handler.write(parts, context: context) }
                    if handler.closing { handler.close(context: context) } else { handler.processNext(context: context) }
                case let .failure(error):
                    handler.errorCaught(context: context, error: error)
                }
            }
        }
        // A caught-up consumer's Fetch usually only waits for records: the broker parks it here
        // when it can do so without blocking, which saves two thread hand-offs per fetch.
        if case .fetch = request, dispatcher.sendIfNonBlocking(request, to: node, context: requestContext, completion: completion) {
            return
        }
        let dispatcher = dispatcher, node = node
        workQueue.async {
            dispatcher.send(request, to: node, context: requestContext, completion: completion)
        }
    }

    /// `bytes` behind their 4-byte big-endian length, as a bare SASL token is framed.
    static func sizePrefixed(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    /// The response frame: one part of bytes, or for a Fetch with file records, the bytes
    /// around them and the records' file ranges.
    static func encode(_ response: KafkaResponse, header: Wire.RequestHeader) throws(ProtocolError) -> [Wire.FramePart] {
        let version = header.requestApiVersion, message = response.wireMessage(version: version)
        if case let .fetch(f) = response {
            let files = f.fileRecordsInWireOrder
            if files.contains(where: { $0 != nil }) {
                return try Wire.encodeResponseParts(message, version: version, correlationId: header.correlationId, fileRecords: files)
            }
        }
        return [.bytes(try Wire.encodeResponse(message, version: version, correlationId: header.correlationId))]
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        write([.bytes(bytes)], context: context)
    }

    /// Writes and flushes a frame. A frame of several parts (a Fetch answer with file records)
    /// is written with the socket corked (TCP_CORK, Linux) and uncorked after the flush: the
    /// bytes before the records, the records (sendfile) and the bytes after them then leave in
    /// as few segments as they fit, instead of one segment per write (the socket has
    /// TCP_NODELAY, so each write would go at once and the client would wake for each).
    private func write(_ parts: [Wire.FramePart], context: ChannelHandlerContext) {
        let corked = parts.count > 1 && Self.setCork(true, context: context)
        defer { if corked { _ = Self.setCork(false, context: context) } }
        for part in parts {
            switch part {
            case let .bytes(bytes):
                context.write(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(bytes: bytes))), promise: nil)
            case let .file(records):
                // A file shortened since the records were read (a truncation after an unclean
                // election) cannot fill the length already written: the connection cannot go on,
                // as Kafka's FileRecords.writeTo fails it. (sendfile would also spin at its end.)
                do {
                    let size = try records.file.size()
                    guard size >= records.position + Int64(records.count) else {
                        throw FileRecordsTruncated(position: records.position, count: records.count, fileSize: size)
                    }
                } catch {
                    errorCaught(context: context, error: error)
                    return
                }
                // The segment file's own descriptor, lent to NIO: taken back (not closed) once the
                // region is written or failed; `records.file` keeps it open until then.
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: records.file.descriptor)
                let region = FileRegion(fileHandle: handle, readerIndex: Int(records.position),
                                        endIndex: Int(records.position) + records.count)
                let written = context.eventLoop.makePromise(of: Void.self)
                let file = records.file
                written.futureResult.whenComplete { _ in
                    _ = try? handle.takeDescriptorOwnership()
                    withExtendedLifetime(file) {}
                }
                context.write(wrapOutboundOut(.fileRegion(region)), promise: written)
            }
        }
        context.flush()
    }
}

extension KafkaConnectionHandler {
    /// Sets TCP_CORK on the connection's socket; false where there is no such option or it
    /// could not be set (the frame then goes out uncorked, which is only slower).
    static func setCork(_ on: Bool, context: ChannelHandlerContext) -> Bool {
        #if canImport(Glibc) || canImport(Musl)
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_CORK)))
        do {
            try context.channel.syncOptions?.setOption(option, value: on ? 1 : 0)
            return true
        } catch {
            return false
        }
        #else
        return false
        #endif
    }
}

/// A Fetch answer's records whose file is now shorter than their range.
struct FileRecordsTruncated: Error, CustomStringConvertible {
    var position: Int64
    var count: Int
    var fileSize: Int64
    var description: String {
        "records at \(position)..<\(position + Int64(count)) of a segment file now \(fileSize) bytes long (truncated since they were read)"
    }
}

/// Sent down every open connection when the server shuts down.
struct ServerDrainEvent: Sendable {}
