import EddyProtocol
import Testing
@testable import EddyBroker

@Suite struct MetadataSnapshotTests {
    static func sampleImage() throws -> MetadataImage {
        var image = MetadataImage()
        var g = TestRandom(seed: 11)
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 0, incarnationId: Uuid.random(using: &g), fenced: false)))
        try image.apply(.registerBroker(RegisterBrokerRecord(brokerId: 2, fenced: true, inControlledShutdown: true)))
        for t in 0 ..< 4 {
            let id = Uuid.random(using: &g)
            try image.apply(.topic(TopicRecord(name: "topic-\(t)", topicId: id)))
            for p in 0 ..< Int32(t + 1) {
                try image.apply(.partition(PartitionRecord(partitionId: p, topicId: id, replicas: [0], isr: [0], leader: 0)))
            }
            try image.apply(.config(ConfigRecord(resourceName: "topic-\(t)", name: "retention.ms", value: "\(t)")))
        }
        return image
    }

    @Test func fileNamesAreZeroPaddedOffsetAndEpoch() {
        #expect(MetadataSnapshot.fileName(endOffset: 42, epoch: 3) == "00000000000000000042-0000000003.checkpoint")
        #expect(MetadataSnapshot.parseFileName("00000000000000000042-0000000003.checkpoint")! == (42, 3))
        for bad in ["00000000000000000042-0000000003.checkpoint.part", "0000000000000000042-0000000003.checkpoint",
                    "00000000000000000042-000000003.checkpoint", "0000000000000000004x-0000000003.checkpoint",
                    "00000000000000000042.checkpoint", "00000000000000000042-0000000003-1.checkpoint",
                    "00000000000000000000.log", "+0000000000000000042-0000000003.checkpoint"] {
            #expect(MetadataSnapshot.parseFileName(bad) == nil, "\(bad)")
        }
    }

    @Test func encodesHeaderDataAndFooterBatches() throws {
        let image = try Self.sampleImage()
        let snapshot = MetadataSnapshot(image: image, endOffset: 100, epoch: 2, lastContainedLogTimestamp: 1234)
        let bytes = snapshot.encoded(recordsPerBatch: 4)
        let batches = try MemoryRecords.batches(in: bytes)
        let records = image.records().count
        #expect(batches.count == 2 + (records + 3) / 4)
        #expect(batches.first!.header.attributes.isControl && batches.last!.header.attributes.isControl)
        #expect(batches.dropFirst().dropLast().allSatisfy { !$0.header.attributes.isControl && $0.header.recordCount <= 4 })
        #expect(batches.allSatisfy { $0.header.partitionLeaderEpoch == 2 })
        // Control record keys: version 0, type 4 (header) / 5 (footer), as in Kafka.
        let header = try RecordBatch(bytes: Array(bytes[batches[0].range])).records()[0]
        #expect(header.key == [0, 0, 0, 4])
        #expect(header.value == [0, 0] + [0, 0, 0, 0, 0, 0, 0x04, 0xD2] + [0])
        let footer = try RecordBatch(bytes: Array(bytes[batches.last!.range])).records()[0]
        #expect(footer.key == [0, 0, 0, 5])
        #expect(footer.value == [0, 0, 0])

        let decoded = try MetadataSnapshot(decoding: bytes, endOffset: 100, epoch: 2)
        #expect(decoded == snapshot)
        var expected = image
        expected.offset = 99
        #expect(try decoded.image() == expected)
    }

    @Test func emptyImageSnapshotsToHeaderAndFooter() throws {
        let snapshot = MetadataSnapshot(image: MetadataImage(), endOffset: 1, epoch: 0, lastContainedLogTimestamp: 5)
        let bytes = snapshot.encoded()
        #expect(try MemoryRecords.batches(in: bytes).count == 2)
        #expect(try MetadataSnapshot(decoding: bytes, endOffset: 1, epoch: 0) == snapshot)
    }

    @Test func everyCutAndEveryByteFlipIsRejected() throws {
        let bytes = MetadataSnapshot(image: try Self.sampleImage(), endOffset: 7, epoch: 0, lastContainedLogTimestamp: 1)
            .encoded(recordsPerBatch: 5)
        let boundaries = Set(try MemoryRecords.batches(in: bytes).map(\.position))
        for cut in 0 ..< bytes.count {
            #expect(throws: BrokerError.self, "cut at \(cut)\(boundaries.contains(cut) ? " (batch boundary)" : "")") {
                try MetadataSnapshot(decoding: Array(bytes[..<cut]), endOffset: 7, epoch: 0)
            }
        }
        // Every byte is covered by a CRC or is a length/offset whose change is caught; the
        // partitionLeaderEpoch field (outside the CRC) is the only exception.
        let batches = try MemoryRecords.batches(in: bytes)
        let epochBytes = Set(batches.flatMap { ($0.position + 12) ..< ($0.position + 16) })
        for i in 0 ..< bytes.count where !epochBytes.contains(i) {
            var flipped = bytes
            flipped[i] ^= 0x10
            #expect(throws: BrokerError.self, "flip at \(i)") { try MetadataSnapshot(decoding: flipped, endOffset: 7, epoch: 0) }
        }
    }

    @Test func headerFooterAndOrderAreChecked() throws {
        let good = MetadataSnapshot(image: try Self.sampleImage(), endOffset: 7, epoch: 0, lastContainedLogTimestamp: 1)
            .encoded(recordsPerBatch: 100)
        let batches = try MemoryRecords.batches(in: good)
        let header = Array(good[batches[0].range]), data = Array(good[batches[1].range]), footer = Array(good[batches[2].range])
        func rejects(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try MetadataSnapshot(decoding: bytes, endOffset: 7, epoch: 0)
                Issue.record("accepted", sourceLocation: sourceLocation)
            } catch {
                #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
        rejects(header + data, "not the snapshot footer")
        rejects(data + footer, "batch 0 starts at offset 1, expected 0")
        var dataAtZero = try RecordBatch(bytes: data)
        dataAtZero.setBaseOffset(0)
        rejects(dataAtZero.bytes + footer, "not the snapshot header")
        rejects(footer + data + header, "expected")
        rejects(header + footer + data, "expected")
        // Offsets must follow on: the data batch rebased to start at 5 is out of place.
        var moved = try RecordBatch(bytes: data)
        moved.setBaseOffset(5)
        rejects(header + moved.bytes + footer, "starts at offset 5, expected 1")
        // A data batch holding a record that is not a metadata record.
        var junk = RecordBatchBuilder(baseOffset: 1)
        junk.append(timestamp: 0, key: nil, value: [0xFF])
        rejects(header + junk.build().bytes, "not the snapshot footer")
        var junk2 = RecordBatchBuilder(baseOffset: 1)
        junk2.append(timestamp: 0, key: nil, value: [0xFF])
        var footer2 = try RecordBatch(bytes: footer)
        footer2.setBaseOffset(2)
        rejects(header + junk2.build().bytes + footer2.bytes, "record at offset 1")
    }
}
