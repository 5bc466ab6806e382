@testable import EddyStorage
import Testing

private func e(_ epoch: Int32, _ start: Int64) -> LeaderEpochEntry { LeaderEpochEntry(epoch: epoch, startOffset: start) }

private func cache(_ assigns: [(Int32, Int64)]) -> LeaderEpochCache {
    var c = LeaderEpochCache()
    for (epoch, start) in assigns { c.assign(epoch: epoch, startOffset: start) }
    return c
}

private func pair(_ r: (epoch: Int32, endOffset: Int64)) -> [Int64] { [Int64(r.epoch), r.endOffset] }

private let undefined: [Int64] = [-1, -1]

/// The behaviours Kafka's LeaderEpochFileCacheTest pins down, one case each.
@Suite struct LeaderEpochCacheKafkaCases {
    @Test func assignRecordsEpochAndLatestReturnsLogEnd() {
        let c = cache([(2, 10)])
        #expect(c.latestEpoch == 2)
        #expect(c.entries == [e(2, 10)])
        #expect(pair(c.endOffset(for: 2, logEndOffset: 11)) == [2, 11])
    }

    @Test func reassigningTheLatestEpochLaterDoesNotMoveItsStart() {
        var c = cache([(2, 9)])
        let changed = c.assign(epoch: 2, startOffset: 10)
        #expect(!changed)
        #expect(c.entries == [e(2, 9)])
        #expect(pair(cache([(2, 11), (2, 12)]).endOffset(for: 2, logEndOffset: 14)) == [2, 14])
    }

    @Test func newEpochAtTheSameOrEarlierOffsetReplacesOlderEntries() {
        #expect(cache([(2, 9), (3, 9)]).entries == [e(3, 9)])
        #expect(cache([(2, 6), (3, 5)]).entries == [e(3, 5)])
    }

    @Test func latestEpochAtAnEarlierOffsetTruncatesEverythingFromThere() {
        let c = cache([(5, 11), (6, 12), (7, 13), (7, 12)])
        #expect(c.entries == [e(5, 11), e(7, 12)])
        #expect(pair(c.endOffset(for: 5, logEndOffset: 0)) == [5, 12])
        #expect(pair(c.endOffset(for: 6, logEndOffset: 0)) == [5, 12])
    }

    @Test func olderEpochTruncatesNewerHistory() {
        let c = cache([(1, 5), (2, 6), (1, 7)])
        #expect(c.latestEpoch == 1)
        #expect(c.entries == [e(1, 7)])
        #expect(pair(c.endOffset(for: 1, logEndOffset: 8)) == [1, 8])
        #expect(pair(c.endOffset(for: 2, logEndOffset: 8)) == undefined)
    }

    @Test func undefinedAnswers() {
        #expect(pair(LeaderEpochCache().endOffset(for: 0, logEndOffset: 0)) == undefined)
        #expect(pair(LeaderEpochCache().endOffset(for: -1, logEndOffset: 73)) == undefined)
        #expect(pair(LeaderEpochCache().endOffset(for: 7, logEndOffset: 0)) == undefined)
        #expect(pair(cache([(2, 11), (3, 12)]).endOffset(for: -1, logEndOffset: 0)) == undefined)
        // Above the latest known epoch.
        #expect(pair(cache([(2, 100)]).endOffset(for: 3, logEndOffset: 100)) == undefined)
    }

    @Test func epochBelowTheFirstKnownEndsWhereTheFirstStarts() {
        #expect(pair(cache([(5, 11), (6, 12), (7, 13)]).endOffset(for: 4, logEndOffset: 0)) == [4, 11])
    }

    @Test func earlierEpochEndsWhereTheNextStarts() {
        let c = cache([(1, 11), (1, 12), (2, 13), (2, 14), (3, 15), (3, 16)])
        #expect(pair(c.endOffset(for: 2, logEndOffset: 17)) == [2, 15])
    }

    @Test func unknownEpochAnswersWithTheLargestKnownBelowIt() {
        let c = cache([(0, 10), (2, 13), (4, 17)])
        #expect(pair(c.endOffset(for: 1, logEndOffset: 0)) == [0, 13])
        #expect(pair(c.endOffset(for: 2, logEndOffset: 0)) == [2, 17])
        #expect(pair(c.endOffset(for: 3, logEndOffset: 0)) == [2, 17])
    }

