import EddyProtocol
import EddySasl
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Foundation

/// One TCP connection to one broker (`NetworkTransport`): connects (after `connectDelayMs`, the
/// reconnect backoff; the TCP connect within `connectTimeoutMs`, then the TLS handshake and
/// ApiVersions within `connectTimeoutMs` more),
/// negotiates versions with ApiVersions, authenticates with SASL when configured (SaslHandshake
/// v1, then SaslAuthenticate round trips: PLAIN's one, SCRAM's two, all within the connect
/// timeout; a refusal fails every waiting request with `authenticationFailed`, which is not
/// retried), then writes requests as they come,
/// with correlation ids of its own, and matches responses to them. Requests sent before the
/// connection is ready wait in order. It reports to the transport once it is ready, and once if
/// it then fails or drops (`onOutcome`), but not when the transport closes it.
///
/// Thread-safe: the state is behind a lock; completions run outside it, on the event loop.
final class BrokerConnection: Sendable {
    typealias Completion = @Sendable (Result<KafkaResponse, TransportError>) -> Void

    let node: Int32
    let address: BrokerAddress
    private let clientId: String
    private let connectTimeoutMs: Int64
    private let tls: NIOSSLContext?
    private let sasl: ClientConnectionConfig.SaslCredentials?
    private let group: any EventLoopGroup
    private let connectDelayMs: Int64
    private let onOutcome: @Sendable (_ connected: Bool) -> Void
    private let state = NIOLockedValueBox(State())

    private struct Pending {
        var apiKey: ApiKey
        var version: Int16
        var completion: Completion
    }

    private struct Waiting {
        var request: KafkaRequest
        var completion: Completion
        /// The request header's client.id.
        var clientId: String
    }

    private enum Phase {
        case connecting
        case negotiating
        case authenticating([ApiKey: ClosedRange<Int16>], SaslStep)
        case ready([ApiKey: ClosedRange<Int16>])
        case failed

        var isSettingUp: Bool {
            switch self {
            case .negotiating, .authenticating: true
            default: false
            }
        }
    }

    /// The SASL response awaited.
    private enum SaslStep {
        case handshake
        case plain
        case scramFirst(ScramClient)
        case scramFinal(ScramClient)
    }

    private struct State {
        var phase = Phase.connecting
        var channel: (any Channel)?
        var waiting: [Waiting] = []
        var pending: [Int32: Pending] = [:]
        var nextCorrelationId: Int32 = 1
        /// Closed by the transport (not a failure to report).
        var closedByOwner = false
        var reportedFailure = false
    }

    /// The correlation id of the connection's own ApiVersions request.
    private static let apiVersionsCorrelationId: Int32 = 0
    /// The ApiVersions version asked first (KIP-511's flexible version).
    static let apiVersionsVersion: Int16 = 3

    init(node: Int32, address: BrokerAddress, clientId: String, group: any EventLoopGroup, connectTimeoutMs: Int64,
         connectDelayMs: Int64 = 0, tls: NIOSSLContext? = nil, sasl: ClientConnectionConfig.SaslCredentials? = nil,
         onOutcome: @escaping @Sendable (_ connected: Bool) -> Void = { _ in }) {
        self.sasl = sasl
        self.node = node
        self.address = address
        self.clientId = clientId
        self.group = group
        self.connectDelayMs = connectDelayMs
        self.onOutcome = onOutcome
        self.connectTimeoutMs = connectTimeoutMs
        self.tls = tls
    }

    /// Connects, now or after the reconnect backoff. Called once, by the transport.
    func start() {
        guard connectDelayMs > 0 else { return connect() }
        group.next().scheduleTask(in: .milliseconds(connectDelayMs)) { [weak self] in self?.connect() }
    }

