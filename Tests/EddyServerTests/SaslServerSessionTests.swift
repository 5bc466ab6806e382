import EddyProtocol
import EddySasl
@testable import EddyServer
import Testing

/// A SASL listener's per-connection state machine: handshake, PLAIN's one token, SCRAM's two,
/// and each way it fails (then the connection closes).
struct SaslServerSessionTests {
    static let credentials: [String: [ScramMechanism: ScramCredential]] = [
        "alice": [.sha256: ScramCredential(mechanism: .sha256, password: "pw256"), .sha512: ScramCredential(mechanism: .sha512, password: "pw512")],
    ]

    static func lookup(_ user: String) -> [ScramMechanism: ScramCredential] { credentials[user] ?? [:] }

    static func session(_ mechanism: String, enabled: [SaslMechanism] = SaslMechanism.all, version: Int16 = 1) -> SaslServerSession {
        var s = SaslServerSession(mechanisms: enabled)
        let (response, next) = s.handshake(Wire.SaslHandshakeRequest(mechanism: mechanism), version: version)
        #expect(response.errorCode == .none && next == .proceed && response.mechanisms == enabled.map(\.name))
        return s
    }

    func token(_ s: inout SaslServerSession, _ bytes: [UInt8]) -> (Wire.SaslAuthenticateResponse, SaslServerSession.Next) {
        s.authenticate(Wire.SaslAuthenticateRequest(authBytes: bytes), credentials: Self.lookup)
    }

    @Test func plainChecksThePasswordAgainstTheStrongestScramCredential() {
        var ok = Self.session("PLAIN")
        let (r, next) = token(&ok, SaslPlain.message(user: "alice", password: "pw512"))
        #expect(r.errorCode == .none && next == .proceed && ok.authenticatedUser == "alice")
        for (user, password) in [("alice", "pw256"), ("alice", "nope"), ("mallory", "pw512")] {
            var s = Self.session("PLAIN")
            let (r, next) = token(&s, SaslPlain.message(user: user, password: password))
            #expect(r.errorCode == .saslAuthenticationFailed && next == .close && s.authenticatedUser == nil)
            #expect(r.errorMessage == "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN")
            #expect(r.errorMessage?.contains(password) == false)
        }
    }

    @Test(arguments: ScramMechanism.allCases)
    func scramAuthenticatesInTwoRoundTrips(_ mechanism: ScramMechanism) throws {
        let password = mechanism == .sha256 ? "pw256" : "pw512"
        var s = Self.session(mechanism.name)
        var client = ScramClient(mechanism: mechanism, user: "alice", password: password)
        let (first, next) = token(&s, client.firstMessage)
        #expect(first.errorCode == .none && next == .proceed && s.authenticatedUser == nil)
        let (final, after) = token(&s, try client.finalMessage(serverFirst: first.authBytes))
        #expect(final.errorCode == .none && after == .proceed && s.authenticatedUser == "alice")
        try client.verify(serverFinal: final.authBytes)
        // Authenticated: another SaslAuthenticate is out of place.
        let (again, close) = token(&s, [])
        #expect(again.errorCode == .illegalSaslState && close == .close)
    }

    @Test func aWrongScramPasswordOrAnUnknownUserFailsAlike() throws {
        for (user, password) in [("alice", "wrong"), ("mallory", "pw256")] {
            var s = Self.session("SCRAM-SHA-256")
            var client = ScramClient(mechanism: .sha256, user: user, password: password)
            let (first, _) = token(&s, client.firstMessage)
            let response: Wire.SaslAuthenticateResponse
            if first.errorCode == .none {
                response = token(&s, try client.finalMessage(serverFirst: first.authBytes)).0
            } else {
                response = first
            }
            #expect(response.errorCode == .saslAuthenticationFailed && s.authenticatedUser == nil)
            #expect(response.errorMessage == "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")
        }
    }

    @Test func handshakesOutOfOrderOrForOtherMechanismsAreRefused() {
        var s = SaslServerSession(mechanisms: [.scram(.sha512)])
        let (r, next) = s.handshake(Wire.SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
        #expect(r.errorCode == .unsupportedSaslMechanism && r.mechanisms == ["SCRAM-SHA-512"] && next == .close)
        // Mechanism names match exactly, as in Kafka.
        var lower = SaslServerSession(mechanisms: SaslMechanism.all)
        #expect(lower.handshake(Wire.SaslHandshakeRequest(mechanism: "scram-sha-256"), version: 1).0.errorCode == .unsupportedSaslMechanism)
        var twice = Self.session("PLAIN")
        #expect(twice.handshake(Wire.SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).0.errorCode == .illegalSaslState)
        var early = SaslServerSession(mechanisms: SaslMechanism.all)
        #expect(token(&early, SaslPlain.message(user: "alice", password: "pw512")).0.errorCode == .illegalSaslState)
        var malformed = Self.session("SCRAM-SHA-512")
        let (m, close) = token(&malformed, Array("not scram".utf8))
        #expect(m.errorCode == .saslAuthenticationFailed && close == .close && m.errorMessage?.contains("malformed") == true)
    }

    @Test func aVersion0HandshakeSwitchesToBareTokens() {
        #expect(Self.session("PLAIN", version: 0).bareTokens)
        #expect(!Self.session("PLAIN", version: 1).bareTokens)
    }

    @Test func saslRequestsAreAnsweredByTheConnection() throws {
        let handshake = try Wire.encodeRequest(Wire.SaslHandshakeRequest(mechanism: "PLAIN"), version: 1, correlationId: 7, clientId: "c")
        guard case let .sasl(.handshake(h), header) = try DecodedRequest.decode(Array(handshake.dropFirst(4))) else {
            Issue.record("SaslHandshake is not classified as SASL")
            return
        }
        #expect(h.mechanism == "PLAIN" && header.correlationId == 7)
        let authenticate = try Wire.encodeRequest(Wire.SaslAuthenticateRequest(authBytes: [1, 2]), version: 2, correlationId: 8, clientId: "c")
        guard case let .sasl(.authenticate(a), _) = try DecodedRequest.decode(Array(authenticate.dropFirst(4))) else {
            Issue.record("SaslAuthenticate is not classified as SASL")
            return
        }
        #expect(a.authBytes == [1, 2])
        #expect(KafkaConnectionHandler.sizePrefixed([9, 9]) == [0, 0, 0, 2, 9, 9])
    }
}
