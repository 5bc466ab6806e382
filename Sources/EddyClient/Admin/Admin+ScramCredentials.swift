import EddyProtocol
import EddySasl

/// A user's SCRAM credentials as DescribeUserScramCredentials tells them: mechanisms and
/// iteration counts, never salts or keys.
public struct UserScramCredentialsDescription: Sendable, Equatable {
    public var user: String
    public var credentials: [(mechanism: ScramMechanism, iterations: Int32)]

    public init(user: String, credentials: [(mechanism: ScramMechanism, iterations: Int32)]) {
        self.user = user
        self.credentials = credentials
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.user == b.user && a.credentials.map(\.mechanism) == b.credentials.map(\.mechanism)
            && a.credentials.map(\.iterations) == b.credentials.map(\.iterations)
    }
}

/// One change to a user's SCRAM credentials (Kafka's `UserScramCredentialAlteration`).
public enum UserScramCredentialAlteration: Sendable, Equatable {
    /// Sets the user's credential for `mechanism` to `password`, salted here with a fresh salt:
    /// the password never leaves this process.
    case upsert(user: String, mechanism: ScramMechanism, password: String, iterations: Int32)
    case delete(user: String, mechanism: ScramMechanism)

    public var user: String {
        switch self {
        case let .upsert(user, _, _, _), let .delete(user, _): user
        }
    }
}

extension Admin {
    /// DescribeUserScramCredentials (Kafka's `Admin.describeUserScramCredentials`): every user
    /// with a credential (`users` nil), or the users named; each named user's failure
    /// (RESOURCE_NOT_FOUND for one without credentials) is its own result.
    public func describeUserScramCredentials(_ users: [String]? = nil)
        async throws(ClientError) -> [(user: String, result: Result<UserScramCredentialsDescription, ClientError>)] {
        let response = try await client.sendToAnyBroker(.describeUserScramCredentials(DescribeUserScramCredentialsRequest(users: users)),
                                                        timeoutMs: config.defaultApiTimeoutMs).response
        guard case let .describeUserScramCredentials(r) = response else { throw Self.unexpected(response, expected: "DescribeUserScramCredentials") }
        guard r.errorCode == .none else { throw .broker(r.errorCode, message: r.errorMessage ?? "DescribeUserScramCredentials") }
        return r.results.map { result in
            guard result.errorCode == .none else {
                return (result.user, .failure(.broker(result.errorCode, message: result.errorMessage ?? "user \(result.user)")))
            }
            return (result.user, .success(UserScramCredentialsDescription(user: result.user, credentials: result.credentials.compactMap { c in
                ScramMechanism(rawValue: c.mechanism).map { (mechanism: $0, iterations: c.iterations) }
            })))
        }
    }

    /// AlterUserScramCredentials (Kafka's `Admin.alterUserScramCredentials`): the result per
    /// user named (a user's alterations succeed or fail together).
    public func alterUserScramCredentials(_ alterations: [UserScramCredentialAlteration])
        async throws(ClientError) -> [(user: String, error: ClientError?)] {
        var request = AlterUserScramCredentialsRequest()
        for a in alterations {
            switch a {
            case let .upsert(user, mechanism, password, iterations):
                request.upsertions.append(.init(name: user, mechanism: mechanism, password: password, iterations: iterations))
            case let .delete(user, mechanism):
                request.deletions.append(.init(name: user, mechanism: mechanism.rawValue))
            }
        }
        let response = try await client.sendToAnyBroker(.alterUserScramCredentials(request), timeoutMs: config.defaultApiTimeoutMs).response
        guard case let .alterUserScramCredentials(r) = response else { throw Self.unexpected(response, expected: "AlterUserScramCredentials") }
        return r.results.map { result in
            (result.user, result.errorCode == .none ? nil : .broker(result.errorCode, message: result.errorMessage ?? "user \(result.user)"))
        }
    }
}

extension AlterUserScramCredentialsRequest.Upsertion {
    /// An upsertion for `password` with a fresh salt, salted here (the client's side): only the
    /// salt and the salted password leave this process.
    public init(name: String, mechanism: ScramMechanism, password: String, iterations: Int32 = Int32(ScramMechanism.minIterations)) {
        let salt = ScramMechanism.randomSalt()
        self.init(name: name, mechanism: mechanism.rawValue, iterations: iterations, salt: salt,
                  saltedPassword: mechanism.saltedPassword(password, salt: salt, iterations: Int(iterations)))
    }
}
