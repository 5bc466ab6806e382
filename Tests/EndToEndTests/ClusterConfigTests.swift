import Foundation
import Testing

/// `--cluster NAME` and the clusters file, and the console flags that only fit remote clusters.
struct ClusterConfigTests {
    @Test func aClustersFileWithAPasswordReadableByOthersIsWarnedAbout() throws {
        let config = TempDataDir()
        defer { config.remove() }
        try FileManager.default.createDirectory(atPath: config.path + "/eddy", withIntermediateDirectories: true)
        let file = config.path + "/eddy/clusters.properties"
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let port = refusing.port
        try "cluster.prod.bootstrap.servers=127.0.0.1:\(port)\ncluster.prod.security.protocol=SSL\ncluster.prod.ssl.key.password=hunter2\ncluster.prod.ssl.certificate.location=/c.pem\ncluster.prod.ssl.key.location=/k.pem\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let env = ["XDG_CONFIG_HOME": config.path]
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let open = try Eddy.run(["topics", "list", "--cluster", "prod"], environment: env)
        #expect(open.status == 1)
        #expect(open.errLines.first == "eddy: warning: \(file) holds a password and can be read by other users; chmod 600 it", "\(open)")
        #expect(!open.stderr.contains("hunter2"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let closed = try Eddy.run(["topics", "list", "--cluster", "prod"], environment: env)
        #expect(closed.status == 1 && !closed.stderr.contains("warning"), "\(closed)")
    }

    @Test func unknownClustersAndMisplacedFlagsAreUsageErrors() throws {
        let config = TempDataDir()
        defer { config.remove() }
        try FileManager.default.createDirectory(atPath: config.path + "/eddy", withIntermediateDirectories: true)
        try "cluster.local.bootstrap.servers=127.0.0.1:9092\n".write(toFile: config.path + "/eddy/clusters.properties", atomically: true, encoding: .utf8)
        let env = ["XDG_CONFIG_HOME": config.path]
        let unknown = try Eddy.run(["topics", "list", "--cluster", "prod"], environment: env)
        #expect(unknown.status == 2 && unknown.stderr.contains("no cluster named 'prod'") && unknown.stderr.contains("names: local"), "\(unknown)")
        let both = try Eddy.run(["topics", "list", "--cluster", "local", "--bootstrap-server", "127.0.0.1:9092"], environment: env)
        #expect(both.status == 2, "\(both)")
        let writableLocal = try Eddy.run(["console", "--writable", "--data-dir", config.path + "/data"], environment: env)
        #expect(writableLocal.status == 2 && writableLocal.stderr.contains("--writable is for a cluster reached with --bootstrap-server or --cluster"), "\(writableLocal)")
        let contradictory = try Eddy.run(["console", "--writable", "--read-only", "--cluster", "local"], environment: env)
        #expect(contradictory.status == 2 && contradictory.stderr.contains("contradict"), "\(contradictory)")
    }
}
