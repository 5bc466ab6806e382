import Foundation

/// The SCRAM exchange of RFC 5802 (with RFC 7677's SHA-256; SHA-512 the same way), as Kafka
/// runs it inside SaslAuthenticate (KIP-84). Four messages, all UTF-8 text of comma-separated
/// `letter=value` attributes:
///
///     client-first   gs2-header client-first-bare
///                    gs2-header        = "n,," | "y,," | "n,a=<authzid>,"   (no channel binding)
///                    client-first-bare = "n=<saslname>,r=<client nonce>"[,<extensions>]
///     server-first   "r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>"
///     client-final   "c=<base64 gs2-header>,r=<nonce>,p=<base64 ClientProof>"
///     server-final   "v=<base64 ServerSignature>" | "e=<error>"
///
/// A saslname writes `=` as `=3D` and `,` as `=2C`. With
/// AuthMessage = client-first-bare "," server-first "," client-final-without-proof:
///
///     ClientSignature = HMAC(StoredKey, AuthMessage)
///     ClientProof     = ClientKey XOR ClientSignature     (the server recovers ClientKey and
///                                                        checks H(ClientKey) == StoredKey)
///     ServerSignature = HMAC(ServerKey, AuthMessage)
///
/// Nonces are printable ASCII without `,`; the server's nonce extends the client's.
public enum Scram {
    /// Why an exchange failed. `description` never holds a password or a key.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// `name` as a saslname (`=` → `=3D`, `,` → `=2C`).
    public static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
    }

    /// The name a saslname stands for, or nil if it holds `=` not followed by `2C` or `3D`.
    public static func unescape(_ saslname: String) -> String? {
        var out = "", rest = Substring(saslname)
        while let i = rest.firstIndex(of: "=") {
            out += rest[..<i]
            let after = rest[rest.index(after: i)...]
            if after.hasPrefix("3D") { out += "=" } else if after.hasPrefix("2C") { out += "," } else { return nil }
            rest = after.dropFirst(2)
        }
        return out + rest
    }

    /// A fresh nonce: 32 random letters and digits.
    public static func nonce() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var g = SystemRandomNumberGenerator()
        return String((0 ..< 32).map { _ in alphabet.randomElement(using: &g)! })
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func xor(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] { zip(a, b).map { $0 ^ $1 } }

    /// The attributes of a message, in order: ("n", "user"), ("r", "abc"), ...
    static func attributes(_ text: Substring) throws(Failure) -> [(key: Character, value: Substring)] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { (part) throws(Failure) in
            guard part.count >= 2, let key = part.first, key.isLetter, part[part.index(after: part.startIndex)] == "=" else {
                throw Failure("malformed SCRAM attribute '\(part.prefix(20))'")
            }
            return (key, part.dropFirst(2))
        }
    }

    static func text(_ bytes: [UInt8]) throws(Failure) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw Failure("SCRAM message is not UTF-8") }
        return s
    }

    static func base64(_ value: Substring, _ what: String) throws(Failure) -> [UInt8] {
        guard let d = Data(base64Encoded: String(value)) else { throw Failure("SCRAM \(what) is not base64") }
        return Array(d)
    }

    /// The client's first message, parsed by the server.
    public struct ClientFirst: Sendable, Equatable {
        /// "n,," and the like: echoed, base64-encoded, in the client's final message.
        public var gs2Header: String
        public var user: String
        public var nonce: String
        /// Everything after the gs2 header (part of AuthMessage).
        public var bare: String

        public init(_ bytes: [UInt8]) throws(Failure) {
            let message = try Scram.text(bytes)
            // gs2-cbind-flag "," [authzid] "," bare
            let parts = message.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { throw Failure("malformed SCRAM client-first message") }
            guard parts[0] == "n" || parts[0] == "y" else {
                throw Failure(parts[0].hasPrefix("p=") ? "SCRAM channel binding is not supported" : "malformed SCRAM gs2 header")
            }
            gs2Header = "\(parts[0]),\(parts[1]),"
            bare = String(parts[2])
            // n= and r= first; extensions after them (Kafka's tokenauth=true) are not read.
            let attrs = try Scram.attributes(Substring(parts[2].split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
                .prefix(2).joined(separator: ",")))
            guard attrs.count >= 2, attrs[0].key == "n", attrs[1].key == "r", !attrs[1].value.isEmpty,
                  let user = Scram.unescape(String(attrs[0].value)), !user.isEmpty
            else { throw Failure("malformed SCRAM client-first message") }
            if !parts[1].isEmpty {
                guard parts[1].hasPrefix("a="), Scram.unescape(String(parts[1].dropFirst(2))) == user else {
                    throw Failure("SCRAM authorization id differs from the user name")
                }
            }
            self.user = user
            nonce = String(attrs[1].value)
        }
    }
}

