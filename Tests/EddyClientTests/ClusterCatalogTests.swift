import EddyClient
import Foundation
import Testing

/// Named clusters: `$XDG_CONFIG_HOME/eddy/clusters.properties`.
struct ClusterCatalogTests {
    static func error(_ text: String) -> String? {
        do {
            _ = try ClusterCatalog.parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func clustersWithTheirServersPropertiesAndWritableFlag() throws {
        let catalog = try ClusterCatalog.parse("""
            # local development
            cluster.local.bootstrap.servers=127.0.0.1:9092
            cluster.local.writable=true

            cluster.prod-eu.bootstrap.servers=kafka-1.example.com:9093, kafka-2.example.com:9093
            cluster.prod-eu.security.protocol=SSL
            cluster.prod-eu.ssl.ca.location=/etc/ssl/prod-ca.pem
            cluster.prod-eu.request.timeout.ms=15000
            """)
        #expect(catalog.names == ["local", "prod-eu"])
        let local = try #require(catalog["local"])
        #expect(local.bootstrapServers == [BrokerAddress(host: "127.0.0.1", port: 9092)] && local.writable)
        #expect(local.config == ClientConnectionConfig())
        let prod = try #require(catalog["prod-eu"])
        #expect(prod.bootstrapServers.map(\.description) == ["kafka-1.example.com:9093", "kafka-2.example.com:9093"])
        #expect(!prod.writable, "clusters are read-only unless marked writable")
        #expect(prod.config.securityProtocol == .ssl && prod.config.caLocation == "/etc/ssl/prod-ca.pem" && prod.config.requestTimeoutMs == 15000)
        #expect(catalog["staging"] == nil)
    }

    @Test func mistakesNameTheLineOrTheCluster() {
        #expect(Self.error("bootstrap.servers=h:1") == "line 1: 'bootstrap.servers' is not cluster.NAME.KEY (e.g. cluster.prod.bootstrap.servers)")
        #expect(Self.error("cluster.a.writable=true") == "cluster a has no cluster.a.bootstrap.servers")
        #expect(Self.error("cluster.a.bootstrap.servers=nohost") == "line 1: cluster.a.bootstrap.servers must be HOST:PORT[,HOST:PORT...], not 'nohost'")
        #expect(Self.error("cluster.a.bootstrap.servers=h:1\ncluster.a.writable=yes") == "line 2: cluster.a.writable must be true or false, not 'yes'")
        #expect(Self.error("cluster.a.bootstrap.servers=h:1\ncluster.a.ssl.truststore.password=hunter2")?.contains("use ssl.ca.location") == true)
        #expect(Self.error("cluster.a.bootstrap.servers=h:1\ncluster.a.ssl.truststore.password=hunter2")?.contains("hunter2") == false)
        #expect(Self.error("cluster.a.bootstrap.servers=h:1\ncluster.a.linger.ms=5")?.hasPrefix("cluster a: invalid value (hidden) for configuration linger.ms: not a client property") == true, "the value of an unknown key is never shown: it may be a secret")
    }

    @Test func theFileIsFoundUnderXDGConfigHomeAndMayBeAbsent() throws {
        #expect(ClusterCatalog.path(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/home/u"]) == "/x/eddy/clusters.properties")
        #expect(ClusterCatalog.path(environment: ["HOME": "/home/u"]) == "/home/u/.config/eddy/clusters.properties")
        #expect(try ClusterCatalog.load(path: "/nonexistent/eddy/clusters.properties") == ClusterCatalog())
        let dir = NSTemporaryDirectory() + "eddy-catalog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "cluster.x.bootstrap.servers=h:1\n".write(toFile: dir + "/clusters.properties", atomically: true, encoding: .utf8)
        #expect(try ClusterCatalog.load(path: dir + "/clusters.properties").names == ["x"])
        try "cluster.x.bootstrap.servers=bad\n".write(toFile: dir + "/clusters.properties", atomically: true, encoding: .utf8)
        #expect(throws: ClusterCatalog.ConfigError.self) { try ClusterCatalog.load(path: dir + "/clusters.properties") }
    }
}
