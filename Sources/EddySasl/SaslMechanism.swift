/// The SASL mechanisms eddy speaks, on both sides: PLAIN (RFC 4616, KIP-43) and SCRAM
/// (RFC 5802 / 7677, KIP-84). Names are Kafka's `sasl.mechanism` values.
public enum SaslMechanism: Sendable, Hashable, CustomStringConvertible {
    case plain
    case scram(ScramMechanism)

    public static let all: [SaslMechanism] = [.plain, .scram(.sha256), .scram(.sha512)]

    public var name: String {
        switch self {
        case .plain: "PLAIN"
        case let .scram(m): m.name
        }
    }

    public var description: String { name }

    /// The mechanism called `name` (case-insensitively), or nil.
    public init?(name: String) {
        if name.uppercased() == "PLAIN" {
            self = .plain
        } else if let m = ScramMechanism(name: name) {
            self = .scram(m)
        } else {
            return nil
        }
    }
}
