import EddyProtocol
@testable import EddyStorage
import Testing

@Suite struct ProducerStateSnapshotTests {
    private func sampleState(seed: UInt64 = 9) -> ProducerState {
        ProducerState.rebuild(from: randomProducerHistory(seed: seed, batches: 40).map { producerHeader($0) })
    }

    /// Recomputes the CRC so a test can reach the checks behind it.
    private func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        let crc = CRC32C.checksum(b[6...])
        b.replaceSubrange(2..<6, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)])
        return b
    }

    @Test func roundTrip() throws {
        for seed: UInt64 in [1, 2, 3] {
            let s = sampleState(seed: seed)
            #expect(!s.producers.isEmpty)
            let bytes = s.encodeSnapshot(offset: 1_000)
            let (offset, decoded) = try ProducerState.decodeSnapshot(bytes)
            #expect(offset == 1_000)
            #expect(decoded == s, "seed=\(seed)")
            #expect(decoded.encodeSnapshot(offset: 1_000) == bytes, "encoding is deterministic")
        }
        let (offset, empty) = try ProducerState.decodeSnapshot(ProducerState().encodeSnapshot(offset: 0))
        #expect(offset == 0 && empty.producers.isEmpty)
    }

    @Test func layoutMatchesTheDocumentedFormat() {
        var s = ProducerState()
        s.update(with: producerBatch(pid: 5, epoch: 2, seq: 10, count: 3, offset: 40, timestamp: 77))
        let b = s.encodeSnapshot(offset: 43)
        #expect(b.count == ProducerState.snapshotHeaderSize + 40 + 32)
        #expect(Array(b[0..<2]) == [0, 2])
        #expect(Array(b[6..<14]) == [0, 0, 0, 0, 0, 0, 0, 43])
        #expect(Array(b[14..<18]) == [0, 0, 0, 1])
        #expect(Array(b[18..<26]) == [0, 0, 0, 0, 0, 0, 0, 5])
        #expect(Array(b[26..<28]) == [0, 2])
        #expect(Array(b[28..<32]) == [0xff, 0xff, 0xff, 0xff], "no marker: coordinator epoch -1")
        #expect(Array(b[32..<56]) == [UInt8](repeating: 0xff, count: 24), "no open transaction, no marker")
        #expect(Array(b[56..<58]) == [0, 1])
        #expect(Array(b[58..<66]) == [0, 0, 0, 10, 0, 0, 0, 12])
        #expect(b.last == 77)
    }

    @Test func everyFlippedBitOrTruncationIsRejected() {
        let bytes = sampleState().encodeSnapshot(offset: 1_000)
        for i in bytes.indices {
            for bit in 0..<8 {
                var b = bytes
                b[i] ^= UInt8(1 << bit)
                #expect(throws: ProducerStateError.self, "byte \(i) bit \(bit)") { try ProducerState.decodeSnapshot(b) }
            }
        }
        for n in 0..<bytes.count {
            #expect(throws: ProducerStateError.self, "length \(n)") { try ProducerState.decodeSnapshot(Array(bytes.prefix(n))) }
        }
        #expect(throws: ProducerStateError.self) { try ProducerState.decodeSnapshot(resealed(bytes + [0])) }
    }

    @Test func aCorrectCRCDoesNotHideBrokenInvariants() throws {
        var s = ProducerState()
        s.update(with: producerBatch(pid: 5, seq: 0, count: 2, offset: 40))
        let good = s.encodeSnapshot(offset: 42)
        _ = try ProducerState.decodeSnapshot(good)
        func mutated(_ at: Int, _ value: [UInt8]) -> [UInt8] {
            var b = good
            b.replaceSubrange(at..<at + value.count, with: value)
            return resealed(b)
        }
        let cases: [(String, [UInt8])] = [
            ("version", mutated(0, [0, 3])),
            ("negative offset", mutated(6, [0xff])),
            ("batch at the snapshot offset", mutated(6, [0, 0, 0, 0, 0, 0, 0, 41])),
            ("producer count too large", mutated(14, [0, 0, 0, 2])),
            ("negative producer id", mutated(18, [0xff])),
            ("negative epoch", mutated(26, [0xff, 0xff])),
            ("coordinator epoch below -1", mutated(28, [0xff, 0xff, 0xff, 0xfe])),
            ("open transaction at the snapshot offset", mutated(32, [0, 0, 0, 0, 0, 0, 0, 42])),
            ("marker at the snapshot offset", mutated(40, [0, 0, 0, 0, 0, 0, 0, 42])),
            ("open transaction before its producer's marker", mutated(32, [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0, 0, 0, 0, 0, 9])),
            ("zero batches without a marker", mutated(56, [0, 0])),
            ("six batches", mutated(56, [0, 6])),
            ("negative sequence", mutated(58, [0xff])),
            ("first offset after last offset", mutated(66, [0, 0, 0, 0, 0, 0, 0, 42])),
        ]
        for (name, bytes) in cases {
            #expect(throws: ProducerStateError.self, "\(name)") { try ProducerState.decodeSnapshot(bytes) }
        }
    }

    @Test func duplicateProducerIdsAreRejected() {
        var s = ProducerState()
        s.update(with: producerBatch(pid: 5, seq: 0, offset: 0))
        s.update(with: producerBatch(pid: 6, seq: 0, offset: 1))
        var b = s.encodeSnapshot(offset: 2)
        b[18 + 12 + 32 + 7] = 5   // second producer id 6 -> 5
        #expect(throws: ProducerStateError.self) { try ProducerState.decodeSnapshot(resealed(b)) }
    }

    @Test func snapshotFileNames() {
        #expect(ProducerState.snapshotFileName(offset: 1234) == "00000000000000001234.snapshot")
        #expect(ProducerState.snapshotOffset(fileName: "00000000000000001234.snapshot") == 1234)
        #expect(ProducerState.snapshotOffset(fileName: ProducerState.snapshotFileName(offset: Int64.max)) == Int64.max)
        for bad in ["1234.index", ".snapshot", "12a4.snapshot", "-1.snapshot", "99999999999999999999.snapshot"] {
            #expect(ProducerState.snapshotOffset(fileName: bad) == nil, "\(bad)")
        }
    }
}
