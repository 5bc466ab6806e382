import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

@Suite struct LogManagerTests {
    @Test func checkpointFileFormatRoundTripsAndRejectsGarbage() throws {
        let offsets = [TopicPartition("orders", 0): Int64(12), TopicPartition("a-b", 3): 7]
        let bytes = OffsetCheckpointFile.encode(offsets)
        #expect(String(decoding: bytes, as: UTF8.self) == "0\n2\na-b 3 7\norders 0 12\n")
        #expect(try OffsetCheckpointFile.decode(bytes) == offsets)
        for bad in ["", "1\n0\n", "0\n2\na 0 1\n", "0\n1\na x 1\n", "0\n1\na 0 1\nextra\n"] {
            #expect(throws: StorageError.self, "\(bad)") { try OffsetCheckpointFile.decode(Array(bad.utf8)) }
        }
    }

    @Test func cleanShutdownMarkerLifecycle() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock()
        let tp = TopicPartition("t", 0)
        do {
            let lm = try LogManager(directory: dir.path, clock: clock)
            #expect(!lm.hadCleanShutdown)
            try lm.getOrCreateLog(tp, config: LogConfig()).append(makeBatch(first: 0, count: 4))
            try lm.shutdown()
            #expect(FileManager.default.fileExists(atPath: dir.file(LogManager.cleanShutdownFile)))
            #expect(try OffsetCheckpointFile.read(dir.file(LogManager.recoveryPointFile)) == [tp: 4])
        }
        do {
            let lm = try LogManager(directory: dir.path, clock: clock)
            #expect(lm.hadCleanShutdown)
            // The marker is gone as soon as the directory is open: a crash now is unclean.
            #expect(!FileManager.default.fileExists(atPath: dir.file(LogManager.cleanShutdownFile)))
            #expect(try lm.partitionsOnDisk() == [tp])
            #expect(try lm.getOrCreateLog(tp, config: LogConfig()).logEndOffset == 4)
        }
        let lm = try LogManager(directory: dir.path, clock: clock)
        #expect(!lm.hadCleanShutdown)
        #expect(try lm.getOrCreateLog(tp, config: LogConfig()).logEndOffset == 4)
    }

    @Test func deleteLogRemovesTheDirectory() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let lm = try LogManager(directory: dir.path, clock: ManualClock())
        let tp = TopicPartition("gone", 2)
        try lm.getOrCreateLog(tp, config: LogConfig()).append(makeBatch(first: 0, count: 1))
        // The files go on the deleter's queue: deleteLog returns while they are still there.
        let removing = DispatchSemaphore(value: 0)
        lm.beforeRemovingFiles = { removing.wait() }
        try lm.deleteLog(tp)
        #expect(lm.log(for: tp) == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("gone") }
        #expect(left.count == 1 && left[0].hasPrefix("gone-2.") && left[0].hasSuffix("-delete"))
        removing.signal()
        lm.awaitDeletions()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("gone") }.isEmpty)
        // A leftover "-delete" directory from a crash is removed on open.
        try FileManager.default.createDirectory(atPath: dir.file("x-0.abc-delete"), withIntermediateDirectories: true)
        _ = try LogManager(directory: dir.path, clock: ManualClock())
        #expect(!FileManager.default.fileExists(atPath: dir.file("x-0.abc-delete")))
    }

    @Test func deleteLogsDeletesSeveralAndForgetsThemInTheCheckpoints() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let lm = try LogManager(directory: dir.path, clock: ManualClock())
        let gone = [TopicPartition("gone", 0), TopicPartition("gone", 1)], kept = TopicPartition("kept", 0)
        for tp in gone + [kept] { try lm.getOrCreateLog(tp, config: LogConfig()).append(makeBatch(first: 0, count: 1)) }
        try lm.checkpoint()
        try lm.deleteLogs(gone)
        lm.awaitDeletions()
        #expect(gone.allSatisfy { lm.log(for: $0) == nil })
        #expect(try lm.partitionsOnDisk() == [kept])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("gone") }.isEmpty)
        let recoveryPoints = try #require(try OffsetCheckpointFile.read(dir.file(LogManager.recoveryPointFile)))
        #expect(Set(recoveryPoints.keys) == [kept])
    }

    @Test func unreadableCheckpointMeansFullRecoveryNotFailure() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let tp = TopicPartition("t", 0)
        do {
            let lm = try LogManager(directory: dir.path, clock: ManualClock())
            try lm.getOrCreateLog(tp, config: LogConfig()).append(makeBatch(first: 0, count: 3))
            try lm.shutdown()
        }
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.file(LogManager.recoveryPointFile)))
        try FileManager.default.removeItem(atPath: dir.file(LogManager.cleanShutdownFile))
        let lm = try LogManager(directory: dir.path, clock: ManualClock())
        #expect(try lm.getOrCreateLog(tp, config: LogConfig()).logEndOffset == 3)
    }
}