    private func connect() {
        // Closed by the transport while waiting for the backoff.
        guard state.withLockedValue({ if case .connecting = $0.phase { true } else { false } }) else { return }
        let tls = tls, host = address.host
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(connectTimeoutMs))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let self else { return }
                    if let tls {
                        // SNI and the certificate check use the host name; an IP address is
                        // checked against the certificate's IP addresses instead (no SNI).
                        let name = Self.isIPAddress(host) ? nil : host
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(connection: self))
                }
            }
        bootstrap.connect(host: address.host, port: address.port).whenComplete { [weak self] result in
            guard let self else {
                if case let .success(channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case let .success(channel): self.connected(channel)
            case .failure: self.fail(.brokerUnavailable(self.node))
            }
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// The versions the broker advertised, once negotiated.
    var advertisedVersions: [ApiKey: ClosedRange<Int16>]? {
        state.withLockedValue { if case let .ready(v) = $0.phase { v } else { nil } }
    }

    /// False once the connection failed or closed: the transport then opens a new one.
    var isUsable: Bool {
        state.withLockedValue { if case .failed = $0.phase { false } else { true } }
    }

    /// Sends `request` with the client id of its `context` in the request header (the client
    /// that sends it: clients of one session share the connection, as a Kafka client's own
    /// requests would each carry its client.id), or the connection's when that is empty.
    func send(_ request: KafkaRequest, context: RequestContext, completion: @escaping Completion) {
        let headerClientId = context.clientId.isEmpty ? clientId : context.clientId
        let outcome: SendOutcome = state.withLockedValue { s in
            switch s.phase {
            case .connecting, .negotiating, .authenticating:
                s.waiting.append(Waiting(request: request, completion: completion, clientId: headerClientId))
                return .queued
            case .failed:
                return .unavailable
            case let .ready(versions):
                return Self.prepare(request, completion: completion, versions: versions, clientId: headerClientId, state: &s)
            }
        }
        perform(outcome, request: request, completion: completion)
    }

    private enum SendOutcome {
        case queued
        case unavailable
        case unsupported
        case write(any Channel, [UInt8], noResponse: Bool)
    }

    /// Picks the version, assigns a correlation id and encodes. Caller holds the lock.
    private static func prepare(_ request: KafkaRequest, completion: @escaping Completion, versions: [ApiKey: ClosedRange<Int16>],
                                clientId: String, state s: inout State) -> SendOutcome {
        guard let channel = s.channel, let mine = SupportedApis.clientVersions[request.apiKey],
              let theirs = versions[request.apiKey], mine.overlaps(theirs) else { return .unsupported }
        let version = min(mine.upperBound, theirs.upperBound)
        let correlationId = s.nextCorrelationId
        s.nextCorrelationId = s.nextCorrelationId == Int32.max ? 1 : s.nextCorrelationId + 1
        let frame: [UInt8]
        do {
            frame = try Wire.encodeRequest(request.wireMessage(version: version), version: version, correlationId: correlationId,
                                           clientId: clientId)
        } catch {
            return .unsupported
        }
        let noResponse: Bool
        if case let .produce(p) = request, p.acks == 0 { noResponse = true } else { noResponse = false }
        if !noResponse { s.pending[correlationId] = Pending(apiKey: request.apiKey, version: version, completion: completion) }
        return .write(channel, frame, noResponse: noResponse)
    }

    private func perform(_ outcome: SendOutcome, request: KafkaRequest, completion: Completion) {
        switch outcome {
        case .queued:
            break
        case .unavailable:
            completion(.failure(.brokerUnavailable(node)))
        case .unsupported:
            completion(.success(request.errorResponse(.unsupportedVersion, message: "no version of \(request.apiKey.name) that both eddy and broker \(node) speak")))
        case let .write(channel, frame, noResponse):
            channel.writeAndFlush(channel.allocator.buffer(bytes: frame), promise: nil)
            if noResponse { completion(.success(request.errorResponse(.none))) }
        }
    }

    private func connected(_ channel: any Channel) {
        let frame = try? Wire.encodeRequest(Wire.ApiVersionsRequest(clientSoftwareName: "eddy", clientSoftwareVersion: "0.1.0"),
                                            version: Self.apiVersionsVersion, correlationId: Self.apiVersionsCorrelationId,
                                            clientId: clientId)
        // Closed by the transport while connecting: let the channel go too.
        let closed: Bool = state.withLockedValue { s in
            if case .failed = s.phase { return true }
            s.channel = channel
            s.phase = .negotiating
            return false
        }
        if closed { return channel.close(promise: nil) }
        guard let frame else { return fail(.brokerUnavailable(node)) }
        // Kafka's socket.connection.setup.timeout.ms: the TLS handshake and the ApiVersions
        // exchange must end within the connect timeout too, or the requests waiting for this
        // connection fail (and the next connection waits the backoff) instead of queueing
        // behind a broker that accepted and never answered.
        channel.eventLoop.scheduleTask(in: .milliseconds(connectTimeoutMs)) { [weak self] in
            guard let self, self.state.withLockedValue({ $0.phase.isSettingUp }) else { return }
            self.fail(.brokerUnavailable(self.node))
        }
        channel.writeAndFlush(channel.allocator.buffer(bytes: frame), promise: nil)
    }

    /// A response frame (without its size) arrived.
    fileprivate func received(_ frame: [UInt8]) {
        guard let correlationId = try? Wire.responseCorrelationId(frame) else { return fail(.disconnected(node)) }
        if correlationId == Self.apiVersionsCorrelationId {
            switch state.withLockedValue({ $0.phase }) {
            case .negotiating: return negotiated(frame)
            case let .authenticating(versions, step): return authenticationStep(frame, versions: versions, step: step)
            default: break
            }
        }
        guard let pending = state.withLockedValue({ $0.pending.removeValue(forKey: correlationId) }),
              let type = KafkaResponse.wireType(of: pending.apiKey),
              let response = Self.decode(type, frame, version: pending.version)
        else { return fail(.disconnected(node)) }
        pending.completion(.success(response))
    }

    private static func decode<M: WireApiMessage>(_: M.Type, _ frame: [UInt8], version: Int16) -> KafkaResponse? {
        guard let (_, message) = try? Wire.decodeResponse(M.self, frame, version: version) else { return nil }
        return KafkaResponse(wire: message, version: version)
    }

    /// The broker's ApiVersions answer: in v3, or in v0 from a broker that does not know v3.
    private func negotiated(_ frame: [UInt8]) {
        let response = (try? Wire.decodeResponse(Wire.ApiVersionsResponse.self, frame, version: Self.apiVersionsVersion))
            ?? (try? Wire.decodeResponse(Wire.ApiVersionsResponse.self, frame, version: 0))
        guard let message = response?.message, message.errorCode == .none || message.errorCode == .unsupportedVersion,
              !message.apiKeys.isEmpty else { return fail(.brokerUnavailable(node)) }
        var versions: [ApiKey: ClosedRange<Int16>] = [:]
        for k in message.apiKeys where k.minVersion <= k.maxVersion {
            if let key = ApiKey(rawValue: k.apiKey) { versions[key] = k.minVersion ... k.maxVersion }
        }
        if let sasl { return startAuthentication(sasl, versions: versions) }
        ready(versions)
    }

    /// Sends the requests that waited for the connection.
    private func ready(_ versions: [ApiKey: ClosedRange<Int16>]) {
        let outcomes: [(SendOutcome, Waiting)]? = state.withLockedValue { s in
            // Closed by the transport meanwhile: it stays closed.
            guard s.phase.isSettingUp else { return nil }
            s.phase = .ready(versions)
            let waiting = s.waiting
            s.waiting = []
            return waiting.map { w in
                (Self.prepare(w.request, completion: w.completion, versions: versions, clientId: w.clientId, state: &s), w)
            }
        }
        guard let outcomes else { return }
        onOutcome(true)
        for (outcome, w) in outcomes { perform(outcome, request: w.request, completion: w.completion) }
    }

    /// SaslHandshake v1 (the version that SaslAuthenticate follows), if the broker offers it.
    private func startAuthentication(_ sasl: ClientConnectionConfig.SaslCredentials, versions: [ApiKey: ClosedRange<Int16>]) {
        guard versions[.saslHandshake]?.contains(1) == true, versions[.saslAuthenticate] != nil else {
            return fail(.authenticationFailed(node, reason: "broker \(node) does not offer SASL authentication (SaslHandshake v1 and SaslAuthenticate); check security.protocol"))
        }
        sendSasl(Wire.SaslHandshakeRequest(mechanism: sasl.mechanism.name), version: 1, versions: versions, next: .handshake)
    }

    /// Writes one SASL request with the connection's own correlation id; its answer comes back
    /// to `authenticationStep` as `next`.
    private func sendSasl(_ message: any WireApiMessage, version: Int16, versions: [ApiKey: ClosedRange<Int16>], next: SaslStep) {
        let channel: (any Channel)? = state.withLockedValue { s in
            guard s.phase.isSettingUp else { return nil }
            s.phase = .authenticating(versions, next)
            return s.channel
        }
        guard let channel else { return }
        guard let frame = try? Wire.encodeRequest(message, version: version, correlationId: Self.apiVersionsCorrelationId, clientId: clientId) else {
            return fail(.brokerUnavailable(node))
        }
        channel.writeAndFlush(channel.allocator.buffer(bytes: frame), promise: nil)
    }

    /// One SASL answer: the next request, the connection ready, or a failure that names the
    /// mechanism (and never the password).
    private func authenticationStep(_ frame: [UInt8], versions: [ApiKey: ClosedRange<Int16>], step: SaslStep) {
        guard let sasl else { return fail(.disconnected(node)) }
        let authVersion = min(2, versions[.saslAuthenticate]?.upperBound ?? 0)
        func refused(_ reason: String) { fail(.authenticationFailed(node, reason: "SASL \(sasl.mechanism): \(reason)")) }
        func authenticate(_ bytes: [UInt8], next: SaslStep) {
            sendSasl(Wire.SaslAuthenticateRequest(authBytes: bytes), version: authVersion, versions: versions, next: next)
        }
        if case .handshake = step {
            guard let (_, r) = try? Wire.decodeResponse(Wire.SaslHandshakeResponse.self, frame, version: 1) else { return fail(.disconnected(node)) }
            guard r.errorCode == .none else {
                switch r.errorCode {
                case .unsupportedSaslMechanism:
                    return refused("the broker does not enable this mechanism (it offers: \(r.mechanisms.isEmpty ? "none" : r.mechanisms.joined(separator: ", ")))")
                case .illegalSaslState: return refused("this listener of the broker does not use SASL (ILLEGAL_SASL_STATE)")
                default: return refused(r.errorCode.name)
                }
            }
            switch sasl.mechanism {
            case .plain: return authenticate(SaslPlain.message(user: sasl.username, password: sasl.password), next: .plain)
            case let .scram(m):
                let client = ScramClient(mechanism: m, user: sasl.username, password: sasl.password)
                return authenticate(client.firstMessage, next: .scramFirst(client))
            }
        }
        guard let (_, r) = try? Wire.decodeResponse(Wire.SaslAuthenticateResponse.self, frame, version: authVersion) else {
            return fail(.disconnected(node))
        }
        guard r.errorCode == .none else { return refused(r.errorMessage ?? r.errorCode.name) }
        do throws(Scram.Failure) {
            switch step {
            case .handshake, .plain:
                ready(versions)
            case var .scramFirst(client):
                let final = try client.finalMessage(serverFirst: r.authBytes)
                authenticate(final, next: .scramFinal(client))
            case let .scramFinal(client):
                try client.verify(serverFinal: r.authBytes)
                ready(versions)
            }
        } catch {
            refused(error.description)
        }
    }

    /// Fails everything waiting or in flight and closes the channel.
    fileprivate func fail(_ error: TransportError, closedByOwner: Bool = false) {
        let (channel, completions, report): ((any Channel)?, [Completion], Bool) = state.withLockedValue { s in
            s.phase = .failed
            if closedByOwner { s.closedByOwner = true }
            let report = !s.closedByOwner && !s.reportedFailure
            s.reportedFailure = true
            let all = s.waiting.map(\.completion) + s.pending.values.map(\.completion)
            s.waiting = []
            s.pending = [:]
            defer { s.channel = nil }
            return (s.channel, all, report)
        }
        channel?.close(promise: nil)
        if report { onOutcome(false) }
        for c in completions { c(.failure(error)) }
    }

    /// Drops the connection after a request on it timed out: a failure, so the next connection
    /// to the broker waits the backoff.
    func drop() {
        fail(.disconnected(node))
    }

    /// Closes the connection for the transport (shutdown, or the broker's address changed):
    /// not a failure, so no backoff follows.
    func close() {
        fail(.disconnected(node), closedByOwner: true)
    }
}

/// Cuts the connection's byte stream into response frames for `BrokerConnection`.
private final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private weak var connection: BrokerConnection?
    /// The TLS handshake completed (always false without TLS): later failures are
    /// disconnections, never authentication failures.
    private var handshakeCompleted = false
    /// Responses are as large as the client's own fetch.max.bytes allows; the frame limit only
    /// guards against a corrupt size prefix.
    private var decoder = KafkaFrameDecoder(maxFrameSize: Int(Int32.max))

    init(connection: BrokerConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        do {
            while let frame = try decoder.next() { connection?.received(frame) }
        } catch {
            connection?.fail(.disconnected(connection?.node ?? -1))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection?.fail(.disconnected(connection?.node ?? -1))
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls { handshakeCompleted = true }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let node = connection?.node ?? -1
        if let reason = TLSFailure.reason(error, afterHandshake: handshakeCompleted) {
            connection?.fail(.authenticationFailed(node, reason: reason))
        } else {
            connection?.fail(.disconnected(node))
        }
        context.close(promise: nil)
    }
}

/// How a TLS failure reads for the user, and which failures are not about credentials.
enum TLSFailure {
    /// What a TLS handshake failure says, in one line ("SSL handshake failed:
    /// CERTIFICATE_VERIFY_FAILED ..."); nil for other errors, and for a connection that closed
    /// during the handshake (a broker restarting: an ordinary disconnection, retried as Kafka's
    /// clients do). After the handshake completed, only a TLS alert from the broker is one (in
    /// TLS 1.3 a broker refuses a missing or untrusted client certificate after the client has
    /// finished its side: "TLSV1_ALERT_CERTIFICATE_REQUIRED"); anything else is a disconnection.
    static func reason(_ error: any Error, afterHandshake: Bool = false) -> String? {
        if afterHandshake {
            guard let reason = reason(error), reason.contains("ALERT") else { return nil }
            return reason
        }
        switch error {
        case let e as NIOSSLError:
            switch e {
            case .uncleanShutdown: return nil
            case let .handshakeFailed(inner):
                if case let .sslError(errors) = inner, errors.contains(.eofDuringHandshake) { return nil }
                return "SSL handshake failed: \(Self.reasons(inner))"
            default: return "SSL failed: \(e)"
            }
        case let e as NIOSSLExtraError:
            return "SSL failed: \(e)"
        case let e as BoringSSLError:
            return "SSL failed: \(Self.reasons(e))"
        default:
            return nil
        }
    }

    /// BoringSSL's error queue as its reasons ("CERTIFICATE_VERIFY_FAILED"), without the
    /// library's codes and source locations.
    static func reasons(_ error: BoringSSLError) -> String {
        let text: String
        if case let .sslError(errors) = error {
            text = errors.map { "\($0)" }.joined(separator: "; ")
        } else {
            text = "\(error)"
        }
        let found = text.split(separator: ";").compactMap { part -> String? in
            guard let range = part.range(of: "OPENSSL_internal:") else { return nil }
            return String(part[range.upperBound...].prefix { $0 != " " })
        }
        guard !found.isEmpty else { return text }
        return found.map { reason in
            reason == "CERTIFICATE_VERIFY_FAILED"
                ? "CERTIFICATE_VERIFY_FAILED (the certificate is not signed by a trusted CA, or has expired)"
                : reason
        }.joined(separator: "; ")
    }
}
