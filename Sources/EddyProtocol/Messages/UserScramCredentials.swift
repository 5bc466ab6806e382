/// DescribeUserScramCredentials (API key 50) and AlterUserScramCredentials (API key 51):
/// users' SCRAM credentials, as Kafka's `kafka-configs --entity-type users` and AdminClient
/// manage them (KIP-554). Fields follow Kafka's schemas (v0). Mechanisms travel as
/// `ScramMechanism` codes (1 SCRAM-SHA-256, 2 SCRAM-SHA-512); other codes stay as they came, so
/// that the broker can answer UNSUPPORTED_SASL_MECHANISM. The client salts the password
/// itself: no request carries a password.
public struct DescribeUserScramCredentialsRequest: Sendable, Equatable {
    /// The users to describe; nil or empty for every user that has a credential.
    public var users: [String]?

    public init(users: [String]? = nil) {
        self.users = users
    }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DescribeUserScramCredentialsResponse {
        DescribeUserScramCredentialsResponse(errorCode: error, errorMessage: message, results: [])
    }
}

public struct DescribeUserScramCredentialsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, errorMessage: String? = nil, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.results = results
    }

    /// One user: its credentials, or RESOURCE_NOT_FOUND when it has none (asked by name).
    public struct Result: Sendable, Equatable {
        public var user: String
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var credentials: [CredentialInfo]

        public init(user: String, errorCode: ErrorCode = .none, errorMessage: String? = nil, credentials: [CredentialInfo] = []) {
            self.user = user
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.credentials = credentials
        }
    }

    public struct CredentialInfo: Sendable, Equatable {
        public var mechanism: Int8
        public var iterations: Int32

        public init(mechanism: Int8, iterations: Int32) {
            self.mechanism = mechanism
            self.iterations = iterations
        }
    }
}

public struct AlterUserScramCredentialsRequest: Sendable, Equatable {
    public var deletions: [Deletion]
    public var upsertions: [Upsertion]

    public init(deletions: [Deletion] = [], upsertions: [Upsertion] = []) {
        self.deletions = deletions
        self.upsertions = upsertions
    }

    public struct Deletion: Sendable, Equatable {
        public var name: String
        public var mechanism: Int8

        public init(name: String, mechanism: Int8) {
            self.name = name
            self.mechanism = mechanism
        }
    }

    public struct Upsertion: Sendable, Equatable {
        public var name: String
        public var mechanism: Int8
        public var iterations: Int32
        public var salt: [UInt8]
        /// Hi(password, salt, iterations), never the password.
        public var saltedPassword: [UInt8]

        public init(name: String, mechanism: Int8, iterations: Int32, salt: [UInt8], saltedPassword: [UInt8]) {
            self.name = name
            self.mechanism = mechanism
            self.iterations = iterations
            self.salt = salt
            self.saltedPassword = saltedPassword
        }
    }

    /// Every user named, in order of first appearance.
    public var users: [String] {
        var seen = Set<String>()
        return (deletions.map(\.name) + upsertions.map(\.name)).filter { seen.insert($0).inserted }
    }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> AlterUserScramCredentialsResponse {
        AlterUserScramCredentialsResponse(results: users.map { .init(user: $0, errorCode: error, errorMessage: message) })
    }
}

public struct AlterUserScramCredentialsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    /// One result per user named in the request.
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public struct Result: Sendable, Equatable {
        public var user: String
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(user: String, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.user = user
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }
}
