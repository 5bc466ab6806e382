import EddyProtocol
import EddySasl

extension Controller {
    /// AlterUserScramCredentials (KIP-554), as Kafka's ScramControlManager decides it: each user
    /// named gets one result, and either all of its alterations become records or none does.
    /// A user's failure is the first of, in this order:
    /// - UNACCEPTABLE_CREDENTIAL for an empty user name;
    /// - UNSUPPORTED_SASL_MECHANISM for a mechanism code other than SCRAM-SHA-256 (1) or
    ///   SCRAM-SHA-512 (2);
    /// - DUPLICATE_RESOURCE when one mechanism of the user is altered twice;
    /// - RESOURCE_NOT_FOUND when a deletion names a credential that does not exist;
    /// - UNACCEPTABLE_CREDENTIAL for fewer than 4096 or more than 16384 iterations, an empty salt,
    ///   or a salted password that is not one hash long.
    /// The stored credential is derived from the salted password (StoredKey and ServerKey); the
    /// salted password itself is not kept.
    public func alterScramCredentials(_ request: AlterUserScramCredentialsRequest, image: MetadataImage)
        -> (response: AlterUserScramCredentialsResponse, records: [MetadataRecord]) {
        var records: [MetadataRecord] = []
        let results = request.users.map { user -> AlterUserScramCredentialsResponse.Result in
            do throws(BrokerError) {
                records += try Self.scramRecords(for: user, request, image: image)
                return .init(user: user)
            } catch {
                return .init(user: user, errorCode: error.errorCode, errorMessage: error.description)
            }
        }
        return (AlterUserScramCredentialsResponse(results: results), records)
    }

    private static func scramRecords(for user: String, _ request: AlterUserScramCredentialsRequest,
                                     image: MetadataImage) throws(BrokerError) -> [MetadataRecord] {
        guard !user.isEmpty else { throw .response(.unacceptableCredential, "Username must not be empty") }
        let deletions = request.deletions.filter { $0.name == user }
        let upsertions = request.upsertions.filter { $0.name == user }
        func mechanism(_ code: Int8) throws(BrokerError) -> ScramMechanism {
            guard let m = ScramMechanism(rawValue: code) else { throw .response(.unsupportedSaslMechanism, "Unknown SCRAM mechanism \(code)") }
            return m
        }
        var seen = Set<ScramMechanism>()
        for code in deletions.map(\.mechanism) + upsertions.map(\.mechanism) {
            guard seen.insert(try mechanism(code)).inserted else {
                throw .response(.duplicateResource, "A user credential cannot be altered twice in the same request")
            }
        }
        var records: [MetadataRecord] = []
        for d in deletions {
            let m = try mechanism(d.mechanism)
            guard image.scramCredentials[user]?[m] != nil else {
                throw .response(.resourceNotFound, "Attempt to delete a user credential that does not exist")
            }
            records.append(.removeUserScramCredential(RemoveUserScramCredentialRecord(name: user, mechanism: m)))
        }
        for u in upsertions {
            let m = try mechanism(u.mechanism)
            guard u.iterations >= ScramMechanism.minIterations else { throw .response(.unacceptableCredential, "Too few iterations") }
            guard u.iterations <= ScramMechanism.maxIterations else { throw .response(.unacceptableCredential, "Too many iterations") }
            guard !u.salt.isEmpty else { throw .response(.unacceptableCredential, "Salt must not be empty") }
            guard u.saltedPassword.count == m.hashLength else {
                throw .response(.unacceptableCredential, "The salted password of \(m) must be \(m.hashLength) bytes")
            }
            records.append(.userScramCredential(UserScramCredentialRecord(
                name: user, mechanism: m,
                credential: ScramCredential(mechanism: m, saltedPassword: u.saltedPassword, salt: u.salt, iterations: u.iterations))))
        }
        return records
    }
}

extension MetadataImage {
    /// DescribeUserScramCredentials: every user with a credential (in name order) when
    /// `users` is nil or empty, else each user named: RESOURCE_NOT_FOUND for one without
    /// credentials, DUPLICATE_RESOURCE for one named twice. Only mechanisms and iterations
    /// are told, never salts or keys.
    public func describeScramCredentials(_ request: DescribeUserScramCredentialsRequest) -> DescribeUserScramCredentialsResponse {
        let names = request.users ?? []
        let counts = Dictionary(names.map { ($0, 1) }, uniquingKeysWith: +)
        var seen = Set<String>()
        let asked = names.isEmpty ? scramCredentials.keys.sorted() : names.filter { seen.insert($0).inserted }
        return DescribeUserScramCredentialsResponse(results: asked.map { user in
            if counts[user, default: 1] > 1 {
                return .init(user: user, errorCode: .duplicateResource, errorMessage: "Cannot describe SCRAM credentials for the same user twice in a single request: \(user)")
            }
            guard let credentials = scramCredentials[user], !credentials.isEmpty else {
                return .init(user: user, errorCode: .resourceNotFound, errorMessage: "Attempt to describe a user credential that does not exist: \(user)")
            }
            return .init(user: user, credentials: credentials.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                .init(mechanism: $0.key.rawValue, iterations: $0.value.iterations)
            })
        })
    }
}
