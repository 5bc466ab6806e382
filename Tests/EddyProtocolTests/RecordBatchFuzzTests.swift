import EddyProtocol
import Testing

/// Seeded mutation fuzzing: thousands of random corruptions of valid batches, fed to every
/// decoding entry point. Each must either succeed or throw `RecordBatchError`: no trap, no
/// other error, no out-of-bounds read (a trap would abort the test process; the seeds are
/// printed before the run so a crash can be replayed).
@Suite struct RecordBatchFuzzTests {
    static let seeds: [UInt64] = [1, 0xEDD1, 0x5EED_CAFE, 20_240_611]
    static let iterationsPerSeed = 2500

    @Test(arguments: seeds)
    func mutatedBatchesOnlyThrowRecordBatchError(seed: UInt64) {
        print("RecordBatchFuzzTests: seed=\(seed) iterations=\(Self.iterationsPerSeed)")
        var rng = SplitMix64(seed: seed)
        var strictlyValid = 0
        for iteration in 0 ..< Self.iterationsPerSeed {
            var input = Self.randomRun(&rng)
            var log: [String] = []
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                input = Self.mutate(input, &rng, log: &log)
            }
            switch Int.random(in: 0 ..< 3, using: &rng) {
            case 0: input = resealed(input); log.append("reseal")
            case 1: input = resealed(input, fixLength: false); log.append("reseal-crc")
            default: break
            }
            let context = "seed=\(seed) iteration=\(iteration) mutations=\(log) bytes=\(hexString(input))"
            if Self.exercise(input, &rng, context: context) { strictlyValid += 1 }
        }
        // Sanity: resealing lets some mutations through, so the record walk was reached.
        #expect(strictlyValid > 0, "seed=\(seed): no mutated input validated at all")
    }

    // MARK: inputs

    static func randomBytes(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0 ..< n).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
    }

    static func randomBatch(_ rng: inout SplitMix64) -> [UInt8] {
        let attributes = RecordBatchAttributes(isTransactional: Bool.random(using: &rng), isControl: Int.random(in: 0 ..< 8, using: &rng) == 0)
        var b = RecordBatchBuilder(baseOffset: Int64.random(in: -2 ... 1 << 40, using: &rng),
                                   partitionLeaderEpoch: Int32.random(in: -1 ... 50, using: &rng),
                                   attributes: attributes,
                                   producerId: Int64.random(in: -1 ... 5000, using: &rng),
                                   producerEpoch: Int16.random(in: -1 ... 10, using: &rng),
                                   baseSequence: Int32.random(in: -1 ... Int32.max, using: &rng))
        let gaps = Int.random(in: 0 ..< 4, using: &rng) == 0
        var delta: Int32 = -1
        let base = Int64.random(in: -1 ... 1 << 42, using: &rng)
        for _ in 0 ..< Int.random(in: 0 ... 6, using: &rng) {
            delta += gaps ? Int32.random(in: 1 ... 300, using: &rng) : 1
            let key: [UInt8]? = Bool.random(using: &rng) ? randomBytes(Int.random(in: 0 ... 20, using: &rng), &rng) : nil
            let value: [UInt8]? = Int.random(in: 0 ..< 5, using: &rng) == 0 ? nil : randomBytes(Int.random(in: 0 ... 200, using: &rng), &rng)
            let headers = (0 ..< Int.random(in: 0 ... 3, using: &rng)).map { i in
                RecordHeader(key: "h\(i)", value: Bool.random(using: &rng) ? randomBytes(Int.random(in: 0 ... 10, using: &rng), &rng) : nil)
            }
            b.append(offsetDelta: delta, timestamp: base + Int64.random(in: -100_000 ... 100_000, using: &rng),
                     key: key, value: value, headers: headers)
        }
        var batch = b.build(lastOffsetDelta: gaps ? max(delta, 0) + Int32.random(in: 0 ... 5, using: &rng) : nil)
        if Int.random(in: 0 ..< 4, using: &rng) == 0 { batch.setLogAppendTime(Int64.random(in: 0 ... 1 << 41, using: &rng)) }
        return batch.bytes
    }

    /// One to three batches end to end, sometimes one of the captured kafka-python batches.
    static func randomRun(_ rng: inout SplitMix64) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
            switch Int.random(in: 0 ..< 8, using: &rng) {
            case 0: out += RecordBatchKafkaPythonFixtureTests.plain
            case 1: out += RecordBatchKafkaPythonFixtureTests.transactional
            case 2: out += RecordBatchHandAssembledTests.bytes
            default: out += randomBatch(&rng)
            }
        }
        return out
    }

    // MARK: mutations

    static let interestingInt32: [Int32] = [0, 1, -1, 48, 49, 50, 127, 128, Int32.max, Int32.min, Int32.max - 11]
    /// Header fields worth hitting directly: batchLength, epoch, magic, attributes, lastOffsetDelta, recordCount.
    static let fieldOffsets = [8, 12, 16, 21, 23, 57]

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64, log: inout [String]) -> [UInt8] {
        var b = input
        guard !b.isEmpty else { return randomBytes(Int.random(in: 0 ... 80, using: &rng), &rng) }
        let at = Int.random(in: 0 ..< b.count, using: &rng)
        switch Int.random(in: 0 ..< 9, using: &rng) {
        case 0:
            for _ in 0 ..< Int.random(in: 1 ... 8, using: &rng) {
                b[Int.random(in: 0 ..< b.count, using: &rng)] ^= 1 << UInt8.random(in: 0 ..< 8, using: &rng)
            }
            log.append("bitflips")
        case 1:
            b[at] = [0x00, 0xFF, 0x80, 0x7F, 0x01, UInt8.random(in: 0 ... 255, using: &rng)].randomElement(using: &rng)!
            log.append("byte@\(at)")
        case 2:
            b.removeSubrange(at...)
            log.append("truncate@\(at)")
        case 3:
            b.insert(contentsOf: randomBytes(Int.random(in: 1 ... 16, using: &rng), &rng), at: at)
            log.append("insert@\(at)")
        case 4:
            b.removeSubrange(at ..< min(b.count, at + Int.random(in: 1 ... 16, using: &rng)))
            log.append("delete@\(at)")
        case 5:
            let end = min(b.count, at + Int.random(in: 1 ... 32, using: &rng))
            b.insert(contentsOf: b[at ..< end], at: Int.random(in: 0 ... b.count, using: &rng))
            log.append("duplicate@\(at)")
        case 6:
            // A header field of the batch starting at 0 (or of a later one at a 12-aligned guess).
            let field = fieldOffsets.randomElement(using: &rng)!
            let value = interestingInt32.randomElement(using: &rng)!
            if field + 4 <= b.count { b = patched(b, value, at: field) }
            log.append("field\(field)=\(value)")
        case 7:
            // An overlong or extreme varint somewhere in the records.
            let varint: [UInt8] = [[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
                                   [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x01], [0x03], [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]].randomElement(using: &rng)!
            b.replaceSubrange(at ..< min(b.count, at + Int.random(in: 1 ... 3, using: &rng)), with: varint)
            log.append("varint@\(at)")
        default:
            b = Array(b[at...]) + Array(b[..<at])
            log.append("rotate@\(at)")
        }
        return b
    }

    // MARK: exercising every entry point

    /// Runs every decoder over `input`; records a test failure for any error that is not a
    /// `RecordBatchError` or any broken invariant. Returns whether some batch passed the strict validation.
    static func exercise(_ input: [UInt8], _ rng: inout SplitMix64, context: String) -> Bool {
        var anyValid = false
        func attempt(_ what: String, _ body: () throws -> Void) {
            do { try body() } catch is RecordBatchError {} catch {
                Issue.record("\(what) threw \(type(of: error)) \(error); \(context)")
            }
        }
        func walk(_ batch: RecordBatch) {
            let h = batch.header
            _ = (h.lastOffset, h.nextOffset, h.lastSequence, h.totalSize, h.isIdempotent, h.attributes.compression)
            attempt("validate(records: false)") { try batch.validate(records: false) }
            attempt("validate(contiguous: false)") { try batch.validate(requireContiguousOffsets: false) }
            attempt("validate") {
                try batch.validate()
                anyValid = true
                let records = try batch.records()
                if records.count != Int(h.recordCount) || records.enumerated().contains(where: { $0.element.offset != h.baseOffset &+ Int64($0.offset) }) {
                    Issue.record("validated batch decodes inconsistently; \(context)")
                }
            }
            attempt("forEachRecord") { try batch.forEachRecord { v in _ = try v.headers() } }
            attempt("records") { _ = try batch.records() }
        }
        for allowPartialTail in [false, true] {
            attempt("MemoryRecords.batches(allowPartialTail: \(allowPartialTail))") {
                let locations = try MemoryRecords.batches(in: input, allowPartialTail: allowPartialTail)
                for loc in locations {
                    guard loc.range.lowerBound >= 0, loc.range.upperBound <= input.count else {
                        Issue.record("batch location \(loc.range) outside \(input.count) bytes; \(context)")
                        return
                    }
                    input.withUnsafeBytes { buf in
                        let slice = UnsafeRawBufferPointer(rebasing: buf[loc.range.lowerBound...])
                        attempt("static validate") { try RecordBatch.validate(slice, header: loc.header, records: true) }
                        attempt("static forEachRecord") { try RecordBatch.forEachRecord(in: slice, header: loc.header) { _ in } }
                    }
                    attempt("RecordBatch(bytes:) of a location") { walk(try RecordBatch(bytes: Array(input[loc.range]))) }
                }
            }
        }
        attempt("RecordBatch(bytes:)") { walk(try RecordBatch(bytes: input)) }
        attempt("MemoryRecords.records") { _ = try MemoryRecords.records(in: input) }
        let at = Int.random(in: -2 ... input.count + 2, using: &rng)
        input.withUnsafeBytes { buf in
            attempt("RecordBatchHeader(parsing:at: \(at))") { _ = try RecordBatchHeader(parsing: buf, at: at) }
            _ = RecordBatchHeader.peekSize(buf, at: at)
        }
        return anyValid
    }
}
