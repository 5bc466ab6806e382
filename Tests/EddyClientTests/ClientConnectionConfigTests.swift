@testable import EddyClient
import Foundation
import Testing

/// `--command-config`: client properties with librdkafka's names.
struct ClientConnectionConfigTests {
    static func error(_ properties: [String: String]) -> String? {
        do {
            _ = try ClientConnectionConfig(properties: properties)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func propertiesAndTheirDefaults() throws {
        let defaults = try ClientConnectionConfig(properties: [:])
        #expect(defaults.securityProtocol == .plaintext && defaults.verifyHostname && defaults.reconnectBackoff == ReconnectBackoff())
        #expect(try defaults.makeTLSContext() == nil)
        let c = try ClientConnectionConfig(properties: [
            "security.protocol": "ssl", "ssl.ca.location": "/ca.pem", "ssl.certificate.location": "/c.pem", "ssl.key.location": "/k.pem",
            "ssl.key.password": "secret", "ssl.endpoint.identification.algorithm": "none", "client.id": "ops",
            "request.timeout.ms": "5000", "reconnect.backoff.ms": "100", "reconnect.backoff.max.ms": "60",
        ])
        #expect(c.securityProtocol == .ssl && c.caLocation == "/ca.pem" && c.certificateLocation == "/c.pem" && c.keyLocation == "/k.pem")
        #expect(c.keyPassword == "secret" && !c.verifyHostname && c.clientId == "ops" && c.requestTimeoutMs == 5000)
        // A maximum below the initial wait is raised to it, as in Kafka.
        #expect(c.reconnectBackoff == ReconnectBackoff(initialMs: 100, maxMs: 100))
    }

    @Test func mistakesAreNamedWithWhatToUseInstead() {
        #expect(Self.error(["security.protocol": "SASL_SSL"])?.contains("sasl.mechanism") == true)
        #expect(Self.error(["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"])?.contains("sasl.username") == true)
        #expect(Self.error(["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "u"])?.contains("sasl.password") == true)
        #expect(Self.error(["security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI", "sasl.username": "u", "sasl.password": "p"])?
            .contains("eddy speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512") == true)
        #expect(Self.error(["sasl.username": "u"])?.contains("needs security.protocol=SASL_PLAINTEXT or SASL_SSL") == true)
        #expect(Self.error(["sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required password=\"hunter2\";"])
            .map { $0.contains("use sasl.username and sasl.password") && !$0.contains("hunter2") } == true)
        #expect(Self.error(["sasl.password": "hunter2"]).map { !$0.contains("hunter2") } == true)
        #expect(Self.error(["security.protocol": "TLS"])?.contains("must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL") == true)
        #expect(Self.error(["ssl.truststore.location": "/t.jks"])?.contains("use ssl.ca.location (a PEM file)") == true)
        #expect(Self.error(["ssl.ca.location": "/ca.pem"])?.contains("needs security.protocol=SSL") == true)
        #expect(Self.error(["security.protocol": "SSL", "ssl.certificate.location": "/c.pem"])?.contains("go together") == true)
        #expect(Self.error(["request.timeout.ms": "soon"])?.contains("must be an integer") == true)
        #expect(Self.error(["bootstrap.servers": "h:1"])?.contains("not a client property eddy knows") == true)
        // Passwords are never shown.
        #expect(Self.error(["ssl.keystore.password": "hunter2"])?.contains("hunter2") == false)
    }

    @Test func saslProperties() throws {
        let c = try ClientConnectionConfig(properties: ["security.protocol": "SASL_SSL", "sasl.mechanisms": "scram-sha-512",
                                                        "sasl.username": "alice", "sasl.password": "hunter2", "ssl.ca.location": "/ca.pem"])
        #expect(c.securityProtocol == .saslSsl && c.securityProtocol.usesTLS && c.securityProtocol.usesSASL)
        #expect(c.sasl == .init(mechanism: .scram(.sha512), username: "alice", password: "hunter2"))
        #expect("\(c.sasl!)" == "SCRAM-SHA-512 as alice")
        let plain = try ClientConnectionConfig(properties: ["security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                                                            "sasl.username": "bob", "sasl.password": "pw"])
        #expect(plain.sasl?.mechanism == .plain && !plain.securityProtocol.usesTLS)
        #expect(try plain.makeTLSContext() == nil)
    }

    @Test func tlsFilesAreReadBeforeAnyConnection() throws {
        let c = try ClientConnectionConfig(properties: ["security.protocol": "SSL", "ssl.ca.location": "/nonexistent/ca.pem"])
        do {
            _ = try c.makeTLSContext()
            Issue.record("a missing CA file must fail")
        } catch {
            #expect("\(error)".contains("ssl.ca.location") && "\(error)".contains("/nonexistent/ca.pem"), "\(error)")
        }
        // With the system's roots.
        #expect(try ClientConnectionConfig(properties: ["security.protocol": "SSL"]).makeTLSContext() != nil)
    }

    @Test func aHostNameIsSentAsSNIButAnIPAddressIsNot() {
        #expect(BrokerConnection.isIPAddress("127.0.0.1") && BrokerConnection.isIPAddress("::1"))
        #expect(!BrokerConnection.isIPAddress("localhost") && !BrokerConnection.isIPAddress("broker-1.example.com"))
    }
}
