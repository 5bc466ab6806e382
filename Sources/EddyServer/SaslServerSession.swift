import EddyProtocol
import EddySasl

/// How a SASL listener authenticates its clients: the mechanisms it enables (Kafka's
/// `sasl.enabled.mechanisms`) and where users' SCRAM credentials come from (the cluster's
/// metadata). PLAIN is checked against the same SCRAM credentials (no password is stored
/// anywhere): the password given is salted as each stored credential was and compared.
public struct SaslServerConfig: Sendable {
    public var mechanisms: [SaslMechanism]
    /// The SCRAM credentials of a user, empty for an unknown user.
    public var credentials: @Sendable (String) -> [ScramMechanism: ScramCredential]

    public init(mechanisms: [SaslMechanism], credentials: @escaping @Sendable (String) -> [ScramMechanism: ScramCredential]) {
        self.mechanisms = mechanisms
        self.credentials = credentials
    }
}

/// One connection's SASL authentication (Kafka's `SaslServerAuthenticator`), as a state machine:
/// a SaslHandshake or SaslAuthenticate request goes in, the response and what to do next come
/// out. ApiVersions may come first (the connection answers it); any other request before
/// authentication has succeeded closes the connection.
///
///     awaitingHandshake --SaslHandshake(enabled mechanism)--> awaitingToken
///     awaitingToken --SaslAuthenticate(PLAIN ok | SCRAM final ok)--> authenticated
///     awaitingToken --SaslAuthenticate(SCRAM client-first)--> scramFinal --(client-final ok)--> authenticated
///     any --failure--> failed (the response is sent, then the connection closes)
///
/// A failed authentication answers SASL_AUTHENTICATION_FAILED with a message naming the
/// mechanism and never the password; an unknown user fails exactly as a wrong password does.
struct SaslServerSession: Sendable {
    enum State: Sendable {
        case awaitingHandshake
        case awaitingToken(SaslMechanism)
        case scramFinal(ScramServerExchange)
        case authenticated(user: String)
        case failed
    }

    /// What the connection does after sending the response.
    enum Next: Equatable {
        case proceed
        case close
    }

    let mechanisms: [SaslMechanism]
    private(set) var state = State.awaitingHandshake
    /// After a SaslHandshake v0 the client sends its tokens as bare size-prefixed frames, and
    /// gets the server's the same way (Kafka's pre-KIP-152 framing); a failure then just
    /// closes the connection, since such frames carry no error.
    private(set) var bareTokens = false

    init(mechanisms: [SaslMechanism]) {
        self.mechanisms = mechanisms
    }

    var authenticatedUser: String? {
        if case let .authenticated(user) = state { user } else { nil }
    }

    /// SaslHandshake: the client names its mechanism.
    mutating func handshake(_ request: Wire.SaslHandshakeRequest, version: Int16) -> (Wire.SaslHandshakeResponse, Next) {
        let enabled = mechanisms.map(\.name)
        guard case .awaitingHandshake = state else {
            state = .failed
            return (Wire.SaslHandshakeResponse(errorCode: .illegalSaslState, mechanisms: enabled), .close)
        }
        // Names match exactly, as in Kafka ("scram-sha-256" is not a mechanism it enables).
        guard let m = SaslMechanism(name: request.mechanism), m.name == request.mechanism, mechanisms.contains(m) else {
            state = .failed
            return (Wire.SaslHandshakeResponse(errorCode: .unsupportedSaslMechanism, mechanisms: enabled), .close)
        }
        state = .awaitingToken(m)
        bareTokens = version == 0
        return (Wire.SaslHandshakeResponse(errorCode: .none, mechanisms: enabled), .proceed)
    }

    /// SaslAuthenticate: one token of the chosen mechanism. `credentials` looks a user up.
    mutating func authenticate(_ request: Wire.SaslAuthenticateRequest,
                               credentials: (String) -> [ScramMechanism: ScramCredential]) -> (Wire.SaslAuthenticateResponse, Next) {
        switch state {
        case .awaitingHandshake, .authenticated, .failed:
            state = .failed
            return (Wire.SaslAuthenticateResponse(errorCode: .illegalSaslState,
                                                  errorMessage: "Unexpected SaslAuthenticate request: no SASL handshake is in progress"), .close)
        case .awaitingToken(.plain):
            do throws(Scram.Failure) {
                let (user, password) = try SaslPlain.parse(request.authBytes)
                let stored = credentials(user)
                // The strongest credential the user has decides. An unknown user costs the same
                // key derivation, so that timing does not tell which users exist.
                guard let (mechanism, credential) = stored.max(by: { $0.key.rawValue < $1.key.rawValue }) else {
                    _ = Self.unknownUser.matches(password: password, mechanism: .sha512)
                    return fail(.plain)
                }
                guard credential.matches(password: password, mechanism: mechanism) else { return fail(.plain) }
                state = .authenticated(user: user)
                return (Wire.SaslAuthenticateResponse(errorCode: .none, errorMessage: nil), .proceed)
            } catch {
                return fail(.plain, reason: error.description)
            }
        case let .awaitingToken(.scram(mechanism)):
            do throws(Scram.Failure) {
                let first = try Scram.ClientFirst(request.authBytes)
                guard let credential = credentials(first.user)[mechanism] else { return fail(.scram(mechanism)) }
                let exchange = ScramServerExchange(mechanism: mechanism, clientFirst: first, credential: credential)
                state = .scramFinal(exchange)
                return (Wire.SaslAuthenticateResponse(errorCode: .none, errorMessage: nil, authBytes: exchange.serverFirstMessage), .proceed)
            } catch {
                return fail(.scram(mechanism), reason: error.description)
            }
        case let .scramFinal(exchange):
            do throws(Scram.Failure) {
                let final = try exchange.finish(clientFinal: request.authBytes)
                state = .authenticated(user: exchange.clientFirst.user)
                return (Wire.SaslAuthenticateResponse(errorCode: .none, errorMessage: nil, authBytes: final), .proceed)
            } catch {
                return fail(.scram(exchange.mechanism))
            }
        }
    }

    /// What an unknown user's PLAIN password is checked against (and never matches: its keys
    /// are not derived from any password).
    static let unknownUser = ScramCredential(salt: [UInt8](repeating: 0, count: 32), storedKey: [UInt8](repeating: 0, count: 64),
                                             serverKey: [UInt8](repeating: 0, count: 64), iterations: Int32(ScramMechanism.maxIterations))

    /// Kafka's message for a failed authentication; `reason` only for malformed messages.
    private mutating func fail(_ mechanism: SaslMechanism, reason: String? = nil) -> (Wire.SaslAuthenticateResponse, Next) {
        state = .failed
        let message = reason.map { "Authentication failed with SASL mechanism \(mechanism): \($0)" }
            ?? "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)"
        return (Wire.SaslAuthenticateResponse(errorCode: .saslAuthenticationFailed, errorMessage: message), .close)
    }
}
