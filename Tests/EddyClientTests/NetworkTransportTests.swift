@testable import EddyClient
#if canImport(Glibc)
import Glibc
#endif
import EddyProtocol
import EddyServer
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Kafka's reconnect.backoff.ms / reconnect.backoff.max.ms, as `ReconnectBackoff` computes them.
struct ReconnectBackoffTests {
    @Test func doublesFromTheInitialWaitUpToTheMaximum() {
        let backoff = ReconnectBackoff(initialMs: 50, maxMs: 1000, jitter: 0)
        #expect((0 ... 8).map { backoff.delayMs(failures: $0, random: 0.5) } == [0, 50, 100, 200, 400, 800, 1000, 1000, 1000])
        // Far past the maximum, the exponent stops growing instead of overflowing.
        #expect(backoff.delayMs(failures: 10_000, random: 0.5) == 1000)
    }

    @Test func jitterSpreadsEachWaitByTwentyPercentAndNeverPassesTheMaximum() {
        let backoff = ReconnectBackoff()  // Kafka's defaults: 50 ms, 1 s, 20 % jitter
        #expect(backoff == ReconnectBackoff(initialMs: 50, maxMs: 1000, jitter: 0.2))
        #expect(backoff.delayMs(failures: 1, random: 0) == 40)
        #expect(backoff.delayMs(failures: 1, random: 0.5) == 50)
        #expect(backoff.delayMs(failures: 3, random: 0.999_999) == 239)
        for draw in stride(from: 0.0, to: 1.0, by: 0.05) {
            #expect(backoff.delayMs(failures: 7, random: draw) <= 1000)
            #expect(backoff.delayMs(failures: 7, random: draw) >= 800)
        }
        // Past the maximum the jitter still spreads the waits (Kafka's ExponentialBackoff caps
        // the exponential term first), so clients that lost a broker do not return together.
        #expect(backoff.delayMs(failures: 30, random: 0) == 800)
        #expect(backoff.delayMs(failures: 30, random: 0.25) == 900)
    }

    @Test func aMaximumBelowTheInitialWaitIsRaisedToIt() {
        let backoff = ReconnectBackoff(initialMs: 500, maxMs: 100, jitter: 0)
        #expect(backoff.maxMs == 500)
        #expect(backoff.delayMs(failures: 4, random: 0) == 500)
        #expect(ReconnectBackoff(initialMs: 0, maxMs: 0).delayMs(failures: 3, random: 0.3) == 0)
    }
}

/// `NetworkTransport` reconnecting to brokers that refuse or answer, on a clock the test moves.
struct NetworkTransportReconnectTests {
    /// A loopback port that refuses connections for as long as it is held: a socket bound to it
    /// (with SO_REUSEADDR) but not listening. Holding it keeps tests running in parallel from
    /// being given the same port (a port bound and closed at once could be handed to another
    /// test's server meanwhile, which then answered, or took the port this test's server binds
    /// later: seen as EADDRINUSE); a server with SO_REUSEADDR, as KafkaServer's is, can still
    /// bind and listen on it.
    final class RefusingPort {
        let port: Int
        private let fd: Int32

        init() throws {
            let socketFd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socketFd >= 0 else { throw TestFailure("socket: errno \(errno)") }
            var one: Int32 = 1
            setsockopt(socketFd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    bind(socketFd, sa, length) == 0 && getsockname(socketFd, sa, &length) == 0
                }
            }
            guard bound else {
                Glibc.close(socketFd)
                throw TestFailure("bind: errno \(errno)")
            }
            fd = socketFd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { Glibc.close(fd) }
    }

    /// A transport on a manual clock with no jitter.
    static func transport(_ addresses: [BrokerAddress], clock: NIOLockedValueBox<Int64>) -> NetworkTransport {
        NetworkTransport(bootstrapServers: addresses, connectTimeoutMs: 5_000,
                         reconnectBackoff: ReconnectBackoff(initialMs: 50, maxMs: 1000, jitter: 0.2),
                         now: { clock.withLockedValue { $0 } }, random: { 0.5 })
    }

