import Foundation
import Testing

/// `eddy lag`: the table and JSON of a data directory's groups, and against `eddy serve` a
/// watch that sees commits come in (from `__consumer_offsets`), turns a falling-behind group
/// WARN, and serves the same to Prometheus.
@Suite struct LagCommandTests {
    static func produce(_ flag: [String], _ count: Int, topic: String = "orders") throws {
        let lines = (0 ..< count).map { "v\($0)" }.joined(separator: "\n") + "\n"
        let r = try Eddy.run(["produce", "--topic", topic, "--partition", "0"] + flag, stdin: Array(lines.utf8))
        #expect(r.status == 0, "\(r.stderr)")
    }

    static func commit(_ flag: [String], _ offset: Int) throws {
        let r = try Eddy.run(["groups", "reset-offsets", "--group", "billing", "--topic", "orders:0", "--to-offset", "\(offset)", "--execute"] + flag)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func tableAndJsonOfADataDirectory() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("orders", partitions: 1)
        try Self.produce(dir.flag, 6)
        try Self.commit(dir.flag, 2)
        let table = try Eddy.run(["lag"] + dir.flag)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["GROUP", "TOPIC", "PARTITION", "LOG-START", "COMMITTED", "HIGH-WATERMARK", "LOG-END", "LAG", "TIME-LAG", "LOST", "STATUS"])
        // One sample has no window of commits yet: no status.
        #expect(Array(lines[1].prefix(8)) == ["billing", "orders", "0", "0", "2", "6", "6", "4"] && lines[1].last == "-", "\(table.out)")
        #expect(lines[1][8].hasSuffix("s"))

        let json = try Eddy.run(["lag", "--output", "json", "--group", "billing"] + dir.flag)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(object["commitSource"] as? String == "__consumer_offsets")
        let group = try #require((object["groups"] as? [[String: Any]])?.first)
        #expect(group["group"] as? String == "billing" && group["state"] as? String == "Empty")
        let p = try #require((group["partitions"] as? [[String: Any]])?.first)
        #expect(p["lag"] as? Int == 4 && p["committedOffset"] as? Int == 2 && p["highWatermark"] as? Int == 6 && p["logStartOffset"] as? Int == 0)
        #expect((p["timeLagMs"] as? Int ?? -1) >= 0)

        let bad = try Eddy.run(["lag", "--status", "bogus"] + dir.flag)
        #expect(bad.status == 2 && bad.stderr.contains("--status must be OK, WARN, STOP, STALL or REWIND"))
    }

    @Test func aWatchSeesCommitsAndServesPrometheus() throws {
        let served = try ServedCluster()
        try Eddy.run(["topics", "create", "--topic", "orders", "--partitions", "1"] + served.flag)
        try Self.produce(served.flag, 10)
        try Self.commit(served.flag, 2)
        let watch = try Eddy.start(["lag", "--watch", "--output", "json", "--interval-ms", "100", "--metrics-listen", "127.0.0.1:0",
                                    "--metrics-cluster-name", "ledger-prod"] + served.flag)
        defer {
            watch.signal(SIGINT)
            _ = watch.wait()
        }
        var port = 0
        try waitFor("the metrics listener's notice") {
            guard let range = watch.stderrSoFar().range(of: #"http://127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression) else { return false }
            port = Int(watch.stderrSoFar()[range].split(separator: ":").last!.split(separator: "/").first!) ?? 0
            return port > 0
        }
        func lastSample() -> [String: Any]? {
            // The last complete line (one JSON object per sample).
            let text = watch.stdoutSoFar()
            guard let line = text.split(separator: "\n").dropLast(text.hasSuffix("\n") ? 0 : 1).last else { return nil }
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return ((object?["groups"] as? [[String: Any]])?.first { $0["group"] as? String == "billing" }?["partitions"] as? [[String: Any]])?.first
        }
        // The first sample: the watch reads __consumer_offsets from its end as of then, so a
        // commit made before it would not be seen.
        try waitFor("the first sample") { lastSample()?["committedOffset"] as? Int == 2 }
        // A commit at 3 with 7 to go, then 5 more records and a commit at 4 with 11 to go: the
        // lag never fell, so WARN (each step waits until a sample has seen it). The commits are
        // 5 s apart, as a consumer's might be: with Burrow's rule a partition whose last commit
        // is older than the window's span is STOP, so WARN holds for 5 s after the second,
        // however slow the machine is meanwhile.
        try Self.commit(served.flag, 3)
        let firstCommit = Date()
        try waitFor("a sample with the commit at 3") { lastSample()?["committedOffset"] as? Int == 3 }
        try Self.produce(served.flag, 5)
        try waitFor("a sample with the high watermark at 15, 5 s after the commit at 3") {
            lastSample()?["highWatermark"] as? Int == 15 && Date().timeIntervalSince(firstCommit) >= 5
        }
        try Self.commit(served.flag, 4)
        // (A sample may show WARN already with the commit at 3, at lag 12: wait for the one with 4.)
        try waitFor("the WARN status with the commit at 4", seconds: 30) {
            let sample = lastSample()
            return sample?["status"] as? String == "WARN" && sample?["committedOffset"] as? Int == 4
        }
        #expect(lastSample()?["lag"] as? Int == 11)

        let metrics = try httpGet(port: port, path: "/metrics")
        #expect(metrics.hasPrefix("HTTP/1.1 200") || metrics.hasPrefix("HTTP/1.0 200"), "\(metrics.prefix(200))")
        #expect(metrics.contains(#"kafka_consumergroup_group_lag{cluster_name="ledger-prod",group="billing",topic="orders",partition="0"} 11"#), "\(metrics)")
        #expect(metrics.contains(#"eddy_consumergroup_partition_status{cluster_name="ledger-prod",group="billing",topic="orders",partition="0",status="WARN"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"eddy_consumergroup_status{cluster_name="ledger-prod",group="billing",status="WARN"} 2"#))
        #expect(try httpGet(port: port, path: "/other").contains(" 404 "))
        watch.signal(SIGINT)
        let ended = watch.wait()
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(served.stop().status == 0)
    }
}

/// The whole answer to `GET path` on 127.0.0.1:port (HTTP/1.0, so the server closes).
func httpGet(port: Int, path: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    try #require(connected, "cannot connect to 127.0.0.1:\(port)")
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        answer += buffer[0 ..< n]
    }
    return String(decoding: answer, as: UTF8.self)
}
