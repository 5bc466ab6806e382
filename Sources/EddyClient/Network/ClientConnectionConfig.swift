import EddyProtocol
import EddySasl
import NIOSSL

/// How a client reaches brokers over the network: Kafka's client properties for connections,
/// with librdkafka's names where Kafka's Java names need a JKS keystore or JAAS (`--command-config`
/// reads them from a `.properties` file).
///
/// | property | default | meaning |
/// | --- | --- | --- |
/// | `security.protocol` | PLAINTEXT | PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL over TLS) |
/// | `sasl.mechanism` | none (needed for SASL) | PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (librdkafka's `sasl.mechanisms` too) |
/// | `sasl.username` | none | the SASL user |
/// | `sasl.password` | none | its password |
/// | `ssl.ca.location` | the system's roots | PEM file of the CAs that sign the brokers' certificates |
/// | `ssl.certificate.location` | none | PEM certificate (chain) this client presents, for brokers with ssl.client.auth |
/// | `ssl.key.location` | none | PEM private key of that certificate |
/// | `ssl.key.password` | none | the key's passphrase, if it is encrypted |
/// | `ssl.endpoint.identification.algorithm` | https | `https` checks that the broker's certificate names the host connected to (its DNS name or IP address); `none` does not |
/// | `client.id` | the command's | the client id sent with every request |
/// | `request.timeout.ms` | 30000 | how long a request may wait for its response |
/// | `reconnect.backoff.ms` | 50 | the first wait before reconnecting to a broker (`ReconnectBackoff`) |
/// | `reconnect.backoff.max.ms` | 1000 | the longest such wait |
///
/// An unknown key and a Java-only key (`ssl.truststore.location`, `sasl.jaas.config`, ...) are
/// errors that say what to use instead. Secrets (`ssl.key.password`, `sasl.password`) never
/// appear in descriptions or errors.
public struct ClientConnectionConfig: Sendable, Equatable {
    public enum SecurityProtocol: String, Sendable, Equatable {
        case plaintext = "PLAINTEXT"
        case ssl = "SSL"
        case saslPlaintext = "SASL_PLAINTEXT"
        case saslSsl = "SASL_SSL"

        public var usesTLS: Bool { self == .ssl || self == .saslSsl }
        public var usesSASL: Bool { self == .saslPlaintext || self == .saslSsl }
    }

    /// What a SASL connection authenticates with.
    public struct SaslCredentials: Sendable, Equatable, CustomStringConvertible {
        public var mechanism: SaslMechanism
        public var username: String
        public var password: String

        public init(mechanism: SaslMechanism, username: String, password: String) {
            self.mechanism = mechanism
            self.username = username
            self.password = password
        }

        /// Never the password.
        public var description: String { "\(mechanism) as \(username)" }
    }

    public var securityProtocol: SecurityProtocol = .plaintext
    public var caLocation: String?
    public var certificateLocation: String?
    public var keyLocation: String?
    public var keyPassword: String?
    /// ssl.endpoint.identification.algorithm=https (the default).
    public var verifyHostname = true
    public var clientId: String?
    public var requestTimeoutMs: Int64?
    public var reconnectBackoff = ReconnectBackoff()
    /// Set for SASL_PLAINTEXT and SASL_SSL.
    public var sasl: SaslCredentials?

    public init() {}

    /// The keys `init(properties:)` accepts.
    public static let knownKeys: Set<String> = [
        "security.protocol", "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
        "ssl.endpoint.identification.algorithm", "client.id", "request.timeout.ms", "reconnect.backoff.ms",
        "reconnect.backoff.max.ms", "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
    ]

    /// Kafka's Java names with no PEM equivalent under that name, and what to set instead.
    static let javaKeys: [String: String] = [
        "ssl.truststore.location": "ssl.ca.location (a PEM file)",
        "ssl.truststore.password": "ssl.ca.location (a PEM file needs no password)",
        "ssl.truststore.type": "ssl.ca.location (a PEM file)",
        "ssl.keystore.location": "ssl.certificate.location and ssl.key.location (PEM files)",
        "ssl.keystore.password": "ssl.key.password",
        "ssl.keystore.type": "ssl.certificate.location and ssl.key.location (PEM files)",
        "sasl.jaas.config": "sasl.username and sasl.password",
        "sasl.plain.username": "sasl.username",
        "sasl.plain.password": "sasl.password",
    ]

