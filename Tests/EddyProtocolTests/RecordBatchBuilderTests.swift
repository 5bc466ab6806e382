import EddyProtocol
import Testing

@Suite struct RecordBatchBuilderTests {
    @Test func roundTripsRandomRecords() throws {
        let seed: UInt64 = 7
        var rng = SplitMix64(seed: seed)
        for round in 0 ..< 200 {
            var records: [Record] = []
            let base = Int64.random(in: -1 ... 1 << 45, using: &rng)
            for i in 0 ..< Int.random(in: 0 ... 20, using: &rng) {
                let key: [UInt8]? = Bool.random(using: &rng) ? RecordBatchFuzzTests.randomBytes(Int.random(in: 0 ... 70, using: &rng), &rng) : nil
                let value: [UInt8]? = Bool.random(using: &rng) ? RecordBatchFuzzTests.randomBytes(Int.random(in: 0 ... 300, using: &rng), &rng) : nil
                let headers = (0 ..< Int.random(in: 0 ... 2, using: &rng)).map { RecordHeader(key: "k\($0)é", value: Bool.random(using: &rng) ? [UInt8($0)] : nil) }
                records.append(Record(offset: 500 + Int64(i), timestamp: base + Int64.random(in: -5000 ... 5000, using: &rng),
                                      key: key, value: value, headers: headers))
            }
            var b = RecordBatchBuilder(baseOffset: 500)
            for r in records { b.append(timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers) }
            #expect(b.recordCount == records.count && b.isEmpty == records.isEmpty)
            let batch = b.build()
            #expect(b.estimatedSize == batch.bytes.count, "seed=\(seed) round=\(round)")
            try batch.validate()
            #expect(try batch.records() == records, "seed=\(seed) round=\(round)")
            #expect(batch.header.maxTimestamp == (records.map(\.timestamp).max() ?? -1))
            #expect(batch.header.baseTimestamp == (records.first?.timestamp ?? -1))
            #expect(try RecordBatch(bytes: batch.bytes) == batch)
        }
    }

    @Test func explicitOffsetDeltasKeepGaps() throws {
        var b = RecordBatchBuilder(baseOffset: 10)
        b.append(offsetDelta: 2, timestamp: 5, key: utf8("a"), value: nil)
        b.append(timestamp: 6, key: utf8("b"), value: nil)
        b.append(offsetDelta: 9, timestamp: 7, key: utf8("c"), value: nil)
        let batch = b.build()
        #expect(batch.header.lastOffsetDelta == 9 && batch.header.recordCount == 3)
        #expect(try batch.records().map(\.offset) == [12, 13, 19])
        try batch.validate(requireContiguousOffsets: false)
    }

    @Test func emptyBatchIsValid() throws {
        let batch = RecordBatchBuilder().build()
        #expect(batch.bytes.count == RecordBatchHeader.size)
        #expect(batch.header.recordCount == 0 && batch.header.lastOffsetDelta == 0)
        try batch.validate()
        #expect(try batch.records().isEmpty)
    }

    /// Extreme timestamps wrap in the delta and come back intact (Kafka's long arithmetic).
    @Test func extremeTimestampsRoundTrip() throws {
        var b = RecordBatchBuilder()
        b.append(timestamp: .max, key: nil, value: [1])
        b.append(timestamp: .min, key: nil, value: [2])
        b.append(timestamp: -1, key: nil, value: [3])
        #expect(try b.build().records().map(\.timestamp) == [.max, .min, -1])
    }
}
