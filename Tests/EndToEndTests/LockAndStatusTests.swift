import EddyStorage
import Foundation
import Testing

/// The data-directory lock and the `status` summary, through the built binary.
@Suite struct LockAndStatusTests {
    @Test func secondProcessIsToldWhoHoldsTheDirectory() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        // This test process holds the lock, as a running eddy would.
        let holder = try DataDirectoryLock(directory: dir.path, create: false)
        defer { holder.release() }
        for args in [["topics", "list"], ["produce", "--topic", "t"], ["consume", "--topic", "t", "--exit-at-end"], ["status"]] {
            let r = try Eddy.run(args + dir.flag, stdin: Array("x\n".utf8))
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.stderr == "eddy: data directory \(dir.path) is in use by process \(getpid()); stop it or use another --data-dir\n",
                    "\(args): \(r)")
        }
        holder.release()
        #expect(try Eddy.run(["topics", "list"] + dir.flag).outLines == ["t"])
    }

    @Test func statusOfMissingDirectorySaysHowToStart() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let r = try Eddy.run(["status"] + dir.flag)
        #expect(r.status == 0, "\(r)")
        #expect(r.outLines == ["No eddy data directory at \(dir.path) yet.",
                               "Create a topic to start one: eddy topics create --topic NAME --partitions N --data-dir \(dir.path)"])
        #expect(!FileManager.default.fileExists(atPath: dir.path))
        // The same with the default directory name and no flag, from the environment.
        let viaEnv = try Eddy.run(["status"], environment: ["EDDY_DATA_DIR": dir.path])
        #expect(viaEnv.outLines.first == "No eddy data directory at \(dir.path) yet.")
    }

    @Test func statusSummarisesTopics() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("b", partitions: 2)
        try dir.createTopic("a", partitions: 1)
        try #require(try Eddy.run(["produce", "--topic", "b", "--partition", "1"] + dir.flag, stdin: Array("x\ny\nz\n".utf8)).status == 0)
        let r = try Eddy.run(["status"] + dir.flag)
        let lines = r.outLines
        try #require(lines.count == 9, "\(r)")
        #expect(lines[0] == "Data directory: \(dir.path)")
        #expect(lines[1].hasPrefix("Cluster id:     ") && lines[1].count > 20)
        #expect(lines[2] == "Brokers:        3 (running: 0,1,2)")
        #expect(lines[3].hasPrefix("Topics:         2 (3 partitions, 3 records, "))
        #expect(lines[4] == "")
        #expect(lines[5].split(separator: " ") == ["TOPIC", "PARTITION", "LEADER", "LOG-START", "LOG-END", "HIGH-WATERMARK",
                                                   "SEGMENTS", "SIZE"])
        let rows = lines[6...].map { $0.split(separator: " ").map(String.init) }
        try #require(rows.allSatisfy { $0.count == 8 }, "\(r)")
        #expect(rows.map { Array($0.prefix(2)) } == [["a", "0"], ["b", "0"], ["b", "1"]])
        #expect(rows.map { Array($0[3 ..< 7]) } == [["0", "0", "0", "1"], ["0", "0", "0", "1"], ["0", "3", "3", "1"]])
        for (row, (topic, p)) in zip(rows, [("a", 0), ("b", 0), ("b", 1)]) {
            #expect(dir.replicaBrokers(topic, p) == [try #require(Int(row[2]))], "the leader holds the only replica")
        }
    }
}
