@testable import EddyClient
import EddyProtocol
import EddySasl
import EddyServer
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing

/// The client's SASL over a real socket to `KafkaServer` with a SASL listener: each mechanism
/// authenticates before the first request; a wrong password, a mechanism the listener does not
/// enable, and a listener without SASL fail with `authenticationFailed` (not retried); a
/// client without SASL is cut off at its first request.
struct SaslConnectionTests {
    static let users: [String: [ScramMechanism: ScramCredential]] = [
        "alice": [.sha256: ScramCredential(mechanism: .sha256, password: "wonderland"), .sha512: ScramCredential(mechanism: .sha512, password: "wonderland")],
    ]

    static func server(mechanisms: [SaslMechanism] = SaslMechanism.all) throws -> KafkaServer {
        let sasl = SaslServerConfig(mechanisms: mechanisms) { users[$0] ?? [:] }
        var config = KafkaServer.Config()
        config.drainTimeoutMs = 100
        return try KafkaServer(listeners: [KafkaServer.Listener(node: 0, host: "127.0.0.1", port: 0, name: "SASL_PLAINTEXT", sasl: sasl),
                                           KafkaServer.Listener(node: 0, host: "127.0.0.1", port: 0, name: "PLAINTEXT")],
                               dispatcher: MetadataAnswers(), config: config, logger: Logger(label: "test"))
    }

    static func metadata(_ port: Int, _ sasl: ClientConnectionConfig.SaslCredentials?) async -> Result<KafkaResponse, ClientError> {
        let transport = NetworkTransport(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)], connectTimeoutMs: 5_000, sasl: sasl)
        defer { transport.close() }
        let client = KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: "t", requestTimeoutMs: 5_000)
        do {
            return .success(try await client.send(.metadata(MetadataRequest(topics: [])), to: NetworkTransport.bootstrapNode(0)))
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: SaslMechanism.all)
    func eachMechanismAuthenticates(_ mechanism: SaslMechanism) async throws {
        let server = try Self.server()
        defer { server.shutdown() }
        let result = await Self.metadata(server.boundListeners[0].port, .init(mechanism: mechanism, username: "alice", password: "wonderland"))
        guard case .success(.metadata) = result else { Issue.record("\(mechanism): \(result)"); return }
    }

    @Test(arguments: SaslMechanism.all)
    func aWrongPasswordFailsOnceAndSaysSo(_ mechanism: SaslMechanism) async throws {
        let server = try Self.server()
        defer { server.shutdown() }
        let result = await Self.metadata(server.boundListeners[0].port, .init(mechanism: mechanism, username: "alice", password: "looking-glass"))
        guard case let .failure(.transport(.authenticationFailed(_, reason))) = result else { Issue.record("\(result)"); return }
        #expect(reason.contains("SASL \(mechanism.name)") && reason.contains("invalid credentials"), "\(reason)")
        #expect(!reason.contains("looking-glass"))
        #expect(!TransportError.authenticationFailed(0, reason: reason).isRetriable)
    }

    @Test func aMechanismTheListenerDoesNotEnableIsNamed() async throws {
        let server = try Self.server(mechanisms: [.scram(.sha512)])
        defer { server.shutdown() }
        let result = await Self.metadata(server.boundListeners[0].port, .init(mechanism: .plain, username: "alice", password: "wonderland"))
        guard case let .failure(.transport(.authenticationFailed(_, reason))) = result else { Issue.record("\(result)"); return }
        #expect(reason.contains("does not enable this mechanism (it offers: SCRAM-SHA-512)"), "\(reason)")
    }

    @Test func saslAgainstAPlaintextListenerAndPlaintextAgainstASaslListener() async throws {
        let server = try Self.server()
        defer { server.shutdown() }
        let plainPort = server.boundListeners[1].port
        let toPlain = await Self.metadata(plainPort, .init(mechanism: .scram(.sha256), username: "alice", password: "wonderland"))
        guard case let .failure(.transport(.authenticationFailed(_, reason))) = toPlain else { Issue.record("\(toPlain)"); return }
        #expect(reason.contains("does not use SASL"), "\(reason)")
        // Without SASL, the SASL listener answers ApiVersions and closes at the first request.
        let unauthenticated = await Self.metadata(server.boundListeners[0].port, nil)
        guard case let .failure(.transport(e)) = unauthenticated else { Issue.record("\(unauthenticated)"); return }
        #expect(e == .disconnected(NetworkTransport.bootstrapNode(0)))
    }
}

extension SaslConnectionTests {
    /// Before authentication a SASL listener takes frames up to sasl.server.max.receive.size
    /// (512 KiB): a client announcing a larger one is cut off before it is buffered.
    @Test func anUnauthenticatedClientCannotSendLargeFrames() throws {
        let server = try Self.server()
        defer { server.shutdown() }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(server.boundListeners[0].port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        try #require(connected)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // A size of 600 000 bytes, and the first few of them.
        let header: [UInt8] = [0x00, 0x09, 0x27, 0xC0] + [UInt8](repeating: 0, count: 64)
        _ = header.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(n == 0, "the server closes the connection (read returned \(n))")
    }
}

/// Answers Metadata with one broker; everything else empty.
private struct MetadataAnswers: Transport {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard case .metadata = request else { return completion(.success(request.errorResponse(.none))) }
        completion(.success(.metadata(MetadataResponse(brokers: [.init(nodeId: 0, host: "127.0.0.1", port: 1, rack: nil)],
                                                       clusterId: "sasl", controllerId: 0, topics: []))))
    }
}
