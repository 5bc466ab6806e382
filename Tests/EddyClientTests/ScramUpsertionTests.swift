import EddyClient
import EddyProtocol
import EddySasl
import Testing

/// The client salts a new password itself: AlterUserScramCredentials carries the salt and the
/// salted password, never the password.
struct ScramUpsertionTests {
    @Test func alterRequestsCarryTheSaltedPasswordNeverThePassword() {
        let u = AlterUserScramCredentialsRequest.Upsertion(name: "alice", mechanism: .sha256, password: "hunter2", iterations: 8192)
        #expect(u.mechanism == 1 && u.iterations == 8192 && u.salt.count == 32)
        #expect(u.saltedPassword == ScramMechanism.sha256.saltedPassword("hunter2", salt: u.salt, iterations: 8192))
        #expect(!String(describing: u).contains("hunter2"))
        let r = AlterUserScramCredentialsRequest(deletions: [.init(name: "bob", mechanism: 2)], upsertions: [u, u])
        #expect(r.users == ["bob", "alice"])
    }
}