    @Test func epochsNeedNotStartAtZero() {
        let c = cache([(2, 6)])
        #expect(pair(c.endOffset(for: 2, logEndOffset: 7)) == [2, 7])
        #expect(c.entries == [e(2, 6)])
    }

    @Test func leaderChangesWithoutDataInBetween() {
        let c = cache([(0, 0), (1, 0)])
        #expect(c.entries == [e(1, 0)])
        #expect(pair(c.endOffset(for: 1, logEndOffset: 0)) == [1, 0])
        #expect(pair(c.endOffset(for: 0, logEndOffset: 0)) == [0, 0])
        #expect(pair(c.endOffset(for: 1, logEndOffset: 5)) == [1, 5])
        var d = c
        d.assign(epoch: 2, startOffset: 5)
        #expect(pair(d.endOffset(for: 2, logEndOffset: 10)) == [2, 10])
        #expect(pair(d.endOffset(for: 1, logEndOffset: 10)) == [1, 5])
        #expect(pair(d.endOffset(for: 0, logEndOffset: 10)) == [0, 0])
    }

    @Test func followerReceivingManyBatches() {
        var c = LeaderEpochCache()
        for (epoch, start) in [(0, 0), (0, 1), (0, 2), (1, 3), (1, 4), (1, 5), (2, 6), (2, 7), (2, 8)] as [(Int32, Int64)] {
            c.assign(epoch: epoch, startOffset: start)
        }
        #expect(c.entries == [e(0, 0), e(1, 3), e(2, 6)])
        #expect(pair(c.endOffset(for: 2, logEndOffset: 9)) == [2, 9])
        #expect(pair(c.endOffset(for: 0, logEndOffset: 9)) == [0, 3])
        #expect(pair(c.endOffset(for: 1, logEndOffset: 9)) == [1, 6])
    }

    @Test func truncateFromEnd() {
        var c = cache([(2, 6), (3, 8), (4, 11)])
        c.truncateFromEnd(8)
        #expect(c.entries == [e(2, 6)])
        c = cache([(2, 6), (3, 8), (4, 11)])
        c.truncateFromEnd(9)
        #expect(c.entries == [e(2, 6), e(3, 8)])
        let changed = c.truncateFromEnd(-1)
        #expect(!changed)
        #expect(c.entries.count == 2)
        var empty = LeaderEpochCache()
        let emptyChanged = empty.truncateFromEnd(7)
        #expect(!emptyChanged)
    }

    @Test func truncateFromStart() {
        let base = cache([(2, 6), (3, 8), (4, 11)])
        func after(_ offset: Int64) -> [LeaderEpochEntry] {
            var c = base
            c.truncateFromStart(offset)
            return c.entries
        }
        #expect(after(8) == [e(3, 8), e(4, 11)])
        #expect(after(1) == base.entries)
        #expect(after(6) == base.entries)
        #expect(after(11) == [e(4, 11)])
        #expect(after(9) == [e(3, 9), e(4, 11)])
        #expect(after(15) == [e(4, 15)])
        #expect(after(-1) == base.entries)
        var c = cache([(0, 0), (1, 7), (2, 10)])
        c.truncateFromStart(5)
        #expect(c.entries == [e(0, 5), e(1, 7), e(2, 10)])
        var empty = LeaderEpochCache()
        let emptyChanged = empty.truncateFromStart(7)
        #expect(!emptyChanged)
    }

    @Test func clearAndNegativeInputs() {
        var c = cache([(2, 6), (3, 8)])
        let a = c.assign(epoch: -1, startOffset: 9)
        let b = c.assign(epoch: 4, startOffset: -1)
        #expect(!a && !b)
        #expect(c.entries == [e(2, 6), e(3, 8)])
        c.clear()
        #expect(c.isEmpty && c.latestEpoch == nil)
    }
}

/// Every operation against a declarative statement of its result, from every cache reachable
/// with small epochs and offsets, plus the meaning of `endOffset` checked offset by offset.
@Suite struct LeaderEpochCacheExhaustive {
    static let epochs: [Int32] = [0, 1, 2, 3]
    static let offsets: [Int64] = [0, 1, 2, 3, 4, 5]

    enum Op: CustomStringConvertible {
        case assign(Int32, Int64), fromEnd(Int64), fromStart(Int64)
        var description: String {
            switch self {
            case let .assign(ep, s): "assign(\(ep), \(s))"
            case let .fromEnd(o): "truncateFromEnd(\(o))"
            case let .fromStart(o): "truncateFromStart(\(o))"
            }
        }
    }

