extension DescribeUserScramCredentialsRequest {
    public init(wire: Wire.DescribeUserScramCredentialsRequest, version: Int16) {
        self.init(users: wire.users.map { $0.map(\.name) })
    }

    public func wire(version: Int16) -> Wire.DescribeUserScramCredentialsRequest {
        Wire.DescribeUserScramCredentialsRequest(users: users.map { $0.map { .init(name: $0) } })
    }
}

extension DescribeUserScramCredentialsResponse {
    public init(wire: Wire.DescribeUserScramCredentialsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, errorMessage: wire.errorMessage, results: wire.results.map {
            Result(user: $0.user, errorCode: $0.errorCode, errorMessage: $0.errorMessage,
                   credentials: $0.credentialInfos.map { CredentialInfo(mechanism: $0.mechanism, iterations: $0.iterations) })
        })
    }

    public func wire(version: Int16) -> Wire.DescribeUserScramCredentialsResponse {
        Wire.DescribeUserScramCredentialsResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode, errorMessage: errorMessage, results: results.map {
            .init(user: $0.user, errorCode: $0.errorCode, errorMessage: $0.errorMessage,
                  credentialInfos: $0.credentials.map { .init(mechanism: $0.mechanism, iterations: $0.iterations) })
        })
    }
}

extension AlterUserScramCredentialsRequest {
    public init(wire: Wire.AlterUserScramCredentialsRequest, version: Int16) {
        self.init(deletions: wire.deletions.map { Deletion(name: $0.name, mechanism: $0.mechanism) },
                  upsertions: wire.upsertions.map {
                      Upsertion(name: $0.name, mechanism: $0.mechanism, iterations: $0.iterations, salt: $0.salt, saltedPassword: $0.saltedPassword)
                  })
    }

    public func wire(version: Int16) -> Wire.AlterUserScramCredentialsRequest {
        Wire.AlterUserScramCredentialsRequest(deletions: deletions.map { .init(name: $0.name, mechanism: $0.mechanism) },
                                              upsertions: upsertions.map {
                                                  .init(name: $0.name, mechanism: $0.mechanism, iterations: $0.iterations, salt: $0.salt,
                                                        saltedPassword: $0.saltedPassword)
                                              })
    }
}

extension AlterUserScramCredentialsResponse {
    public init(wire: Wire.AlterUserScramCredentialsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, results: wire.results.map {
            Result(user: $0.user, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
        })
    }

    public func wire(version: Int16) -> Wire.AlterUserScramCredentialsResponse {
        Wire.AlterUserScramCredentialsResponse(throttleTimeMs: throttleTimeMs, results: results.map {
            .init(user: $0.user, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
        })
    }
}
