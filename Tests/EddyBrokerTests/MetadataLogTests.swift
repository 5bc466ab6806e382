import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Drives a metadata log with random DDL through the controller, remembering every record
/// appended so the image can be rebuilt by a plain full replay.
struct DDLDriver {
    let controller = Controller(brokerIds: [0])
    var g: TestRandom
    var appended: [MetadataRecord] = []

    init(seed: UInt64) { g = TestRandom(seed: seed) }

    static let names = ["a", "b", "c.d", "c_d", "orders", "events", "x-y"]

    /// One random create, delete or alter; requests the controller rejects are skipped.
    mutating func step(_ log: MetadataLog) throws {
        let image = log.image
        let name = Self.names.randomElement(using: &g)!
        var records: [MetadataRecord]
        do {
            switch Int.random(in: 0 ..< 10, using: &g) {
            case 0 ..< 5:
                var configs: [String: String] = [:]
                if Bool.random(using: &g) { configs["retention.ms"] = String(Int.random(in: 1 ... 1_000_000, using: &g)) }
                if Bool.random(using: &g) { configs["cleanup.policy"] = ["compact", "delete", "compact,delete"].randomElement(using: &g)! }
                records = try controller.createTopic(name: name, partitions: Int32.random(in: 1 ... 4, using: &g), replicationFactor: 1,
                                                     configs: configs, topicId: Uuid.random(using: &g), image: image).records
            case 5 ..< 7:
                records = try controller.deleteTopic(name: name, image: image)
            default:
                records = try controller.alterConfigs(topic: name, set: ["segment.ms": String(Int.random(in: 1 ... 99, using: &g))],
                                                      delete: Bool.random(using: &g) ? ["retention.ms"] : [], image: image)
            }
        } catch { return }
        guard !records.isEmpty else { return }
        try log.append(records)
        appended += records
    }

    /// The image a full replay of everything appended gives.
    func fullReplay() throws -> MetadataImage {
        var image = MetadataImage()
        for r in appended { try image.apply(r) }
        image.offset = Int64(appended.count) - 1
        return image
    }
}

@Suite struct MetadataLogTests {
    let clock = ManualClock()

    func open(_ dir: TempDirectory, _ settings: MetadataLog.Settings = smallMetadataSettings()) throws -> MetadataLog {
        try MetadataLog(directory: dir.file("__cluster_metadata-0"), settings: settings, clock: clock)
    }

    func snapshots(_ dir: TempDirectory) -> [String] {
        listDirectory(dir.file("__cluster_metadata-0")).filter { $0.contains(".checkpoint") }
    }