    /// Reads client properties (`key=value`, as `--command-config` files hold them).
    public init(properties: [String: String]) throws(ClientError) {
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            // Values are shown only for keys known to hold no secret.
            func shown() -> String { Self.knownKeys.contains(key) && !key.contains("password") && !key.contains("jaas") ? value : "(hidden)" }
            func int(_ range: ClosedRange<Int64>) throws(ClientError) -> Int64 {
                guard let n = Int64(value.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                    throw .invalidConfig(key: key, value: shown(), reason: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                return n
            }
            switch key {
            case "security.protocol":
                switch value.uppercased() {
                case "PLAINTEXT": securityProtocol = .plaintext
                case "SSL": securityProtocol = .ssl
                case "SASL_PLAINTEXT": securityProtocol = .saslPlaintext
                case "SASL_SSL": securityProtocol = .saslSsl
                default:
                    throw .invalidConfig(key: key, value: value, reason: "must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
                }
            case "sasl.mechanism", "sasl.mechanisms":
                guard SaslMechanism(name: value.trimmingCharacters(in: .whitespaces)) != nil else {
                    throw .invalidConfig(key: key, value: value, reason: "eddy speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512")
                }
            case "sasl.username", "sasl.password":
                break  // read below, with the mechanism
            case "ssl.ca.location": caLocation = value
            case "ssl.certificate.location": certificateLocation = value
            case "ssl.key.location": keyLocation = value
            case "ssl.key.password": keyPassword = value
            case "ssl.endpoint.identification.algorithm":
                switch value.lowercased() {
                case "https": verifyHostname = true
                case "none", "": verifyHostname = false
                default: throw .invalidConfig(key: key, value: value, reason: "must be https or none")
                }
            case "client.id": clientId = value
            case "request.timeout.ms": requestTimeoutMs = try int(1 ... Int64(Int32.max))
            case "reconnect.backoff.ms": reconnectBackoff.initialMs = try int(0 ... Int64(Int32.max))
            case "reconnect.backoff.max.ms": reconnectBackoff.maxMs = try int(0 ... Int64(Int32.max))
            default:
                if let instead = Self.javaKeys[key] {
                    throw .invalidConfig(key: key, value: shown(), reason: "eddy reads PEM files with librdkafka's names: use \(instead)")
                }
                throw .invalidConfig(key: key, value: shown(), reason: "not a client property eddy knows (known: \(Self.knownKeys.sorted().joined(separator: ", ")))")
            }
        }
        // As in Kafka, a maximum below the initial wait is raised to it.
        reconnectBackoff = ReconnectBackoff(initialMs: reconnectBackoff.initialMs, maxMs: reconnectBackoff.maxMs)
        if !securityProtocol.usesTLS {
            for key in ["ssl.ca.location", "ssl.certificate.location", "ssl.key.location"] where properties[key] != nil {
                throw .invalidConfig(key: key, value: properties[key]!, reason: "needs security.protocol=SSL or SASL_SSL")
            }
        }
        let saslKeys = ["sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password"]
        if securityProtocol.usesSASL {
            guard let name = properties["sasl.mechanism"] ?? properties["sasl.mechanisms"] else {
                throw .invalidConfig(key: "sasl.mechanism", value: "", reason: "\(securityProtocol.rawValue) needs it: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
            }
            guard let username = properties["sasl.username"], !username.isEmpty else {
                throw .invalidConfig(key: "sasl.username", value: "", reason: "\(securityProtocol.rawValue) needs the user to authenticate as")
            }
            guard let password = properties["sasl.password"], !password.isEmpty else {
                throw .invalidConfig(key: "sasl.password", value: "(hidden)", reason: "\(securityProtocol.rawValue) needs the user's password")
            }
            sasl = SaslCredentials(mechanism: SaslMechanism(name: name.trimmingCharacters(in: .whitespaces))!, username: username, password: password)
        } else if let key = saslKeys.first(where: { properties[$0] != nil }) {
            throw .invalidConfig(key: key, value: key == "sasl.password" ? "(hidden)" : properties[key]!,
                                 reason: "needs security.protocol=SASL_PLAINTEXT or SASL_SSL")
        }
        if (certificateLocation == nil) != (keyLocation == nil) {
            throw .invalidConfig(key: certificateLocation == nil ? "ssl.key.location" : "ssl.certificate.location",
                                 value: certificateLocation ?? keyLocation ?? "",
                                 reason: "ssl.certificate.location and ssl.key.location go together")
        }
    }

    /// The TLS context for `security.protocol=SSL` or SASL_SSL (nil otherwise): the files are read here,
    /// so a missing or unreadable one fails before any connection.
    public func makeTLSContext() throws(ClientError) -> NIOSSLContext? {
        guard securityProtocol.usesTLS else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        // Kafka's ssl.enabled.protocols: TLSv1.2 and TLSv1.3.
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = verifyHostname ? .fullVerification : .noHostnameVerification
        do {
            if let caLocation {
                let roots = try Self.read("ssl.ca.location", caLocation) { try NIOSSLCertificate.fromPEMFile($0) }
                guard !roots.isEmpty else { throw ClientError.invalidConfig(key: "ssl.ca.location", value: caLocation, reason: "holds no PEM certificate") }
                tls.trustRoots = .certificates(roots)
            }
            if let certificateLocation, let keyLocation {
                let chain = try Self.read("ssl.certificate.location", certificateLocation) { try NIOSSLCertificate.fromPEMFile($0) }
                guard !chain.isEmpty else {
                    throw ClientError.invalidConfig(key: "ssl.certificate.location", value: certificateLocation, reason: "holds no PEM certificate")
                }
                let password = keyPassword
                let key = try Self.read("ssl.key.location", keyLocation) { path in
                    if let password {
                        try NIOSSLPrivateKey(file: path, format: .pem) { (setter: ([UInt8]) -> Void) in setter(Array(password.utf8)) }
                    } else {
                        try NIOSSLPrivateKey(file: path, format: .pem)
                    }
                }
                tls.certificateChain = chain.map { .certificate($0) }
                tls.privateKey = .privateKey(key)
            }
            return try NIOSSLContext(configuration: tls)
        } catch let error as ClientError {
            throw error
        } catch {
            throw .invalidConfig(key: "security.protocol", value: "SSL", reason: "cannot set up TLS: \(error)")
        }
    }

    /// Reads a PEM file for `key`, failing with a message that names the key and the file.
    private static func read<T>(_ key: String, _ path: String, _ body: (String) throws -> T) throws(ClientError) -> T {
        do {
            return try body(path)
        } catch {
            throw .invalidConfig(key: key, value: path, reason: "cannot read it as PEM: \(error)")
        }
    }
}
