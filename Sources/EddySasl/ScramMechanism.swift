import Crypto
import CryptoExtras
import Foundation

/// The SCRAM mechanisms Kafka offers (KIP-84): SCRAM-SHA-256 and SCRAM-SHA-512, with their
/// codes in AlterUserScramCredentials / DescribeUserScramCredentials (Kafka's `ScramMechanism`:
/// 0 is UNKNOWN) and their iteration bounds (Kafka refuses fewer than 4096 and more than 16384).
public enum ScramMechanism: Int8, Sendable, CaseIterable, CustomStringConvertible {
    case sha256 = 1
    case sha512 = 2

    public static let minIterations = 4096
    public static let maxIterations = 16384

    /// The SASL mechanism name, e.g. `SCRAM-SHA-256`.
    public var name: String {
        switch self {
        case .sha256: "SCRAM-SHA-256"
        case .sha512: "SCRAM-SHA-512"
        }
    }

    public var description: String { name }

    /// The mechanism called `name` (case-insensitively), or nil.
    public init?(name: String) {
        guard let m = Self.allCases.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        self = m
    }

    /// Bytes of the hash: 32 or 64.
    public var hashLength: Int { self == .sha256 ? 32 : 64 }

    /// HMAC(key, data) with the mechanism's hash.
    public func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: k))
        }
    }

    /// H(data) with the mechanism's hash.
    public func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }

    /// RFC 5802's SaltedPassword = Hi(password, salt, i): PBKDF2 with HMAC of the mechanism's
    /// hash, one block. The password's UTF-8 bytes are used as they are (Kafka applies no
    /// SASLprep either).
    public func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        let function: KDF.Insecure.PBKDF2.HashFunction = self == .sha256 ? .sha256 : .sha512
        // Only fails for arguments out of BoringSSL's range (no salt, zero rounds), which
        // callers rule out: iterations are validated, salts are never empty.
        // Clamped: the rounds are converted to UInt32 below, and nothing valid is near that.
        let rounds = min(max(1, iterations), Int(Int32.max))
        guard let key = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: function,
                                                           outputByteCount: hashLength, unsafeUncheckedRounds: rounds)
        else { return [UInt8](repeating: 0, count: hashLength) }
        return key.withUnsafeBytes { Array($0) }
    }

    /// ClientKey = HMAC(SaltedPassword, "Client Key").
    public func clientKey(saltedPassword: [UInt8]) -> [UInt8] { hmac(key: saltedPassword, Array("Client Key".utf8)) }

    /// ServerKey = HMAC(SaltedPassword, "Server Key").
    public func serverKey(saltedPassword: [UInt8]) -> [UInt8] { hmac(key: saltedPassword, Array("Server Key".utf8)) }

    /// A fresh random salt as Kafka makes them (its ScramFormatter: a random nonce's bytes);
    /// here 32 random bytes.
    public static func randomSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0 ..< 32).map { _ in UInt8.random(in: .min ... .max, using: &g) }
    }
}

/// What a server stores for one user and mechanism (RFC 5802 section 3): never the password,
/// only the salt, the iteration count, StoredKey = H(ClientKey) and ServerKey. These are the
/// fields of Kafka's `UserScramCredentialRecord`.
public struct ScramCredential: Sendable, Hashable {
    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]
    public var iterations: Int32

    public init(salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8], iterations: Int32) {
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
        self.iterations = iterations
    }

    /// The credential for a salted password, as a server derives it from AlterUserScramCredentials
    /// (whose client sends the salt, the iterations and the salted password, never the password).
    public init(mechanism: ScramMechanism, saltedPassword: [UInt8], salt: [UInt8], iterations: Int32) {
        self.init(salt: salt, storedKey: mechanism.hash(mechanism.clientKey(saltedPassword: saltedPassword)),
                  serverKey: mechanism.serverKey(saltedPassword: saltedPassword), iterations: iterations)
    }

    /// The credential for `password` with a fresh random salt.
    public init(mechanism: ScramMechanism, password: String, iterations: Int32 = Int32(ScramMechanism.minIterations)) {
        let salt = ScramMechanism.randomSalt()
        self.init(mechanism: mechanism, saltedPassword: mechanism.saltedPassword(password, salt: salt, iterations: Int(iterations)),
                  salt: salt, iterations: iterations)
    }

    /// Whether `password` is the password this credential was made from (SASL PLAIN checked
    /// against the SCRAM credentials). Compares in constant time.
    public func matches(password: String, mechanism: ScramMechanism) -> Bool {
        let salted = mechanism.saltedPassword(password, salt: salt, iterations: Int(iterations))
        return Scram.constantTimeEqual(mechanism.hash(mechanism.clientKey(saltedPassword: salted)), storedKey)
    }
}