    static func send(_ transport: NetworkTransport, to node: Int32) async -> Result<KafkaResponse, TransportError> {
        await withCheckedContinuation { continuation in
            transport.send(.metadata(MetadataRequest(topics: [])), to: node, context: RequestContext(clientId: "t")) {
                continuation.resume(returning: $0)
            }
        }
    }

    @Test func eachFailedConnectionDoublesTheWaitBeforeTheNext() async throws {
        let clock = NIOLockedValueBox<Int64>(1_000)
        let refusing = try RefusingPort()
        let transport = Self.transport([BrokerAddress(host: "127.0.0.1", port: refusing.port)], clock: clock)
        defer { transport.close(); withExtendedLifetime(refusing) {} }
        let node = NetworkTransport.bootstrapNode(0)
        #expect(transport.reconnectDelayMs(to: node) == 0)

        guard case .failure(.brokerUnavailable(node)) = await Self.send(transport, to: node) else {
            Issue.record("a refused connection must fail with brokerUnavailable")
            return
        }
        #expect(transport.reconnectDelayMs(to: node) == 50)
        clock.withLockedValue { $0 += 30 }
        #expect(transport.reconnectDelayMs(to: node) == 20)

        // The next request waits out the 20 ms left, then fails again: the wait doubles.
        _ = await Self.send(transport, to: node)
        #expect(transport.reconnectDelayMs(to: node) == 100)
        _ = await Self.send(transport, to: node)
        #expect(transport.reconnectDelayMs(to: node) == 200)
        #expect(transport.connectionsOpened == 3)
    }

