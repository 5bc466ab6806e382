import EddyProtocol
@testable import EddyStorage
import Testing

/// Grouping segments so each group is cleaned into one segment that fits segment.bytes.
@Suite struct CleanerGroupingTests {
    typealias F = CleanerFixtures

    func seg(_ base: Int64, size: Int, index: Int = 0, timeIndex: Int = 0) -> CleanerSegment {
        CleanerSegment(baseOffset: base, sizeInBytes: size, largestTimestamp: 0, offsetIndexSizeInBytes: index,
                       timeIndexSizeInBytes: timeIndex) { _, _ in [] }
    }

    /// Every size pattern of up to five segments (sizes 0...3) against every limit 1...7:
    /// groups partition the input in order, stay within the limit (a lone segment may exceed
    /// it), and are greedy (the next segment would not have fit).
    @Test func groupsAreOrderedWithinLimitAndGreedy() {
        var patterns: [[Int]] = [[]]
        for _ in 0 ..< 5 { patterns += patterns.filter { $0.count == patterns.last!.count }.flatMap { p in (0 ... 3).map { p + [$0] } } }
        for sizes in patterns where !sizes.isEmpty {
            let segs = sizes.enumerated().map { seg(Int64($0.offset * 10), size: $0.element) }
            for limit in 1 ... 7 {
                let groups = LogCompactor.groupSegmentsBySize(segs, maxSize: limit, maxIndexSize: .max, firstUncleanableOffset: 1000)
                #expect(groups.flatMap { $0.map(\.baseOffset) } == segs.map(\.baseOffset), "\(sizes) \(limit)")
                var next = 0
                for g in groups {
                    let total = g.reduce(0) { $0 + $1.sizeInBytes }
                    #expect(g.count == 1 || total <= limit, "\(sizes) \(limit)")
                    next += g.count
                    if next < segs.count { #expect(total + segs[next].sizeInBytes > limit, "\(sizes) \(limit) not greedy") }
                }
            }
        }
    }

    @Test func indexSizesLimitGroupsToo() {
        let segs = (0 ..< 4).map { seg(Int64($0 * 10), size: 1, index: 40, timeIndex: 10) }
        #expect(LogCompactor.groupSegmentsBySize(segs, maxSize: 100, maxIndexSize: 80, firstUncleanableOffset: 40).map(\.count) == [2, 2])
        let timeHeavy = (0 ..< 4).map { seg(Int64($0 * 10), size: 1, index: 1, timeIndex: 50) }
        #expect(LogCompactor.groupSegmentsBySize(timeHeavy, maxSize: 100, maxIndexSize: 100, firstUncleanableOffset: 40).map(\.count) == [2, 2])
    }

    @Test func offsetsOfAGroupSpanAtMostInt32Max() {
        let big = Int64(Int32.max)
        let segs = [seg(0, size: 1), seg(big - 10, size: 1), seg(big + 100, size: 1)]
        // The second segment ends at big + 99, more than Int32.max past the group's base 0.
        #expect(LogCompactor.groupSegmentsBySize(segs, maxSize: 100, maxIndexSize: 100, firstUncleanableOffset: big + 200)
            .map { $0.map(\.baseOffset) } == [[0], [big - 10, big + 100]])
        // An empty segment joins whatever its offsets.
        let withEmpty = [seg(0, size: 1), seg(big - 10, size: 0), seg(big + 100, size: 1)]
        #expect(LogCompactor.groupSegmentsBySize(withEmpty, maxSize: 100, maxIndexSize: 100, firstUncleanableOffset: big + 200)
            .map(\.count) == [2, 1])
    }

    /// Segments full of duplicates shrink when cleaned; the next round merges them into
    /// fewer segments, each within segment.bytes and based at its first input's base offset.
    @Test func cleanedSegmentsMergeUnderSegmentBytes() throws {
        var log = InMemoryLog(config: try F.config(["segment.bytes": "400"]))
        for i in 0 ..< 200 { log.append([.kv("k\(i % 5)", "value-\(i)", ts: Int64(i))]) }
        var bound = log.segments.last!.baseOffset
        let first = try LogCompactor(config: log.config, now: 0)
            .clean(segments: log.cleanerSegments(below: bound), firstDirtyOffset: 0, firstUncleanableOffset: bound)
        // Full input segments cannot share a group, so the first round keeps their number.
        #expect(first.segments.count == log.segments.count - 1)
        log.replace(with: first.segments)
        log.roll()
        log.append([.kv("k0", "last", ts: 999)])
        let inactiveBefore = log.segments.count - 1
        let bases = Set(log.segments.map(\.baseOffset))
        bound = log.segments.last!.baseOffset
        let r = try LogCompactor(config: log.config, now: 0)
            .clean(segments: log.cleanerSegments(below: bound), firstDirtyOffset: first.endOffset, firstUncleanableOffset: bound)
        #expect(inactiveBefore > 10)
        #expect(r.segments.count < inactiveBefore / 4)
        for s in r.segments {
            #expect(s.bytes.count <= 400)
            #expect(s.info.sizeInBytes == s.bytes.count)
            #expect(s.baseOffset == s.info.replacedBaseOffsets[0])
            #expect(bases.contains(s.baseOffset))
        }
        #expect(r.segments.flatMap(\.info.replacedBaseOffsets) == log.segments.dropLast().map(\.baseOffset))
        log.replace(with: r.segments)
        // Only the latest record of each key is left in the cleaned section.
        let cleaned = try F.records(log.segments.dropLast().flatMap(\.bytes))
        #expect(Set(cleaned.map { $0.key! }).count == cleaned.count)
    }
}