    static var allOps: [Op] {
        epochs.flatMap { ep in offsets.map { Op.assign(ep, $0) } } + offsets.map(Op.fromEnd) + offsets.map(Op.fromStart)
    }

    static func apply(_ op: Op, _ c: inout LeaderEpochCache) -> Bool {
        switch op {
        case let .assign(ep, s): c.assign(epoch: ep, startOffset: s)
        case let .fromEnd(o): c.truncateFromEnd(o)
        case let .fromStart(o): c.truncateFromStart(o)
        }
    }

    /// What each operation must produce, stated without reference to how it is done.
    static func expected(_ op: Op, _ before: [LeaderEpochEntry]) -> [LeaderEpochEntry] {
        switch op {
        case let .assign(ep, s):
            if let last = before.last, last.epoch == ep, s >= last.startOffset { return before }
            return before.filter { $0.epoch < ep && $0.startOffset < s } + [e(ep, s)]
        case let .fromEnd(o):
            return before.filter { $0.startOffset < o }
        case let .fromStart(o):
            guard let covering = before.last(where: { $0.startOffset <= o }) else { return before }
            return [e(covering.epoch, o)] + before.filter { $0.startOffset > o }
        }
    }

    /// Every cache reachable from empty in up to `depth` operations.
    static func reachable(depth: Int) -> [LeaderEpochCache] {
        var seen: Set<[LeaderEpochEntry]> = [[]]
        var frontier = [LeaderEpochCache()]
        var all = frontier
        for _ in 0 ..< depth {
            var next: [LeaderEpochCache] = []
            for c in frontier {
                for op in allOps {
                    var d = c
                    _ = apply(op, &d)
                    if seen.insert(d.entries).inserted { next.append(d); all.append(d) }
                }
            }
            frontier = next
        }
        return all
    }

    @Test func everyOperationMatchesItsStatementAndKeepsTheInvariant() {
        let states = Self.reachable(depth: 4)
        #expect(states.count > 100)
        for c in states {
            #expect(c.checkInvariants().isEmpty, "\(c.entries)")
            for op in Self.allOps {
                var d = c
                let changed = Self.apply(op, &d)
                let want = Self.expected(op, c.entries)
                #expect(d.entries == want, "\(c.entries) \(op)")
                #expect(changed == (want != c.entries), "\(c.entries) \(op) reported changed=\(changed)")
                #expect(d.checkInvariants().isEmpty, "\(c.entries) \(op)")
            }
        }
    }

    /// For every offset a known epoch wrote, `endOffset(for: thatEpoch)` names that epoch and
    /// ends exactly where the next epoch begins (or at the log end); for every epoch in between
    /// or below, the answer is the largest known epoch below it and the next one's start.
    @Test func endOffsetMeansWhereTheEpochEnded() {
        for c in Self.reachable(depth: 4) where !c.isEmpty {
            let entries = c.entries
            let leo = entries.last!.startOffset + 2
            for r in Int32(-1) ... 5 {
                let (epoch, end) = c.endOffset(for: r, logEndOffset: leo)
                let known = entries.filter { $0.epoch <= r }
                let later = entries.first { $0.epoch > r }
                if r < 0 || r > entries.last!.epoch {
                    #expect(epoch == -1 && end == -1, "\(entries) r=\(r)")
                } else if r == entries.last!.epoch {
                    #expect(epoch == r && end == leo, "\(entries) r=\(r)")
                } else {
                    #expect(epoch == (known.last?.epoch ?? r), "\(entries) r=\(r)")
                    #expect(end == later!.startOffset, "\(entries) r=\(r)")
                }
            }
            // Offset by offset: the writer of `o` is the epoch whose range holds it.
            for o in entries[0].startOffset ..< leo {
                let writer = c.epoch(forOffset: o)!
                let (epoch, end) = c.endOffset(for: writer, logEndOffset: leo)
                #expect(epoch == writer && end > o, "\(entries) offset \(o)")
                #expect(end == leo || c.epoch(forOffset: end) != writer, "\(entries) offset \(o)")
            }
        }
    }

    @Test func checkpointRoundTripsEveryReachableCache() throws {
        for c in Self.reachable(depth: 3) {
            let bytes = LeaderEpochCheckpointFile.encode(c.entries)
            #expect(try LeaderEpochCheckpointFile.decode(bytes) == c.entries)
        }
    }
}
