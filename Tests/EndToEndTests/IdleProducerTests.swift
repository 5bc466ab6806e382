import Foundation
import Testing

/// `eddy produce` reading a pipe that stays open: while its input is idle it appends what it
/// has and releases the data directory, so other commands run in between.
@Suite struct IdleProducerTests {
    @Test func idleProducerReleasesTheDirectoryAndKeepsGoing() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t"] + dir.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("first\nsecond\n".utf8))
        // Once idle, the lines are appended and visible to another process.
        try waitFor("the idle producer's lines are readable") {
            let r = try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + dir.flag)
            return r.status == 0 && r.outLines == ["first", "second"]
        }
        #expect(producer.isRunning)
        try input.fileHandleForWriting.write(contentsOf: Data("third".utf8))
        try input.fileHandleForWriting.close()
        let result = producer.wait()
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr == "eddy: produced 3 records (\(try logSize(dir)) bytes in 2 batches) to t: partition 0 offsets 0..2\n", "\(result)")
        #expect(try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + dir.flag).outLines == ["first", "second", "third"])
    }

    @Test func interruptedProducerAppendsCompleteLinesAndExits0() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t"] + dir.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("one\ntwo\n".utf8))
        try waitFor("the lines are appended") {
            try Eddy.run(["consume", "--topic", "t", "--exit-at-end"] + dir.flag).outLines == ["one", "two"]
        }
        producer.signal(SIGINT)
        let result = producer.wait()
        try? input.fileHandleForWriting.close()
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.hasPrefix("eddy: produced 2 records "), "\(result)")
    }

    private func logSize(_ dir: TempDataDir) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: dir.partitionDirectory("t", 0) + "/00000000000000000000.log")[.size] as! Int
    }
}
