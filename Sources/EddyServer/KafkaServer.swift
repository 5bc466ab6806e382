import Dispatch
import EddyProtocol
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The Kafka wire protocol over TCP, in front of brokers (Kafka's `SocketServer`): one listener
/// per broker, each connection's frames decoded and handed to that broker through a
/// `RequestDispatcher`, responses written back in request order. Built on SwiftNIO: the event
/// loops only frame, decode and write; the brokers' work runs on a dispatch queue.
///
/// Lifecycle: `start()` binds every listener (failing whole if one cannot bind); `shutdown()`
/// stops accepting, lets every connection finish the request it is running (up to
/// `drainTimeout`), then closes them.
public final class KafkaServer: Sendable {
    /// One broker's listener: Kafka's `listeners` entry `NAME://HOST:PORT` for that broker.
    public struct Listener: Sendable {
        public var node: Int32
        public var host: String
        public var port: Int
        /// The listener's name (`PLAINTEXT`, `SSL`, ...), which requests carry in their
        /// `RequestContext.listenerName`.
        public var name: String
        /// TLS for an SSL listener (`NIOSSLServerHandler` first in every connection), nil for
        /// PLAINTEXT. Fetch answers on it are written from memory, not with sendfile: the bytes
        /// must pass through TLS (as Kafka's zero-copy is for PLAINTEXT only).
        public var tls: NIOSSLContext?
        /// SASL for a SASL_PLAINTEXT or SASL_SSL listener: connections authenticate before
        /// anything else (see `SaslServerSession`).
        public var sasl: SaslServerConfig?

        public init(node: Int32, host: String, port: Int, name: String = "PLAINTEXT", tls: NIOSSLContext? = nil, sasl: SaslServerConfig? = nil) {
            self.sasl = sasl
            self.node = node
            self.host = host
            self.port = port
            self.name = name
            self.tls = tls
        }
    }

    public struct Config: Sendable {
        /// Kafka's `socket.request.max.bytes`: the largest request frame; a larger one closes
        /// the connection with a logged error.
        public var socketRequestMaxBytes = KafkaFrameDecoder.defaultMaxFrameSize
        /// Kafka's `connections.max.idle.ms`: connections with no traffic for this long close.
        public var connectionsMaxIdleMs: Int64 = 600_000
        /// Kafka's `sasl.server.max.receive.size`: the largest frame a SASL listener accepts
        /// before the connection has authenticated.
        public var saslServerMaxReceiveSize = 524_288
        /// Kafka's `connection.failed.authentication.delay.ms`: how long a connection whose
        /// authentication failed stays open (silent) before it is closed, which slows down
        /// password guessing.
        public var connectionFailedAuthenticationDelayMs: Int64 = 100
        /// How long shutdown waits for in-flight requests.
        public var drainTimeoutMs: Int64 = 10_000
        public var eventLoopThreads = 2

        public init() {}
    }

    public let listeners: [Listener]
    private let config: Config
    private let dispatcher: any RequestDispatcher
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let workQueue = DispatchQueue(label: "eddy.server.requests", attributes: .concurrent)
    private let tracker = ConnectionTracker()
    private let serverChannels: [any Channel]

    /// Binds every listener. Port 0 binds an ephemeral port: `boundListeners` tells which. A
    /// listener that cannot bind throws `ListenError` (the others are closed).
    public init(listeners: [Listener], dispatcher: any RequestDispatcher, config: Config = Config(), logger: Logger) throws(ListenError) {
        self.listeners = listeners
        self.config = config
        self.dispatcher = dispatcher
        self.logger = logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.eventLoopThreads)
        self.group = group
        var bound: [any Channel] = []
        do throws(ListenError) {
            for l in listeners {
                do {
                    bound.append(try Self.bootstrap(group: group, listener: l, dispatcher: dispatcher, config: config,
                                                    workQueue: workQueue, logger: logger, tracker: tracker)
                        .bind(host: l.host, port: l.port).wait())
                } catch {
                    throw ListenError(host: l.host, port: l.port, listener: l.name, node: l.node, underlying: error)
                }
            }
        } catch {
            for c in bound { try? c.close().wait() }
            try? group.syncShutdownGracefully()
            throw error
        }
        serverChannels = bound
    }

    /// The listeners with the ports actually bound.
    public var boundListeners: [Listener] {
        zip(listeners, serverChannels).map { l, c in
            Listener(node: l.node, host: l.host, port: c.localAddress?.port ?? l.port, name: l.name, tls: l.tls, sasl: l.sasl)
        }
    }

    private static func bootstrap(group: MultiThreadedEventLoopGroup, listener: Listener, dispatcher: any RequestDispatcher,
                                  config: Config, workQueue: DispatchQueue, logger: Logger,
                                  tracker: ConnectionTracker) -> ServerBootstrap {
        let node = listener.node, name = listener.name, tls = listener.tls, sasl = listener.sasl
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    let idle = TimeAmount.milliseconds(config.connectionsMaxIdleMs)
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
                    let limit = FrameLimit(sasl == nil ? config.socketRequestMaxBytes
                        : min(config.socketRequestMaxBytes, config.saslServerMaxReceiveSize))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameToMessageDecoder(limit: limit)))
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(node: node, listenerName: name, fileRecords: tls == nil, dispatcher: dispatcher,
                                               workQueue: workQueue, logger: logger, tracker: tracker, sasl: sasl,
                                               frameLimit: limit, authenticatedFrameLimit: config.socketRequestMaxBytes,
                                               failedAuthenticationDelayMs: config.connectionFailedAuthenticationDelayMs))
                }
            }
    }

    /// Number of open client connections.
    public var connectionCount: Int { tracker.open.count }

    /// Stops accepting, drains and closes every connection, and stops the event loops.
    public func shutdown() {
        for c in serverChannels { try? c.close().wait() }
        let open = tracker.open
        for c in open { c.pipeline.fireUserInboundEventTriggered(ServerDrainEvent()) }
        let deadline = NIODeadline.now() + .milliseconds(config.drainTimeoutMs)
        for c in open {
            let closed = c.closeFuture
            let timeout = c.eventLoop.scheduleTask(deadline: deadline) { c.close(promise: nil) }
            try? closed.wait()
            timeout.cancel()
        }
        tracker.stopLoops()
        try? group.syncShutdownGracefully()
    }
}
