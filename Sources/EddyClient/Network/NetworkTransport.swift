import EddyProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The `Transport` to brokers over TCP, speaking Kafka's wire protocol (Kafka's `NetworkClient`
/// selector): one connection per broker, opened on first use and reopened after it drops.
///
/// Brokers are known by node id, as everywhere in EddyClient. Before any metadata, only the
/// bootstrap servers are known, as nodes -1, -2, ... (`bootstrapNodes`), as Kafka's clients
/// number them; every Metadata and FindCoordinator response that passes through teaches the
/// transport the advertised address of each broker it names.
///
/// Each new connection first asks ApiVersions (v3, falling back to v0 when the broker answers
/// UNSUPPORTED_VERSION) and every request then goes in the highest version both sides know.
/// A request with no common version is answered locally with UNSUPPORTED_VERSION.
///
/// Completion contract (`Transport`): exactly once; `.brokerUnavailable` when the connection
/// cannot be made, `.disconnected` when it drops with the request in flight. Timeouts are the
/// caller's (`KafkaClient` arms request.timeout.ms). acks=0 produce requests complete as soon as
/// they are written, with an empty response.
public final class NetworkTransport: Transport, Sendable {
    public let bootstrapServers: [BrokerAddress]
    let clientId: String
    let group: MultiThreadedEventLoopGroup
    let connectTimeoutMs: Int64
    private let state = NIOLockedValueBox(State())

    struct State {
        var addresses: [Int32: BrokerAddress] = [:]
        var connections: [Int32: BrokerConnection] = [:]
        var closed = false
    }

    public init(bootstrapServers: [BrokerAddress], clientId: String = "eddy", connectTimeoutMs: Int64 = 10_000) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.connectTimeoutMs = connectTimeoutMs
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        state.withLockedValue { s in
            for (i, a) in bootstrapServers.enumerated() { s.addresses[Self.bootstrapNode(i)] = a }
        }
    }

    /// The node id of bootstrap server `index`: -1, -2, ...
    public static func bootstrapNode(_ index: Int) -> Int32 { -1 - Int32(index) }

    /// The node ids to bootstrap a `KafkaClient` with.
    public var bootstrapNodes: [Int32] { bootstrapServers.indices.map(Self.bootstrapNode) }

    /// The address the transport uses for `node`, if it knows one.
    public func address(of node: Int32) -> BrokerAddress? {
        state.withLockedValue { $0.addresses[node] }
    }

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        let connection: BrokerConnection? = state.withLockedValue { s in
            guard !s.closed, let address = s.addresses[node] else { return nil }
            if let c = s.connections[node], c.isUsable { return c }
            let c = BrokerConnection(node: node, address: address, clientId: clientId, group: group,
                                     connectTimeoutMs: connectTimeoutMs)
            s.connections[node] = c
            return c
        }
        guard let connection else { return completion(.failure(.brokerUnavailable(node))) }
        connection.send(request, context: context) { [weak self] result in
            if case let .success(response) = result { self?.learn(from: response) }
            completion(result)
        }
    }

    /// Records the brokers a response names.
    private func learn(from response: KafkaResponse) {
        var found: [(Int32, BrokerAddress)] = []
        switch response {
        case let .metadata(m):
            found = m.brokers.map { ($0.nodeId, BrokerAddress(host: $0.host, port: Int($0.port))) }
        case let .findCoordinator(f):
            if f.errorCode == .none, f.nodeId >= 0 { found.append((f.nodeId, BrokerAddress(host: f.host, port: Int(f.port)))) }
            for c in f.coordinators where c.errorCode == .none && c.nodeId >= 0 {
                found.append((c.nodeId, BrokerAddress(host: c.host, port: Int(c.port))))
            }
        default:
            return
        }
        guard !found.isEmpty else { return }
        let stale: [BrokerConnection] = state.withLockedValue { s in
            var stale: [BrokerConnection] = []
            for (id, address) in found where s.addresses[id] != address {
                s.addresses[id] = address
                if let c = s.connections.removeValue(forKey: id) { stale.append(c) }
            }
            return stale
        }
        for c in stale { c.close() }
    }

    /// Closes every connection; requests in flight complete with `.disconnected`.
    public func close() {
        let connections: [BrokerConnection] = state.withLockedValue { s in
            s.closed = true
            defer { s.connections = [:] }
            return Array(s.connections.values)
        }
        for c in connections { c.close() }
        group.shutdownGracefully { _ in }
    }
}
