@testable import EddyClient
import EddyProtocol
import EddyServer
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
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
    /// A loopback port nothing listens on (bound, then closed).
    static func refusedPort() throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
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
        let transport = Self.transport([BrokerAddress(host: "127.0.0.1", port: try Self.refusedPort())], clock: clock)
        defer { transport.close() }
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
        let transport = NetworkTransport(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: try Self.refusedPort())],
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

    @Test func aConnectionThatCompletesApiVersionsResetsTheWait() async throws {
        // A server that answers ApiVersions itself, and every other request with an empty
        // answer.
        let server = try KafkaServer(listeners: [KafkaServer.Listener(node: 0, host: "127.0.0.1", port: 0)],
                                     dispatcher: EmptyAnswers(), logger: Logger(label: "test"))
        let port = server.boundListeners[0].port
        let clock = NIOLockedValueBox<Int64>(0)
        let transport = Self.transport([BrokerAddress(host: "127.0.0.1", port: port)], clock: clock)
        defer { transport.close() }
        let node = NetworkTransport.bootstrapNode(0)
        _ = await Self.send(transport, to: node)
        #expect(transport.reconnectDelayMs(to: node) == 0)

        // Once the server is gone, the dropped connection starts the backoff.
        server.shutdown()
        try await waitUntil("the dropped connection is noticed", seconds: 30) {
            _ = await Self.send(transport, to: node)
            return transport.reconnectDelayMs(to: node) > 0
        }
        #expect(transport.reconnectDelayMs(to: node) <= 100)
    }
}

/// A dispatcher that answers every request with an empty response.
private struct EmptyAnswers: Transport {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        completion(.success(request.errorResponse(.none)))
    }
}
