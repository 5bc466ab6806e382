@testable import EddyStorage
import Testing

/// The cleaner's key → latest offset map and its memory bound.
@Suite struct CleanerOffsetMapTests {
    func key(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func putOverwritesAndGetFindsExactKeys() {
        var m = OffsetMap(memoryLimit: 1 << 20)
        for (k, o) in [("a", 1), ("ab", 2), ("", 3), ("a", 4)] as [(String, Int64)] {
            let stored = m.put(key(k), offset: o)
            #expect(stored)
        }
        #expect(m.count == 3)
        #expect(m.get(key("a")) == 4)
        #expect(m.get(key("ab")) == 2)
        #expect(m.get(key("")) == 3)
        #expect(m.get(key("b")) == nil)
        #expect(m.get(key("abc")) == nil)
    }

    @Test func holdsManyKeysAcrossRehashes() {
        var m = OffsetMap(memoryLimit: 1 << 24)
        var refused = 0
        for i in 0 ..< 5000 where !m.put(key("key-\(i)"), offset: Int64(i)) { refused += 1 }
        for i in 0 ..< 5000 where i % 3 == 0 { m.put(key("key-\(i)"), offset: Int64(10_000 + i)) }
        #expect(refused == 0)
        for i in 0 ..< 5000 { #expect(m.get(key("key-\(i)")) == Int64(i % 3 == 0 ? 10_000 + i : i)) }
        #expect(m.count == 5000)
        #expect(m.memoryUsed <= m.memoryLimit)
    }

    /// For every key count up to 40, a map sized by `memoryNeeded` takes exactly that many
    /// keys and refuses one more, without changing what it holds; overwrites still work.
    @Test func memoryLimitIsExact() {
        for n in 1 ... 40 {
            var m = OffsetMap(memoryLimit: OffsetMap.memoryNeeded(keyCount: n, totalKeyBytes: n * 3))
            var accepted = 0
            for i in 0 ..< n where m.put(key(String(1000 + i).suffix(3).description), offset: Int64(i)) { accepted += 1 }
            #expect(accepted == n, "n=\(n)")
            let extra = m.put(key("new"), offset: 99)
            #expect(!extra, "n=\(n)")
            #expect(m.count == n)
            #expect(m.get(key("new")) == nil)
            let overwrite = m.put(key("000"), offset: 100)
            #expect(overwrite)
            #expect(m.get(key("000")) == 100)
        }
    }

    @Test func latestOffsetOnlyRises() {
        var m = OffsetMap(memoryLimit: 0)
        #expect(m.latestOffset == -1)
        let stored = m.put(key("a"), offset: 1)
        #expect(!stored)
        m.updateLatestOffset(5)
        m.updateLatestOffset(3)
        #expect(m.latestOffset == 5)
        m.clear()
        #expect(m.latestOffset == -1)
    }
}
