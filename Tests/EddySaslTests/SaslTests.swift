@testable import EddySasl
import Foundation
import Testing

/// SCRAM (RFC 5802, RFC 7677) and PLAIN (RFC 4616): the published SCRAM-SHA-256 exchange
/// reproduced byte for byte on both sides, round trips for both mechanisms, and every way an
/// exchange must fail.
@Suite struct SaslTests {
    // RFC 7677 section 3.
    static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static func rfcCredential() -> ScramCredential {
        let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
        return ScramCredential(mechanism: .sha256, saltedPassword: ScramMechanism.sha256.saltedPassword("pencil", salt: salt, iterations: 4096),
                               salt: salt, iterations: 4096)
    }

    @Test func theClientReproducesRfc7677() throws {
        var client = ScramClient(mechanism: .sha256, user: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(String(decoding: client.firstMessage, as: UTF8.self) == Self.clientFirst)
        let final = try client.finalMessage(serverFirst: Array(Self.serverFirst.utf8))
        #expect(String(decoding: final, as: UTF8.self) == Self.clientFinal)
        try client.verify(serverFinal: Array(Self.serverFinal.utf8))
        #expect(throws: Scram.Failure.self) { try client.verify(serverFinal: Array("v=AAAA".utf8)) }
        #expect(throws: Scram.Failure.self) { try client.verify(serverFinal: Array("e=invalid-proof".utf8)) }
    }

    @Test func theServerReproducesRfc7677() throws {
        let first = try Scram.ClientFirst(Array(Self.clientFirst.utf8))
        #expect(first.user == "user" && first.nonce == "rOprNGfwEbeRWgbNEkqO" && first.gs2Header == "n,,")
        let exchange = ScramServerExchange(mechanism: .sha256, clientFirst: first, credential: Self.rfcCredential(),
                                           serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        #expect(String(decoding: exchange.serverFirstMessage, as: UTF8.self) == Self.serverFirst)
        let final = try exchange.finish(clientFinal: Array(Self.clientFinal.utf8))
        #expect(String(decoding: final, as: UTF8.self) == Self.serverFinal)
    }

    @Test func aWrongProofNonceOrBindingIsRefused() throws {
        let first = try Scram.ClientFirst(Array(Self.clientFirst.utf8))
        let exchange = ScramServerExchange(mechanism: .sha256, clientFirst: first, credential: Self.rfcCredential(),
                                           serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        let wrongProof = Self.clientFinal.replacingOccurrences(of: "p=dHzb", with: "p=dHzc")
        #expect(throws: Scram.Failure("invalid credentials")) { try exchange.finish(clientFinal: Array(wrongProof.utf8)) }
        let otherNonce = Self.clientFinal.replacingOccurrences(of: "hNlF$k0", with: "hNlF$k1")
        #expect(throws: Scram.Failure.self) { try exchange.finish(clientFinal: Array(otherNonce.utf8)) }
        let binding = Self.clientFinal.replacingOccurrences(of: "c=biws", with: "c=eSws")
        #expect(throws: Scram.Failure.self) { try exchange.finish(clientFinal: Array(binding.utf8)) }
        #expect(throws: Scram.Failure.self) { try exchange.finish(clientFinal: Array("c=biws,r=x".utf8)) }
    }

    @Test func librdkafkasRepeatedClientNonceIsAccepted() throws {
        // librdkafka writes its nonce once more in front of the server's nonce (which already
        // starts with it) and signs that; Kafka accepts any nonce ending with the server's.
        let m = ScramMechanism.sha512
        let credential = ScramCredential(mechanism: m, password: "pw")
        let exchange = ScramServerExchange(mechanism: m, clientFirst: try Scram.ClientFirst(Array("n,,n=alice,r=cnonce".utf8)),
                                           credential: credential, serverNonce: "snonce")
        let serverFirst = String(decoding: exchange.serverFirstMessage, as: UTF8.self)
        #expect(serverFirst.hasPrefix("r=cnoncesnonce,"))
        let clientKey = m.clientKey(saltedPassword: m.saltedPassword("pw", salt: credential.salt, iterations: 4096))
        let withoutProof = "c=biws,r=cnoncecnoncesnonce"
        let signature = m.hmac(key: m.hash(clientKey), Array("n=alice,r=cnonce,\(serverFirst),\(withoutProof)".utf8))
        let proof = Data(zip(clientKey, signature).map { $0 ^ $1 }).base64EncodedString()
        _ = try exchange.finish(clientFinal: Array("\(withoutProof),p=\(proof)".utf8))
        // A nonce that does not end with the server's is still refused.
        #expect(throws: Scram.Failure.self) {
            try exchange.finish(clientFinal: Array("c=biws,r=cnoncesnonceX,p=\(proof)".utf8))
        }
    }

    @Test(arguments: ScramMechanism.allCases)
    func bothSidesAgreeAndAWrongPasswordFails(_ mechanism: ScramMechanism) throws {
        let stored = ScramCredential(mechanism: mechanism, password: "s3cret, with = signs", iterations: 4096)
        #expect(stored.storedKey.count == mechanism.hashLength && stored.serverKey.count == mechanism.hashLength && stored.salt.count == 32)
        #expect(stored.matches(password: "s3cret, with = signs", mechanism: mechanism))
        #expect(!stored.matches(password: "s3cret", mechanism: mechanism))
        for (password, succeeds) in [("s3cret, with = signs", true), ("wrong", false)] {
            var client = ScramClient(mechanism: mechanism, user: "al=ice,x", password: password)
            let first = try Scram.ClientFirst(client.firstMessage)
            #expect(first.user == "al=ice,x")
            let exchange = ScramServerExchange(mechanism: mechanism, clientFirst: first, credential: stored)
            let final = try client.finalMessage(serverFirst: exchange.serverFirstMessage)
            if succeeds {
                try client.verify(serverFinal: try exchange.finish(clientFinal: final))
            } else {
                #expect(throws: Scram.Failure.self) { try exchange.finish(clientFinal: final) }
            }
        }
    }

    @Test func aServerAskingForTooFewIterationsOrAnotherNonceIsRefused() throws {
        var client = ScramClient(mechanism: .sha256, user: "u", password: "p", nonce: "abc")
        #expect(throws: Scram.Failure.self) { try client.finalMessage(serverFirst: Array("r=abcdef,s=c2FsdA==,i=1024".utf8)) }
        // A hostile server's huge count (it would trap converting to UInt32, or spin for minutes).
        #expect(throws: Scram.Failure.self) { try client.finalMessage(serverFirst: Array("r=abcdef,s=c2FsdA==,i=5000000000".utf8)) }
        #expect(throws: Scram.Failure.self) { try client.finalMessage(serverFirst: Array("r=abcdef,s=c2FsdA==,i=16385".utf8)) }
        #expect(throws: Scram.Failure.self) { try client.finalMessage(serverFirst: Array("r=xyzdef,s=c2FsdA==,i=4096".utf8)) }
        #expect(throws: Scram.Failure.self) { try client.finalMessage(serverFirst: Array("r=abc,s=c2FsdA==,i=4096".utf8)) }
        #expect(throws: Scram.Failure.self) { try client.finalMessage(serverFirst: Array("e=unknown-user".utf8)) }
    }

    @Test func malformedClientFirstMessagesAreRefused() {
        for message in ["", "n,,", "p=tls-server-end-point,,n=u,r=x", "n,,r=x,n=u", "n,,n=,r=x", "n,,n=u=2X,r=x", "n,a=other,n=u,r=x", "x,,n=u,r=x"] {
            #expect(throws: Scram.Failure.self, "\(message)") { try Scram.ClientFirst(Array(message.utf8)) }
        }
        #expect((try? Scram.ClientFirst(Array("n,a=u,n=u,r=x".utf8)))?.user == "u")
        #expect((try? Scram.ClientFirst(Array("y,,n=u,r=x,ext=1".utf8)))?.nonce == "x")
    }

    @Test func saslnamesEscapeCommasAndEquals() {
        #expect(Scram.escape("a=b,c") == "a=3Db=2Cc")
        #expect(Scram.unescape("a=3Db=2Cc") == "a=b,c")
        #expect(Scram.unescape("a=4Fb") == nil)
        #expect(Scram.unescape("plain") == "plain")
    }

    @Test func plainMessages() throws {
        let message = SaslPlain.message(user: "alice", password: "pw")
        #expect(message == [0] + Array("alice".utf8) + [0] + Array("pw".utf8))
        #expect(try SaslPlain.parse(message) == ("alice", "pw"))
        #expect(try SaslPlain.parse(Array("alice\0alice\0pw".utf8)) == ("alice", "pw"))
        #expect(throws: Scram.Failure.self) { try SaslPlain.parse(Array("bob\0alice\0pw".utf8)) }
        #expect(throws: Scram.Failure.self) { try SaslPlain.parse(Array("\0alice".utf8)) }
        #expect(throws: Scram.Failure.self) { try SaslPlain.parse(Array("\0\0pw".utf8)) }
    }

    @Test func mechanismNames() {
        #expect(SaslMechanism(name: "scram-sha-512") == .scram(.sha512))
        #expect(SaslMechanism(name: "PLAIN") == .plain)
        #expect(SaslMechanism(name: "GSSAPI") == nil)
        #expect(SaslMechanism.all.map(\.name) == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
        #expect(ScramMechanism.sha256.rawValue == 1 && ScramMechanism.sha512.rawValue == 2)
    }

}