    @Test func requestsSentDuringTheBackoffWaitForTheConnectionRatherThanFailAtOnce() async throws {
        let clock = NIOLockedValueBox<Int64>(0)
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let transport = NetworkTransport(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: refusing.port)],
                                         reconnectBackoff: ReconnectBackoff(initialMs: 300, maxMs: 300, jitter: 0),
                                         now: { clock.withLockedValue { $0 } }, random: { 0 })
        defer { transport.close() }
        let node = NetworkTransport.bootstrapNode(0)
        _ = await Self.send(transport, to: node)
        #expect(transport.reconnectDelayMs(to: node) == 300)
        // The clock stands still, so the whole 300 ms are waited (in real time) before connecting.
        let started = Date()
        _ = await Self.send(transport, to: node)
        #expect(Date().timeIntervalSince(started) >= 0.29)
        #expect(transport.connectionsOpened == 2)
    }

    @Test func aBrokerThatAcceptsButNeverAnswersFailsWithinTheConnectTimeout() async throws {
        // A listening socket nobody reads: the kernel completes the connection, ApiVersions
        // gets no answer.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        // On a clock that stands still, so the backoff it starts is still there when checked.
        let clock = NIOLockedValueBox<Int64>(0)
        let transport = NetworkTransport(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: listener.localAddress!.port!)],
                                         connectTimeoutMs: 300, now: { clock.withLockedValue { $0 } }, random: { 0.5 })
        defer { transport.close() }
        // Through a client whose request timeout is far longer: the setup timeout fails it first.
        let client = KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: "t", requestTimeoutMs: 20_000)
        do {
            _ = try await client.send(.metadata(MetadataRequest(topics: [])), to: NetworkTransport.bootstrapNode(0))
            Issue.record("a connection that never negotiates must fail")
        } catch {
            #expect(error == .transport(.brokerUnavailable(NetworkTransport.bootstrapNode(0))), "failed by the setup timeout, not the request timeout")
        }
        #expect(transport.reconnectDelayMs(to: NetworkTransport.bootstrapNode(0)) > 0)
    }

    @Test func aRequestThatTimesOutDropsItsConnection() async throws {
        var config = KafkaServer.Config()
        config.drainTimeoutMs = 100
        let server = try KafkaServer(listeners: [KafkaServer.Listener(node: 0, host: "127.0.0.1", port: 0)],
                                     dispatcher: ScriptedAnswers(hangMetadata: true), config: config, logger: Logger(label: "test"))
        defer { server.shutdown() }
        let clock = NIOLockedValueBox<Int64>(0)
        let transport = Self.transport([BrokerAddress(host: "127.0.0.1", port: server.boundListeners[0].port)], clock: clock)
        defer { transport.close() }
        let client = KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: "t", requestTimeoutMs: 200)
        let node = NetworkTransport.bootstrapNode(0)
        do {
            _ = try await client.send(.metadata(MetadataRequest(topics: [])), to: node)
            Issue.record("the broker never answers Metadata")
        } catch {
            #expect(error == .transport(.timedOut(node)))
        }
        // The connection went with it: the next request (which the broker answers) opens another,
        // after the backoff, instead of queueing behind the unanswered one.
        // (The connection closes on its event loop, just after the timeout fails the request.)
        try await waitUntil("the timed-out connection is dropped") { transport.reconnectDelayMs(to: node) == 50 }
        clock.withLockedValue { $0 += 50 }
        // Through a client with a long request timeout: 200 ms for a new connection, its
        // ApiVersions and the answer failed this test on a loaded machine.
        let patient = KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: "t", requestTimeoutMs: 20_000)
        let answer = try await patient.send(.listGroups(ListGroupsRequest()), to: node)
        guard case .listGroups = answer else { Issue.record("unexpected \(answer)"); return }
        #expect(transport.connectionsOpened == 2)
    }

    @Test func brokersThatLeaveMetadataAreForgotten() async throws {
        let server = try KafkaServer(listeners: [KafkaServer.Listener(node: 0, host: "127.0.0.1", port: 0)],
                                     dispatcher: ScriptedAnswers(hangMetadata: false), logger: Logger(label: "test"))
        defer { server.shutdown() }
        let port = server.boundListeners[0].port
        let transport = Self.transport([BrokerAddress(host: "127.0.0.1", port: port)], clock: NIOLockedValueBox<Int64>(0))
        defer { transport.close() }
        // The scripted broker lists brokers 0 and 1 in its first Metadata answer, then 0 only.
        _ = await Self.send(transport, to: NetworkTransport.bootstrapNode(0))
        #expect(transport.knownNodes == [-1, 0, 1])
        _ = await Self.send(transport, to: NetworkTransport.bootstrapNode(0))
        #expect(transport.knownNodes == [-1, 0], "broker 1 left: forgotten, the bootstrap server kept")
        guard case .failure(.brokerUnavailable(1)) = await Self.send(transport, to: 1) else {
            Issue.record("a forgotten broker is not connected to")
            return
        }
    }

    @Test func aConnectionThatCompletesApiVersionsResetsTheWait() async throws {
        // First nothing listens on the port: the failure starts the backoff.
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let port = refusing.port
        let clock = NIOLockedValueBox<Int64>(0)
        let transport = Self.transport([BrokerAddress(host: "127.0.0.1", port: port)], clock: clock)
        defer { transport.close() }
        let node = NetworkTransport.bootstrapNode(0)
        _ = await Self.send(transport, to: node)
        #expect(transport.reconnectDelayMs(to: node) == 50)
        // Then a server answers ApiVersions there (and every other request with an empty
        // answer); once the wait is over, the next connection completes and resets it.
        let server = try KafkaServer(listeners: [KafkaServer.Listener(node: 0, host: "127.0.0.1", port: port)],
                                     dispatcher: EmptyAnswers(), logger: Logger(label: "test"))
        clock.withLockedValue { $0 += 50 }
        guard case .success = await Self.send(transport, to: node) else {
            Issue.record("the server did not answer")
            server.shutdown()
            return
        }
        #expect(transport.reconnectDelayMs(to: node) == 0)

        // Once the server is gone, the dropped connection starts the backoff again, from the start.
        server.shutdown()
        try await waitUntil("the dropped connection is noticed", seconds: 30) {
            _ = await Self.send(transport, to: node)
            return transport.reconnectDelayMs(to: node) > 0
        }
        #expect(transport.reconnectDelayMs(to: node) <= 100)
    }
}