/// The client's side of one SCRAM exchange. `firstMessage` goes first; the server's first
/// message gives `finalMessage(serverFirst:)`; the server's final message is `verify`d (which
/// proves the server knew the credential, not only accepted the client).
public struct ScramClient: Sendable {
    public let mechanism: ScramMechanism
    private let password: String
    private let clientNonce: String
    private let bare: String
    private static let gs2Header = "n,,"
    private var expectedServerSignature: [UInt8]?

    public init(mechanism: ScramMechanism, user: String, password: String, nonce: String = Scram.nonce()) {
        self.mechanism = mechanism
        self.password = password
        clientNonce = nonce
        bare = "n=\(Scram.escape(user)),r=\(nonce)"
    }

    public var firstMessage: [UInt8] { Array((Self.gs2Header + bare).utf8) }

    /// The client-final message for the server's first message.
    /// - Throws: if the server's message is malformed, its nonce does not extend ours, or it
    ///   asks for fewer iterations than the mechanism's minimum (a downgrade).
    public mutating func finalMessage(serverFirst bytes: [UInt8]) throws(Scram.Failure) -> [UInt8] {
        let serverFirst = try Scram.text(bytes)
        let attrs = try Scram.attributes(Substring(serverFirst))
        if let e = attrs.first(where: { $0.key == "e" }) { throw Scram.Failure("server refused: \(e.value)") }
        guard attrs.count >= 3, attrs[0].key == "r", attrs[1].key == "s", attrs[2].key == "i" else {
            throw Scram.Failure("malformed SCRAM server-first message")
        }
        let nonce = String(attrs[0].value)
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw Scram.Failure("the server's SCRAM nonce does not extend the client's")
        }
        let salt = try Scram.base64(attrs[1].value, "salt")
        // Below Kafka's minimum is a downgrade; above its maximum, a hostile server making the
        // client spin (or trap) in PBKDF2.
        guard let iterations = Int(attrs[2].value), iterations >= ScramMechanism.minIterations, iterations <= ScramMechanism.maxIterations else {
            throw Scram.Failure("the server asks for \(attrs[2].value.prefix(12)) iterations, outside Kafka's \(ScramMechanism.minIterations) to \(ScramMechanism.maxIterations)")
        }
        guard !salt.isEmpty else { throw Scram.Failure("the server sent an empty salt") }
        let salted = mechanism.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = mechanism.clientKey(saltedPassword: salted)
        let withoutProof = "c=\(Data(Self.gs2Header.utf8).base64EncodedString()),r=\(nonce)"
        let authMessage = Array("\(bare),\(serverFirst),\(withoutProof)".utf8)
        let signature = mechanism.hmac(key: mechanism.hash(clientKey), authMessage)
        let proof = Scram.xor(clientKey, signature)
        expectedServerSignature = mechanism.hmac(key: mechanism.serverKey(saltedPassword: salted), authMessage)
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// Checks the server's final message.
    public func verify(serverFinal bytes: [UInt8]) throws(Scram.Failure) {
        let attrs = try Scram.attributes(Substring(try Scram.text(bytes)))
        if let e = attrs.first(where: { $0.key == "e" }) { throw Scram.Failure("server refused: \(e.value)") }
        guard let expected = expectedServerSignature, let v = attrs.first(where: { $0.key == "v" }) else {
            throw Scram.Failure("malformed SCRAM server-final message")
        }
        guard Scram.constantTimeEqual(try Scram.base64(v.value, "server signature"), expected) else {
            throw Scram.Failure("the server's SCRAM signature is wrong (it does not hold this user's credential)")
        }
    }
}