    @Test func appendIsDurableAndReplayedOnOpen() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        let log = try open(dir, MetadataLog.Settings())
        let id = Uuid(mostSignificantBits: 5, leastSignificantBits: 5)
        let range = try log.append([.topic(TopicRecord(name: "t", topicId: id)),
                                    .partition(PartitionRecord(partitionId: 0, topicId: id, replicas: [0], isr: [0], leader: 0))])
        #expect(range == 0 ... 1)
        #expect(log.image.offset == 1)
        // A crash right after append: the records were fsynced.
        log.closeWithoutFlush()
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image == log.image)
        #expect(reopened.logEndOffset == 2)
        #expect(throws: BrokerError.brokerClosed) { try log.append([.noOp]) }
    }

    @Test func writtenRecordsReachTheCommittedImageOnlyWhenMarkedAfterAnFsync() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        let log = try open(dir, MetadataLog.Settings())
        let a = Uuid(mostSignificantBits: 1, leastSignificantBits: 1), b = Uuid(mostSignificantBits: 2, leastSignificantBits: 2)
        #expect(log.pendingCommit == nil)
        #expect(try log.write([.topic(TopicRecord(name: "a", topicId: a))]) == 0 ... 0)
        // Written: the controller's image has it, the committed one does not.
        #expect(log.latestImage.topic(named: "a") != nil)
        #expect(log.image.topic(named: "a") == nil)
        #expect(log.image.offset == -1)
        let first = try #require(log.pendingCommit)
        #expect(first.offset == 0)
        try log.write([.topic(TopicRecord(name: "b", topicId: b))])
        let second = try #require(log.pendingCommit)
        try log.syncWritten()
        log.markCommitted(second)
        #expect(log.image == log.latestImage)
        #expect(log.image.topic(named: "b") != nil)
        #expect(log.pendingCommit == nil)
        // An older pending image never replaces a newer committed one.
        log.markCommitted(first)
        #expect(log.image.offset == 1)
        #expect(log.image.topic(named: "b") != nil)
        // After a failed fsync nothing more is published, and nothing more is written.
        try log.write([.noOp])
        log.markFailed(.storage(.io(operation: "fsync", path: "test", errno: EIO)))
        #expect(log.pendingCommit == nil)
        #expect(throws: BrokerError.self) { try log.write([.noOp]) }
        // What was synced is replayed on open.
        log.closeWithoutFlush()
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image.topic(named: "a") != nil && reopened.image.topic(named: "b") != nil)
    }

    @Test func aSnapshotHoldsTheCommittedImageAndItsTimestamp() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        let log = try open(dir, MetadataLog.Settings())
        clock.set(ms: 1000)
        try log.append([.topic(TopicRecord(name: "a", topicId: Uuid(mostSignificantBits: 1, leastSignificantBits: 1)))])
        clock.set(ms: 2000)
        try log.write([.topic(TopicRecord(name: "b", topicId: Uuid(mostSignificantBits: 2, leastSignificantBits: 2)))])
        try log.snapshot()
        let (endOffset, epoch) = try #require(log.latestSnapshot)
        #expect(endOffset == 1)
        let file = dir.file("__cluster_metadata-0") + "/" + MetadataSnapshot.fileName(endOffset: endOffset, epoch: epoch)
        let snapshot = try MetadataSnapshot(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: file))), endOffset: endOffset, epoch: epoch)
        #expect(snapshot.lastContainedLogTimestamp == 1000)
        #expect(try snapshot.image().topic(named: "b") == nil)
    }

    @Test func aRecordThatDoesNotApplyIsNotAppended() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        let log = try open(dir)
        #expect(throws: BrokerError.self) {
            try log.append([.noOp, .removeTopic(RemoveTopicRecord(topicId: Uuid(mostSignificantBits: 1, leastSignificantBits: 1)))])
        }
        #expect(log.logEndOffset == 0)
        #expect(log.image == MetadataImage())
        #expect(throws: BrokerError.invalidRequest("an empty metadata batch")) { try log.append([]) }
    }

    /// The heart of KIP-630: for random DDL histories, snapshot + replay of the tail gives the
    /// same image as replaying everything, at every reopen.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func snapshotPlusReplayEqualsFullReplay(seed: UInt64) throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: seed)
        var log = try open(dir, smallMetadataSettings(records: Int(seed % 4) + 3))
        var reopenings = 0
        for step in 0 ..< 120 {
            try driver.step(log)
            if step % 17 == 16 {
                if step % 2 == 0 { try log.close() } else { log.closeWithoutFlush() }
                log = try open(dir, smallMetadataSettings(records: Int(seed % 4) + 3))
                reopenings += 1
            }
            #expect(log.image == (try driver.fullReplay()), "seed=\(seed) step=\(step)")
        }
        // Snapshots were taken, older ones removed, and the covered log prefix deleted.
        #expect(snapshots(dir).count == 1, "seed=\(seed)")
        #expect(log.latestSnapshot != nil, "seed=\(seed)")
        #expect(log.logStartOffset > 0, "seed=\(seed)")
        #expect(reopenings == 7)
        log.closeWithoutFlush()
        let last = try open(dir, smallMetadataSettings(records: 1000))
        #expect(last.image == (try driver.fullReplay()), "seed=\(seed)")
        #expect(last.image.invariantViolation == nil)
    }

    @Test func tornTailIsTruncatedAndTheOperationIsLostWhole() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 42)
        let log = try open(dir, MetadataLog.Settings())
        let controller = Controller(brokerIds: [0])
        for name in ["one", "two", "three"] {
            let r = try controller.createTopic(name: name, partitions: 3, replicationFactor: 1, configs: [:],
                                               topicId: Uuid.random(using: &driver.g), image: log.image)
            try log.append(r.records)
        }
        log.closeWithoutFlush()
        let segment = dir.file("__cluster_metadata-0/00000000000000000000.log")
        let size = fileBytes(segment).count
        // Cut the last batch (topic "three": 4 records) in the middle.
        truncateFile(segment, to: size - 10)
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image.topicNames == ["one", "two"])
        #expect(reopened.logEndOffset == 8)
        // Appends continue from the recovered end.
        try reopened.append([.noOp])
        #expect(reopened.image.offset == 8)
    }

    @Test func leftoverPartialSnapshotIsRemovedAndIgnored() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 5)
        let log = try open(dir, MetadataLog.Settings())
        for _ in 0 ..< 30 { try driver.step(log) }
        log.closeWithoutFlush()
        // A crash while writing a snapshot leaves a .part file with garbage or a prefix.
        let endOffset = log.image.offset + 1
        let name = MetadataSnapshot.fileName(endOffset: endOffset, epoch: 0)
        let full = MetadataSnapshot(image: log.image, endOffset: endOffset, epoch: 0, lastContainedLogTimestamp: 0).encoded()
        writeFile(dir.file("__cluster_metadata-0/\(name).part"), Array(full.prefix(full.count / 2)))
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image == (try driver.fullReplay()))
        #expect(snapshots(dir).isEmpty)
        #expect(reopened.latestSnapshot == nil)
    }

    @Test func corruptNewestSnapshotFallsBackToAnOlderOne() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 6)
        let log = try open(dir, MetadataLog.Settings())
        for _ in 0 ..< 20 { try driver.step(log) }
        try log.snapshot()
        let older = snapshots(dir)
        #expect(older.count == 1)
        let olderBytes = fileBytes(dir.file("__cluster_metadata-0/\(older[0])"))
        for _ in 0 ..< 20 { try driver.step(log) }
        try log.snapshot()
        let newer = snapshots(dir)
        #expect(newer.count == 1 && newer != older)
        log.closeWithoutFlush()
        // As if the crash came after the new snapshot's rename but before the old one was
        // removed, and then the new one got damaged: the old one plus the log must do.
        writeFile(dir.file("__cluster_metadata-0/\(older[0])"), olderBytes)
        var damaged = fileBytes(dir.file("__cluster_metadata-0/\(newer[0])"))
        damaged[damaged.count / 2] ^= 0xFF
        writeFile(dir.file("__cluster_metadata-0/\(newer[0])"), damaged)
        // The log prefix before the newer snapshot may already be gone; only segments wholly
        // below it are deleted, and the log here is one segment, so it is all still there.
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image == (try driver.fullReplay()))
        #expect(reopened.latestSnapshot?.endOffset == MetadataSnapshot.parseFileName(older[0])!.endOffset)
        #expect(snapshots(dir).sorted() == [older[0], newer[0].replacingOccurrences(of: ".checkpoint", with: ".checkpoint.corrupt")].sorted())
    }

    @Test func snapshotCutAtABatchBoundaryIsRejectedInFavourOfFullReplay() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 8)
        let log = try open(dir, MetadataLog.Settings())
        for _ in 0 ..< 25 { try driver.step(log) }
        try log.snapshot()
        log.closeWithoutFlush()
        let path = dir.file("__cluster_metadata-0/\(snapshots(dir)[0])")
        let bytes = fileBytes(path)
        let lastBatch = try MemoryRecords.batches(in: bytes).last!
        writeFile(path, Array(bytes[..<lastBatch.position]))  // footer gone, every CRC still fine
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image == (try driver.fullReplay()))
        #expect(reopened.latestSnapshot == nil)
    }

    @Test func lostLogPrefixWithoutAValidSnapshotFailsLoudly() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 9)
        let log = try open(dir)  // small segments and frequent snapshots
        for _ in 0 ..< 60 { try driver.step(log) }
        #expect(log.logStartOffset > 0)
        log.closeWithoutFlush()
        for name in snapshots(dir) { try FileManager.default.removeItem(atPath: dir.file("__cluster_metadata-0/\(name)")) }
        #expect { try open(dir) } throws: { error in
            guard case let .corruptMetadata(m) = error as! BrokerError else { return false }
            return m.contains("no valid snapshot exists")
        }
    }

    @Test func snapshotAheadOfTheLogRestartsTheLogAtTheSnapshot() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 10)
        let log = try open(dir, MetadataLog.Settings())
        for _ in 0 ..< 30 { try driver.step(log) }
        try log.snapshot()
        let snapshotEnd = log.latestSnapshot!.endOffset
        log.closeWithoutFlush()
        // The disk lost fsynced log data: the whole segment is gone.
        for name in listDirectory(dir.file("__cluster_metadata-0")) where !name.contains(".checkpoint") {
            try FileManager.default.removeItem(atPath: dir.file("__cluster_metadata-0/\(name)"))
        }
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image == (try driver.fullReplay()))
        #expect(reopened.logEndOffset == snapshotEnd)
        // New records get offsets after the snapshot and survive another reopen.
        try driver.step(reopened)
        while reopened.logEndOffset == snapshotEnd { try driver.step(reopened) }
        reopened.closeWithoutFlush()
        #expect(try open(dir, MetadataLog.Settings()).image == (try driver.fullReplay()))
    }

    @Test func snapshotIsSkippedWhenNothingChanged() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        let log = try open(dir, MetadataLog.Settings())
        try log.snapshot()  // empty log: nothing to snapshot
        #expect(snapshots(dir).isEmpty)
        try log.append([.noOp])
        try log.snapshot()
        try log.snapshot()
        #expect(snapshots(dir) == ["00000000000000000001-0000000000.checkpoint"])
    }

    @Test func crashAfterSnapshotRenameBeforeOlderSnapshotsAreRemoved() throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: 12)
        let log = try open(dir, MetadataLog.Settings())
        for _ in 0 ..< 10 { try driver.step(log) }
        try log.snapshot()
        let older = snapshots(dir)[0]
        let olderBytes = fileBytes(dir.file("__cluster_metadata-0/\(older)"))
        for _ in 0 ..< 10 { try driver.step(log) }
        try log.snapshot()
        log.closeWithoutFlush()
        writeFile(dir.file("__cluster_metadata-0/\(older)"), olderBytes)
        #expect(snapshots(dir).count == 2)
        let reopened = try open(dir, MetadataLog.Settings())
        #expect(reopened.image == (try driver.fullReplay()))
        #expect(snapshots(dir).count == 1 && snapshots(dir)[0] != older)
    }

    /// Random crash states: the log's last segment cut anywhere, a half-written `.part`
    /// snapshot, an older snapshot not yet removed. Reopening must give the image as of some
    /// completed operation, never a mix, and appends must continue.
    @Test(arguments: Array(1 ... 12) as [UInt64])
    func randomCrashStatesReopenToAPrefixOfHistory(seed: UInt64) throws {
        let dir = TempDirectory("mlog")
        defer { dir.cleanup() }
        var driver = DDLDriver(seed: seed &* 7919)
        var g = TestRandom(seed: seed)
        let settings = smallMetadataSettings(records: 6)
        let log = try open(dir, settings)
        var history: [MetadataImage] = [log.image]
        var savedSnapshot: (name: String, bytes: [UInt8])?
        for _ in 0 ..< Int.random(in: 10 ... 80, using: &g) {
            try driver.step(log)
            if history.last != log.image { history.append(log.image) }
            if savedSnapshot == nil, let s = snapshots(dir).first, Bool.random(using: &g) {
                savedSnapshot = (s, fileBytes(dir.file("__cluster_metadata-0/\(s)")))
            }
        }
        log.closeWithoutFlush()
        let mdir = dir.file("__cluster_metadata-0")
        let segments = listDirectory(mdir).filter { $0.hasSuffix(".log") }
        let last = mdir + "/" + segments.last!
        let size = fileBytes(last).count
        if size > 0, Bool.random(using: &g) { truncateFile(last, to: Int.random(in: 0 ..< size, using: &g)) }
        if Bool.random(using: &g) {
            let junk = (0 ..< Int.random(in: 0 ... 300, using: &g)).map { _ in UInt8.random(in: 0 ... 255, using: &g) }
            writeFile(mdir + "/" + MetadataSnapshot.fileName(endOffset: 999_999, epoch: 0) + ".part", junk)
        }
        if let saved = savedSnapshot, Bool.random(using: &g) { writeFile(mdir + "/" + saved.name, saved.bytes) }

        let reopened = try open(dir, settings)
        var image = reopened.image
        image.offset = -1
        #expect(history.contains { var h = $0; h.offset = -1; return h == image }, "seed=\(seed)")
        #expect(!listDirectory(mdir).contains { $0.hasSuffix(".part") }, "seed=\(seed)")
        #expect(reopened.log.checkInvariants().isEmpty, "seed=\(seed)")
        let before = reopened.image
        try reopened.append([.noOp])
        reopened.closeWithoutFlush()
        let again = try open(dir, settings)
        var expected = before
        expected.offset = again.logEndOffset - 1
        #expect(again.image == expected, "seed=\(seed)")
    }
}