/// Which TLS failures are about credentials (not retried) and which are disconnections.
struct TLSFailureTests {
    @Test func aConnectionClosedDuringOrAfterTheHandshakeIsADisconnection() {
        #expect(TLSFailure.reason(NIOSSLError.uncleanShutdown) == nil)
        #expect(TLSFailure.reason(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake]))) == nil)
        #expect(TLSFailure.reason(ChannelError.ioOnClosedChannel) == nil)
        // After the handshake, an error that is no alert from the broker is a disconnection.
        #expect(TLSFailure.reason(NIOSSLError.handshakeFailed(.sslError([])), afterHandshake: true) == nil)
        #expect(TLSFailure.reason(NIOSSLError.uncleanShutdown, afterHandshake: true) == nil)
    }

    @Test func aRefusedHandshakeIsAnAuthenticationFailure() {
        let reason = TLSFailure.reason(NIOSSLError.handshakeFailed(.sslError([])))
        #expect(reason?.hasPrefix("SSL handshake failed") == true)
        #expect(TLSFailure.reason(NIOSSLExtraError.failedToValidateHostname)?.hasPrefix("SSL failed") == true)
    }
}

/// A dispatcher with scripted answers: Metadata lists brokers 0 and 1 (on 127.0.0.1:1 and :2)
/// the first time and broker 0 only afterwards, or is never answered (`hangMetadata`); every
/// other request gets an empty answer.
private final class ScriptedAnswers: Transport {
    let hangMetadata: Bool
    let metadataAnswers = NIOLockedValueBox(0)

    init(hangMetadata: Bool) {
        self.hangMetadata = hangMetadata
    }

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard case .metadata = request else { return completion(.success(request.errorResponse(.none))) }
        guard !hangMetadata else { return }
        let n = metadataAnswers.withLockedValue { n in
            n += 1
            return n
        }
        let brokers = (n == 1 ? [0, 1] : [0]).map { MetadataResponse.MetadataResponseBroker(nodeId: $0, host: "127.0.0.1", port: 1 + $0, rack: nil) }
        completion(.success(.metadata(MetadataResponse(brokers: brokers, clusterId: "scripted", controllerId: 0, topics: []))))
    }
}

/// The client.id in request headers: each request carries its own client's, not the shared
/// connection's (clients of one session share connections).
struct RequestHeaderClientIdTests {
    @Test func eachClientsRequestsCarryItsClientId() async throws {
        let seen = ClientIdsSeen()
        let server = try KafkaServer(listeners: [KafkaServer.Listener(node: 0, host: "127.0.0.1", port: 0)],
                                     dispatcher: seen, logger: Logger(label: "test"))
        defer { server.shutdown() }
        let transport = NetworkTransport(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: server.boundListeners[0].port)],
                                         clientId: "the-transport")
        defer { transport.close() }
        let node = NetworkTransport.bootstrapNode(0)
        for id in ["reader", "admin"] {
            let client = KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: id, requestTimeoutMs: 20_000)
            _ = try await client.send(.findCoordinator(FindCoordinatorRequest(key: "g")), to: node)
        }
        // A request without a client id of its own goes with the transport's.
        _ = await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            transport.send(.findCoordinator(FindCoordinatorRequest(key: "g")), to: node, context: RequestContext()) { _ in done.resume() }
        }
        #expect(seen.ids.withLockedValue { $0 } == ["reader", "admin", "the-transport"])
    }
}

/// Records the client.id of each request it answers (empty answers).
private final class ClientIdsSeen: Transport {
    let ids = NIOLockedValueBox<[String]>([])

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        ids.withLockedValue { $0.append(context.clientId) }
        completion(.success(request.errorResponse(.none)))
    }
}

/// A dispatcher that answers every request with an empty response.
private struct EmptyAnswers: Transport {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        completion(.success(request.errorResponse(.none)))
    }
}
