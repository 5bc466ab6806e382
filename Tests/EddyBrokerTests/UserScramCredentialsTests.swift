import EddyProtocol
import EddySasl
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Users' SCRAM credentials (KIP-554): AlterUserScramCredentials validated as Kafka's controller
/// does and written to the metadata log, DescribeUserScramCredentials from the image, and the
/// credentials kept across snapshots and restarts, never the password.
@Suite struct UserScramCredentialsTests {
    static func upsert(_ user: String, _ m: ScramMechanism, _ password: String = "pw", iterations: Int32 = 4096) -> AlterUserScramCredentialsRequest.Upsertion {
        // Salted as a client salts it (EddyClient's Upsertion(password:) does the same).
        let salt = ScramMechanism.randomSalt()
        return .init(name: user, mechanism: m.rawValue, iterations: iterations, salt: salt,
                     saltedPassword: m.saltedPassword(password, salt: salt, iterations: Int(iterations)))
    }

    func alter(_ s: ServedCluster, _ request: AlterUserScramCredentialsRequest) throws -> [String: ErrorCode] {
        guard case let .alterUserScramCredentials(r) = try #require(s.send(.alterUserScramCredentials(request), to: 0).response) else {
            throw TestFailure("not an AlterUserScramCredentials response")
        }
        return Dictionary(uniqueKeysWithValues: r.results.map { ($0.user, $0.errorCode) })
    }

    func describe(_ s: ServedCluster, _ users: [String]? = nil) throws -> DescribeUserScramCredentialsResponse {
        guard case let .describeUserScramCredentials(r) = try #require(s.send(.describeUserScramCredentials(.init(users: users)), to: 1).response) else {
            throw TestFailure("not a DescribeUserScramCredentials response")
        }
        return r
    }

    @Test func credentialsAreAddedDescribedAndDeleted() throws {
        let s = try ServedCluster()
        defer { s.close() }
        let added = try alter(s, .init(upsertions: [Self.upsert("alice", .sha256, "hunter2"), Self.upsert("alice", .sha512, "hunter2", iterations: 8192),
                                                    Self.upsert("bob", .sha256)]))
        #expect(added == ["alice": .none, "bob": .none])
        s.pump()
        let all = try describe(s)
        #expect(all.errorCode == .none && all.results.map(\.user) == ["alice", "bob"])
        #expect(all.results[0].credentials == [.init(mechanism: 1, iterations: 4096), .init(mechanism: 2, iterations: 8192)])
        // The stored credential authenticates the password, and holds no trace of it.
        let stored = try #require(s.cluster.scramCredentials(of: "alice")[.sha512])
        #expect(stored.matches(password: "hunter2", mechanism: .sha512) && !stored.matches(password: "hunter3", mechanism: .sha512))
        #expect(s.cluster.scramCredentials(of: "carol").isEmpty)
        let named = try describe(s, ["bob", "carol", "bob"])
        #expect(named.results.map(\.user) == ["bob", "carol"])
        #expect(named.results.map(\.errorCode) == [.duplicateResource, .resourceNotFound])

        #expect(try alter(s, .init(deletions: [.init(name: "alice", mechanism: 1)])) == ["alice": .none])
        s.pump()
        #expect(try describe(s, ["alice"]).results.first?.credentials == [.init(mechanism: 2, iterations: 8192)])
        #expect(try alter(s, .init(deletions: [.init(name: "alice", mechanism: 2)])) == ["alice": .none])
        s.pump()
        #expect(try describe(s).results.map(\.user) == ["bob"])
    }

    @Test func invalidAlterationsFailTheirUserOnly() throws {
        let s = try ServedCluster()
        defer { s.close() }
        let results = try alter(s, AlterUserScramCredentialsRequest(
            deletions: [.init(name: "ghost", mechanism: 1), .init(name: "twice", mechanism: 1), .init(name: "weird", mechanism: 3)],
            upsertions: [Self.upsert("twice", .sha256), Self.upsert("few", .sha256, iterations: 4095), Self.upsert("many", .sha512, iterations: 16385),
                         Self.upsert("", .sha256), Self.upsert("ok", .sha512),
                         .init(name: "short", mechanism: 1, iterations: 4096, salt: [1], saltedPassword: [1, 2, 3]),
                         .init(name: "nosalt", mechanism: 1, iterations: 4096, salt: [], saltedPassword: [UInt8](repeating: 0, count: 32))]))
        #expect(results == ["ghost": .resourceNotFound, "twice": .duplicateResource, "weird": .unsupportedSaslMechanism,
                            "few": .unacceptableCredential, "many": .unacceptableCredential, "": .unacceptableCredential, "ok": .none,
                            "short": .unacceptableCredential, "nosalt": .unacceptableCredential])
        s.pump()
        #expect(try describe(s).results.map(\.user) == ["ok"])
    }

    @Test func credentialsSurviveSnapshotsAndRestarts() throws {
        var image = MetadataImage()
        let credential = ScramCredential(mechanism: .sha256, password: "pw")
        try image.apply(.userScramCredential(UserScramCredentialRecord(name: "alice", mechanism: .sha256, credential: credential)))
        try image.apply(.userScramCredential(UserScramCredentialRecord(name: "bob", mechanism: .sha512, credential: credential)))
        var replayed = MetadataImage()
        for r in image.records() { try replayed.apply(r) }
        #expect(replayed == image && !replayed.isEmpty)
        try image.apply(.removeUserScramCredential(RemoveUserScramCredentialRecord(name: "bob", mechanism: .sha512)))
        #expect(image.scramCredentials.keys.sorted() == ["alice"])
        #expect(throws: BrokerError.self) {
            try image.apply(.removeUserScramCredential(RemoveUserScramCredentialRecord(name: "bob", mechanism: .sha512)))
        }

        let dir = TempDirectory(); defer { dir.cleanup() }
        do {
            let cluster = try Cluster(dataDirectory: dir.path, clock: ManualClock())
            let response = cluster.controller.alterScramCredentials(.init(upsertions: [Self.upsert("alice", .sha256, "secret")]),
                                                                    image: cluster.metadataImage)
            #expect(response.response.results.map(\.errorCode) == [.none])
            try cluster.withLockThenCallbacks { () throws(BrokerError) in try cluster.commit(response.records) }
            try cluster.shutdown()
        }
        let reopened = try Cluster(dataDirectory: dir.path, clock: ManualClock())
        defer { try? reopened.shutdown() }
        #expect(reopened.scramCredentials(of: "alice")[.sha256]?.matches(password: "secret", mechanism: .sha256) == true)
        // The password is nowhere in the data directory.
        let files = FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []
        for f in files {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: dir.path).appendingPathComponent(f))) ?? Data()
            #expect(data.range(of: Data("secret".utf8)) == nil, "\(f)")
        }
    }
}
