import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 listener for Prometheus to scrape: `GET /metrics` answers `body()` as
/// Prometheus' text exposition format (version 0.0.4); any other path is 404 and any other
/// method 405. `body` runs on the event loop for each scrape, so it must only read prepared
/// text (the caller renders it once per refresh).
public final class MetricsHTTPServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// Binds `host:port` (port 0: one the kernel picks, see `port`).
    public init(host: String, port: Int, body: @escaping @Sendable () -> String) throws(ListenError) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Idle keep-alive connections close after a minute (Prometheus scrapes
                        // more often than that).
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(60)))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsHandler(body: body))
                    }
                }
                .bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw ListenError(host: host, port: port, underlying: error)
        }
        self.group = group
    }

    /// The bound port.
    public var port: Int { channel.localAddress?.port ?? 0 }

    public func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let body: @Sendable () -> String
    private var head: HTTPRequestHead?

    init(body: @escaping @Sendable () -> String) {
        self.body = body
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { return context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(h):
            head = h
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let (status, text, type): (HTTPResponseStatus, String, String)
            if head.method != .GET {
                (status, text, type) = (.methodNotAllowed, "only GET\n", "text/plain; charset=utf-8")
            } else if head.uri.split(separator: "?").first != "/metrics" {
                (status, text, type) = (.notFound, "metrics are at /metrics\n", "text/plain; charset=utf-8")
            } else {
                (status, text, type) = (.ok, body(), "text/plain; version=0.0.4; charset=utf-8")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(text.utf8.count)")
            let keepAlive = head.isKeepAlive
            if !keepAlive {
                headers.add(name: "Connection", value: "close")
            } else if head.version.minor == 0 {
                headers.add(name: "Connection", value: "keep-alive")
            }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
        }
    }
}
