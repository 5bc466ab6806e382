import EddyProtocol
@testable import EddyStorage
import Testing

/// Randomized runs of appends, rolls, clock moves and cleaner rounds (through the manager,
/// as the background cleaner will run them), checked after every round against a model that
/// remembers every record ever appended.
@Suite struct CleanerModelTests {
    typealias F = CleanerFixtures
    let t0: Int64 = 1_700_000_000_000

    struct Model {
        /// Every record ever appended, by offset.
        var history: [Int64: Record] = [:]
        /// The last record appended per key.
        var latest: [[UInt8]: Record] = [:]
        /// Tombstone offset → delete horizon seen on its batch.
        var horizons: [Int64: Int64] = [:]
    }

    /// Batches of the whole log with their records.
    func batches(_ log: InMemoryLog) throws -> [(header: RecordBatchHeader, records: [Record])] {
        let bytes = log.allBytes
        return try MemoryRecords.batches(in: bytes).map { loc in
            let b = try RecordBatch(bytes: Array(bytes[loc.range]))
            try b.validate(records: false)
            return (b.header, try b.records())
        }
    }

    @Test(arguments: Array(UInt64(1) ... 24))
    func randomizedRunsMatchTheModel(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let deleteRetention = pick([0, 700, 3000] as [Int64])
        var log = InMemoryLog(config: try F.config([
            "cleanup.policy": pick(["compact", "compact,delete"]),
            "segment.bytes": String(pick([250, 600, 2000])),
            "delete.retention.ms": String(deleteRetention),
            "min.cleanable.dirty.ratio": pick(["0", "0.3", "0.5"]),
            "min.compaction.lag.ms": pick(["0", "0", "800"]),
        ]))
        let options = LogCompactor.Options(
            offsetMapMemoryLimit: pick([OffsetMap.memoryNeeded(keyCount: 6, totalKeyBytes: 24), 1 << 20]),
            ioBufferSize: pick([61, 300, 1 << 20]))
        let clock = ManualClock(nowMs: t0)
        var manager = LogCleanerManager()
        var model = Model()
        let ctx: Comment = "seed=\(seed)"
        var rounds = 0

        func appendRandom() {
            let n = Int(rng.next() % 4) + 1
            var recs: [TestRecord] = []
            for _ in 0 ..< n {
                let key = rng.next() % 25 == 0 ? nil : "k\(rng.next() % 12)"
                let value = rng.next() % 5 == 0 ? nil : "v\(rng.next() % 1000)"
                let headers = (0 ..< Int(rng.next() % 3)).map { RecordHeader(key: "h\($0)", value: rng.next() % 4 == 0 ? nil : [UInt8($0)]) }
                recs.append(.kv(key, value, ts: clock.nowMs() - Int64(rng.next() % 50), headers: headers))
            }
            let first = log.append(recs)
            for (i, r) in recs.enumerated() {
                let rec = Record(offset: first + Int64(i), timestamp: r.timestamp, key: F.bytes(r.key), value: F.bytes(r.value),
                                 headers: r.headers)
                model.history[rec.offset] = rec
                if let k = rec.key { model.latest[k] = rec }
            }
        }

        func cleanAndCheck(upperBound: Int64? = nil) throws {
            let before = try batches(log)
            let active = log.segments.last!
            let now = clock.nowMs()
            guard let result = try log.runCleaner(&manager, now: now, options: options, upperBound: upperBound) else { return }
            rounds += 1
            let after = try batches(log)
            let records = after.flatMap(\.records)
            #expect(log.segments.last!.bytes == active.bytes, "active segment untouched, seed=\(seed)")
            #expect(result.endOffset <= active.baseOffset, ctx)
            if let upperBound { #expect(result.segments.allSatisfy { $0.info.nextOffset ?? 0 <= upperBound }, ctx) }

            // Offsets strictly increase, batches do not overlap, each segment's offsets stay below the next base.
            #expect(zip(after, after.dropFirst()).allSatisfy { $0.header.lastOffset < $1.header.baseOffset }, ctx)
            for (i, s) in log.segments.enumerated() {
                let end = i + 1 < log.segments.count ? log.segments[i + 1].baseOffset : Int64.max
                #expect(try F.headers(s.bytes).allSatisfy { $0.baseOffset >= s.baseOffset && $0.lastOffset < end }, ctx)
            }
            // Every survivor is exactly a record that was appended at that offset.
            for r in records { #expect(model.history[r.offset] == r, "offset \(r.offset), seed=\(seed)") }

            // The newest record of each key is always readable; a deleted key may vanish entirely.
            var lastSeen: [[UInt8]: Record] = [:]
            for r in records { if let k = r.key { lastSeen[k] = r } }
            for (k, rec) in model.latest {
                if rec.value == nil {
                    #expect(lastSeen[k] == nil || lastSeen[k] == rec, "key \(k), seed=\(seed)")
                } else {
                    #expect(lastSeen[k] == rec, "key \(k), seed=\(seed)")
                }
            }
            // Below the checkpoint each key appears at most once, and no keyless record remains.
            let checkpoint = manager.checkpoints[log.topicPartition] ?? 0
            let cleaned = records.filter { $0.offset < checkpoint }
            #expect(cleaned.allSatisfy { $0.key != nil }, ctx)
            #expect(Set(cleaned.compactMap(\.key)).count == cleaned.count, ctx)

            // Tombstones: a horizon is set on first clean to now + delete.retention.ms; a
            // tombstone that is still its key's newest record survives until the horizon.
            let stillThere = Set(records.map(\.offset))
            for (h, recs) in before {
                for r in recs where r.value == nil && model.latest[r.key ?? []]?.offset == r.offset {
                    let horizon = h.attributes.hasDeleteHorizon ? h.baseTimestamp : nil
                    if horizon == nil || now < horizon! { #expect(stillThere.contains(r.offset), "tombstone \(r.offset), seed=\(seed)") }
                }
            }
            for (h, recs) in after where h.attributes.hasDeleteHorizon {
                for r in recs where r.value == nil {
                    if let known = model.horizons[r.offset] {
                        #expect(known == h.baseTimestamp, ctx)
                    } else {
                        #expect(h.baseTimestamp == now + deleteRetention, "new horizon, seed=\(seed)")
                        model.horizons[r.offset] = h.baseTimestamp
                    }
                }
            }
        }

        for _ in 0 ..< 160 {
            switch rng.next() % 10 {
            case 0 ... 4: appendRandom()
            case 5: clock.advance(ms: Int64(rng.next() % 1500))
            case 6: log.roll()
            case 7: try cleanAndCheck(upperBound: log.logStartOffset + Int64(rng.next() % UInt64(log.logEndOffset + 1)))
            default: try cleanAndCheck()
            }
        }

        // Drain: keep adding a little data and letting time pass until every round covers
        // the whole log twice; then the log holds exactly the live value of every key.
        log.config.minCleanableDirtyRatio = 0
        var settled = 0
        for i in 0 ..< 200 where settled < 2 {
            log.append([.kv("sentinel", "\(i)", ts: clock.nowMs())])
            model.latest[F.bytes("sentinel")!] = Record(offset: log.logEndOffset - 1, timestamp: clock.nowMs(),
                                                        key: F.bytes("sentinel"), value: F.bytes("\(i)"))
            model.history[log.logEndOffset - 1] = model.latest[F.bytes("sentinel")!]
            log.roll()
            clock.advance(ms: max(deleteRetention, log.config.minCompactionLagMs) + 1)
            try cleanAndCheck()
            settled = manager.checkpoints[log.topicPartition] == log.segments.last!.baseOffset ? settled + 1 : 0
        }
        #expect(settled == 2, ctx)
        let inactive = try F.records(log.segments.dropLast().flatMap(\.bytes))
        let live = model.latest.filter { $0.value.value != nil }
        #expect(inactive.allSatisfy { $0.value != nil }, "no tombstone outlives its horizon, seed=\(seed)")
        #expect(inactive.count == live.count, ctx)
        #expect(Dictionary(inactive.map { ($0.key!, $0) }) { a, _ in a } == live, ctx)
        #expect(rounds > 3, ctx)
    }
}
