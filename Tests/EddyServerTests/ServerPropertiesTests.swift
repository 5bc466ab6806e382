import EddyProtocol
import EddyServer
import Foundation
import Testing

/// `eddy serve --config`: Kafka's server.properties keys that eddy supports.
struct ServerPropertiesTests {
    static func parse(_ text: String) throws -> ServerProperties {
        try ServerProperties(try JavaProperties.parse(text))
    }

    static func error(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func listenersWithTheirProtocolsAndAdvertisedAddresses() throws {
        let p = try Self.parse("""
            listeners=PLAINTEXT://127.0.0.1:9092,SSL://:9192,INTERNAL://[::1]:9292
            listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,INTERNAL:PLAINTEXT
            advertised.listeners=SSL://broker.example.com:19192
            ssl.keystore.type=PEM
            ssl.keystore.location=/etc/eddy/broker.pem
            socket.request.max.bytes=2048
            connections.max.idle.ms=5000
            """)
        #expect(p.listeners == [
            .init(name: "PLAINTEXT", securityProtocol: .plaintext, host: "127.0.0.1", port: 9092),
            .init(name: "SSL", securityProtocol: .ssl, host: "0.0.0.0", port: 9192, advertisedHost: "broker.example.com", advertisedPort: 19192),
            .init(name: "INTERNAL", securityProtocol: .plaintext, host: "::1", port: 9292),
        ])
        #expect(p.setsListeners && p.setsAdvertisedListeners)
        #expect(p.keystoreLocation == "/etc/eddy/broker.pem")
        #expect(p.socketRequestMaxBytes == 2048 && p.connectionsMaxIdleMs == 5000)
        // Without a file: one PLAINTEXT listener on 127.0.0.1:9092, as `eddy serve` alone.
        #expect(ServerProperties().listeners == [.init(name: "PLAINTEXT", securityProtocol: .plaintext, host: "127.0.0.1", port: 9092)])
    }

    @Test func saslListenersAndMechanisms() throws {
        let p = try Self.parse("""
            listeners=SASL_PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9192
            ssl.keystore.location=/etc/eddy/broker.pem
            sasl.enabled.mechanisms=scram-sha-512, PLAIN,SCRAM-SHA-512
            """)
        #expect(p.listeners.map(\.securityProtocol) == [.saslPlaintext, .saslSsl])
        #expect(p.listeners.map(\.securityProtocol.usesTLS) == [false, true] && p.listeners.allSatisfy(\.securityProtocol.usesSASL))
        #expect(p.saslMechanisms == [.scram(.sha512), .plain])
        // Kafka's default is GSSAPI (Kerberos), which eddy does not speak: SCRAM instead.
        #expect(try Self.parse("listeners=SASL_PLAINTEXT://h:1").saslMechanisms == [.scram(.sha256), .scram(.sha512)])
    }

    @Test func transactionCoordinatorSettings() throws {
        let p = try Self.parse("""
            transaction.max.timeout.ms=5000
            transaction.abort.timed.out.transaction.cleanup.interval.ms=100
            transactional.id.expiration.ms=3600000
            transaction.state.log.num.partitions=3
            transaction.state.log.replication.factor=1
            """)
        #expect(p.transactionMaxTimeoutMs == 5000 && p.transactionAbortTimedOutTransactionCleanupIntervalMs == 100)
        #expect(p.transactionalIdExpirationMs == 3_600_000 && p.transactionStateLogNumPartitions == 3)
        #expect(p.transactionStateLogReplicationFactor == 1)
        #expect(ServerProperties().transactionMaxTimeoutMs == nil)
        #expect(Self.error("transaction.max.timeout.ms=0") == "line 1: transaction.max.timeout.ms: must be an integer from 1 to 2147483647")
        #expect(Self.error("transaction.state.log.replication.factor=40000")
            == "line 1: transaction.state.log.replication.factor: must be an integer from 1 to 32767")
    }

    @Test func quorumTimingAndSnapshotSettings() throws {
        let p = try Self.parse("""
            controller.quorum.election.timeout.ms=500
            controller.quorum.fetch.timeout.ms=1500
            controller.quorum.election.backoff.max.ms=300
            controller.quorum.request.timeout.ms=1000
            metadata.log.max.record.bytes.between.snapshots=4096
            broker.session.timeout.ms=6000
            auto.leader.rebalance.enable=FALSE
            leader.imbalance.check.interval.seconds=30
            """)
        #expect(p.controllerQuorumElectionTimeoutMs == 500 && p.controllerQuorumFetchTimeoutMs == 1500)
        #expect(p.controllerQuorumElectionBackoffMaxMs == 300 && p.controllerQuorumRequestTimeoutMs == 1000)
        #expect(p.metadataLogMaxRecordBytesBetweenSnapshots == 4096 && p.brokerSessionTimeoutMs == 6000)
        #expect(ServerProperties().controllerQuorumFetchTimeoutMs == nil && ServerProperties().brokerSessionTimeoutMs == nil)
        #expect(p.autoLeaderRebalanceEnable == false && p.leaderImbalanceCheckIntervalSeconds == 30)
        #expect(ServerProperties().autoLeaderRebalanceEnable == nil)
        #expect(Self.error("auto.leader.rebalance.enable=maybe") == "line 1: auto.leader.rebalance.enable: must be true or false")
        #expect(Self.error("controller.quorum.fetch.timeout.ms=-1") == "line 1: controller.quorum.fetch.timeout.ms: must be an integer from 1 to 2147483647")
        #expect(Self.error("\nmetadata.log.max.record.bytes.between.snapshots=lots")
            == "line 2: metadata.log.max.record.bytes.between.snapshots: must be an integer from 1 to 9223372036854775807")
    }

    @Test func everyUnsupportedSettingIsAClearError() {
        #expect(Self.error("log.dirs=/tmp/x") == "line 1: log.dirs: not a setting eddy serve supports (it reads: \(ServerProperties.knownKeys.joined(separator: ", ")))")
        #expect(Self.error("sasl.enabled.mechanisms=GSSAPI") == "line 1: sasl.enabled.mechanisms: eddy speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, not GSSAPI")
        #expect(Self.error("listeners=SASL_PLAINTEXT://h:1\nsasl.enabled.mechanisms= ")?.contains("names no mechanism") == true)
        #expect(Self.error("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=x")?.contains("eddy needs no JAAS") == true)
        #expect(Self.error("listeners=SASL_SSL://h:1")?.contains("an SSL or SASL_SSL listener needs it") == true)
        #expect(Self.error("listeners=EXTERNAL://h:1") == "line 1: listeners: listener EXTERNAL has no protocol in listener.security.protocol.map")
        #expect(Self.error("listeners=PLAINTEXT://h") == "line 1: listeners: 'PLAINTEXT://h' is not NAME://HOST:PORT with a port from 0 to 65535")
        #expect(Self.error("listeners=PLAINTEXT://h:1\nadvertised.listeners=SSL://h:2") == "line 2: advertised.listeners: listener SSL is not in listeners")
        #expect(Self.error("listeners=PLAINTEXT://h:1\nadvertised.listeners=PLAINTEXT://0.0.0.0:2")?.contains("needs a host clients can connect to") == true)
        #expect(Self.error("listeners=SSL://h:1\nssl.keystore.type=JKS\nssl.keystore.location=k.jks")?.contains("eddy reads PEM files only") == true)
        #expect(Self.error("listeners=SSL://h:1") == "ssl.keystore.location: an SSL or SASL_SSL listener needs it: a PEM file with the broker's private key and certificate chain")
        #expect(Self.error("ssl.client.auth=required")?.contains("needs ssl.truststore.location") == true)
        #expect(Self.error("ssl.client.auth=requested")?.contains("requested is not supported") == true)
        #expect(Self.error("socket.request.max.bytes=12") == "line 1: socket.request.max.bytes: must be an integer from 1024 to 2147483647")
    }

    @Test func theKeystoreIsReadAtStartAndMustHoldTheKeyAndTheChain() throws {
        let dir = NSTemporaryDirectory() + "eddy-server-properties-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try Self.parse("listeners=SSL://127.0.0.1:0\nssl.keystore.location=\(dir)/missing.pem")
        #expect(throws: ServerProperties.ConfigError.self) { try missing.makeTLSContext() }
        try "not a certificate\n".write(toFile: "\(dir)/junk.pem", atomically: true, encoding: .utf8)
        let junk = try Self.parse("listeners=SSL://127.0.0.1:0\nssl.keystore.location=\(dir)/junk.pem")
        do {
            _ = try junk.makeTLSContext()
            Issue.record("a keystore without a certificate must be refused")
        } catch {
            #expect("\(error)".contains("holds no PEM certificate") || "\(error)".contains("cannot read certificates"), "\(error)")
        }
        // A password never appears in an error.
        let withPassword = try Self.parse("listeners=SSL://127.0.0.1:0\nssl.keystore.location=\(dir)/junk.pem\nssl.key.password=hunter2")
        do {
            _ = try withPassword.makeTLSContext()
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
        // Without an SSL listener nothing is read.
        #expect(try Self.parse("listeners=PLAINTEXT://127.0.0.1:0").makeTLSContext() == nil)
    }
}