/// The server's side of one SCRAM exchange, from the client's first message and the user's
/// stored credential (nil for an unknown user: the exchange then fails, as Kafka's does, with
/// the same message as a wrong password).
public struct ScramServerExchange: Sendable {
    public let mechanism: ScramMechanism
    public let clientFirst: Scram.ClientFirst
    private let credential: ScramCredential
    private let nonce: String
    public let serverFirstMessage: [UInt8]

    public init(mechanism: ScramMechanism, clientFirst: Scram.ClientFirst, credential: ScramCredential,
                serverNonce: String = Scram.nonce()) {
        self.mechanism = mechanism
        self.clientFirst = clientFirst
        self.credential = credential
        nonce = clientFirst.nonce + serverNonce
        serverFirstMessage = Array("r=\(nonce),s=\(Data(credential.salt).base64EncodedString()),i=\(credential.iterations)".utf8)
    }

    /// Checks the client's final message; on success, the server-final message to send.
    public func finish(clientFinal bytes: [UInt8]) throws(Scram.Failure) -> [UInt8] {
        let text = try Scram.text(bytes)
        guard let proofRange = text.range(of: ",p=", options: .backwards) else { throw Scram.Failure("SCRAM client-final message without proof") }
        let withoutProof = text[..<proofRange.lowerBound]
        let attrs = try Scram.attributes(withoutProof)
        guard attrs.count >= 2, attrs[0].key == "c", attrs[1].key == "r" else { throw Scram.Failure("malformed SCRAM client-final message") }
        guard try Scram.base64(attrs[0].value, "channel binding") == Array(clientFirst.gs2Header.utf8) else {
            throw Scram.Failure("SCRAM channel binding differs from the client-first message")
        }
        // Kafka's check (ScramSaslServer): the nonce must end with the server's. librdkafka
        // repeats its own nonce in front of the server's (which already starts with it).
        guard attrs[1].value.hasSuffix(nonce) else { throw Scram.Failure("SCRAM nonce differs from the server's") }
        let proof = try Scram.base64(text[proofRange.upperBound...], "proof")
        let serverFirst = String(decoding: serverFirstMessage, as: UTF8.self)
        let authMessage = Array("\(clientFirst.bare),\(serverFirst),\(withoutProof)".utf8)
        let signature = mechanism.hmac(key: credential.storedKey, authMessage)
        guard proof.count == signature.count,
              Scram.constantTimeEqual(mechanism.hash(Scram.xor(proof, signature)), credential.storedKey)
        else { throw Scram.Failure("invalid credentials") }
        let serverSignature = mechanism.hmac(key: credential.serverKey, authMessage)
        return Array("v=\(Data(serverSignature).base64EncodedString())".utf8)
    }
}

/// SASL PLAIN (RFC 4616): one message, `[authzid] NUL user NUL password`.
public enum SaslPlain {
    public static func message(user: String, password: String) -> [UInt8] {
        [0] + Array(user.utf8) + [0] + Array(password.utf8)
    }

    /// The user and password of a PLAIN message. As Kafka's PlainSaslServer, an authorization
    /// id must be empty or the user itself.
    public static func parse(_ bytes: [UInt8]) throws(Scram.Failure) -> (user: String, password: String) {
        let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let authzid = String(validating: parts[0], as: UTF8.self),
              let user = String(validating: parts[1], as: UTF8.self), let password = String(validating: parts[2], as: UTF8.self),
              !user.isEmpty, !password.isEmpty
        else { throw Scram.Failure("malformed SASL PLAIN message") }
        guard authzid.isEmpty || authzid == user else { throw Scram.Failure("authorization id differs from the user name") }
        return (user, password)
    }
}
