import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// An in-memory `CleanableLog` for driving `LogCleaner` without files.
final class FakeCleanableLog: CleanableLog, @unchecked Sendable {
    final class Sink: CleanedSegmentSink {
        var bytes: [UInt8] = []
        func append(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws { bytes += batch }
    }

    let lock = NSLock()
    var log: InMemoryLog
    var swaps = 0
    var discarded = 0
    /// Called on every segment read, without the lock (lets a test hold a round mid-way).
    var readGate: (@Sendable () -> Void)?

    init(_ log: InMemoryLog) { self.log = log }

    var topicPartition: TopicPartition { lock.withLock { log.topicPartition } }
    var bytes: [UInt8] { lock.withLock { log.allBytes } }

    func cleanerSnapshot() throws -> CleanerLogSnapshot { lock.withLock { log.snapshot() } }

    func cleanerSegments(below bound: Int64) throws -> [CleanerSegment] {
        lock.withLock {
            let gate = readGate
            return log.segments.dropLast().filter { $0.baseOffset < bound }.map { s in
                let bytes = s.bytes
                return CleanerSegment(baseOffset: s.baseOffset, sizeInBytes: bytes.count,
                                      largestTimestamp: CleanerFixtures.largestTimestamp(bytes)) { pos, max in
                    gate?()
                    return Array(bytes[pos ..< pos + min(max, bytes.count - pos)])
                }
            }
        }
    }

    func activeProducersForCleaning() -> [Int64: ProducerLastRecord] { [:] }
    func abortedTransactionsForCleaning() -> [AbortedTxnEntry] { [] }

    func createCleanedSegment(baseOffset: Int64) throws -> any CleanedSegmentSink { Sink() }

    func replaceSegments(_ oldBaseOffsets: [Int64], with cleaned: any CleanedSegmentSink, info: CleanedSegmentInfo) throws {
        try lock.withLock {
            let present = Set(log.segments.map(\.baseOffset))
            guard oldBaseOffsets.allSatisfy(present.contains) else { throw LogCleanerError.invalidInput("segments gone") }
            log.replace(with: [CleanedSegment(info: info, bytes: (cleaned as! Sink).bytes)])
            swaps += 1
        }
    }

    func discardCleanedSegment(_ cleaned: any CleanedSegmentSink) { lock.withLock { discarded += 1 } }
}

/// The background cleaner: choosing, cleaning, swapping, checkpointing, pausing.
@Suite struct CleanerDriverTests {
    typealias F = CleanerFixtures
    let t0: Int64 = 1_700_000_000_000

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eddy-cleaner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func fakeLog(_ name: String, keys: Int, records: Int, segments: Int = 4) throws -> FakeCleanableLog {
        var l = InMemoryLog(config: try F.config(), topicPartition: TopicPartition(name, 0))
        for s in 0 ..< segments {
            for i in 0 ..< records { l.append([.kv("k\(i % keys)", "\(s)-\(i)", ts: t0 + Int64(i))]) }
            l.roll()
        }
        l.append([.kv("active", "1", ts: t0)])
        return FakeCleanableLog(l)
    }

    @Test func cleansLogsDirtiestFirstAndPersistsCheckpoints() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try fakeLog("a", keys: 3, records: 10)
        let b = try fakeLog("b", keys: 3, records: 10)
        let logs: [any CleanableLog] = [b, a]
        let cleaner = LogCleaner(logDirectory: dir, clock: ManualClock(nowMs: t0)) { logs }
        #expect(cleaner.cleanOnce())
        #expect(a.swaps > 0)
        #expect(b.swaps == 0, "equal ratios: the lower partition goes first")
        #expect(try F.records(a.bytes).count == 4)
        #expect(cleaner.cleanOnce())
        #expect(b.swaps > 0)
        #expect(!cleaner.cleanOnce(), "both are clean now")
        let text = try String(contentsOfFile: dir + "/cleaner-offset-checkpoint", encoding: .utf8)
        #expect(text == "0\n2\na 0 40\nb 0 40\n")
        let reopened = LogCleaner(logDirectory: dir, clock: ManualClock(nowMs: t0)) { logs }
        #expect(reopened.checkpoints == [TopicPartition("a", 0): 40, TopicPartition("b", 0): 40])
        #expect(!reopened.cleanOnce())
    }

    @Test func failedLogIsMarkedUncleanableAndLeftIntact() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = try fakeLog("bad", keys: 2, records: 5)
        bad.log.segments[1].bytes[bad.log.segments[1].bytes.count - 3] ^= 1
        let before = bad.bytes
        let good = try fakeLog("good", keys: 2, records: 5)
        let logs: [any CleanableLog] = [bad, good]
        let cleaner = LogCleaner(logDirectory: dir, clock: ManualClock(nowMs: t0)) { logs }
        #expect(cleaner.cleanOnce())
        #expect(bad.bytes == before)
        #expect(cleaner.uncleanablePartitions == [TopicPartition("bad", 0)])
        #expect(cleaner.cleanOnce())
        #expect(good.swaps > 0)
        #expect(!cleaner.cleanOnce())
        #expect(bad.bytes == before)
    }

    @Test func abortAndPauseStopsARoundBeforeItSwaps() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try fakeLog("p", keys: 2, records: 20)
        let tp = log.topicPartition
        let before = log.bytes
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let first = NSLock()
        nonisolated(unsafe) var reads = 0
        log.readGate = {
            let n = first.withLock { reads += 1; return reads }
            if n == 1 { started.signal(); release.wait() }
        }
        let logs: [any CleanableLog] = [log]
        let cleaner = LogCleaner(logDirectory: dir, clock: ManualClock(nowMs: t0)) { logs }
        DispatchQueue.global().async {
            cleaner.cleanOnce()
            finished.signal()
        }
        started.wait()
        #expect(cleaner.requestAbortAndPause(tp) == .mustAwaitCleanerStop)
        #expect(cleaner.cleaningState(tp) == .aborted(pauses: 1))
        release.signal()
        cleaner.awaitPaused(tp)
        finished.wait()
        #expect(log.bytes == before)
        #expect(log.swaps == 0)
        #expect(cleaner.checkpoints[tp] == nil)
        #expect(cleaner.uncleanablePartitions.isEmpty)
        #expect(!cleaner.cleanOnce(), "paused")
        try cleaner.resume(tp)
        log.readGate = nil
        #expect(cleaner.cleanOnce())
        #expect(log.swaps > 0)
    }

    @Test func retentionPassKeepsTheCleanerAway() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try fakeLog("r", keys: 2, records: 5)
        let logs: [any CleanableLog] = [log]
        let cleaner = LogCleaner(logDirectory: dir, clock: ManualClock(nowMs: t0)) { logs }
        let config = log.log.config
        try cleaner.withRetentionPass([(log.topicPartition, config)]) { pass in
            #expect(pass.compacted == [log.topicPartition])
            #expect(!cleaner.cleanOnce())
        }
        #expect(cleaner.cleanOnce())
    }

    @Test func backgroundThreadCleansUntilShutdown() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try fakeLog("bg", keys: 2, records: 5)
        let logs: [any CleanableLog] = [log]
        let cleaner = LogCleaner(logDirectory: dir, clock: ManualClock(nowMs: t0), settings: .init(backoffMs: 60_000)) { logs }
        let round = DispatchSemaphore(value: 0)
        cleaner.onRoundFinished = { _, _ in round.signal() }
        cleaner.startup()
        #expect(round.wait(timeout: .now() + 30) == .success)
        cleaner.shutdown()
        #expect(log.swaps > 0)
        #expect(cleaner.checkpoints[log.topicPartition] == 20)
    }
}
