import EddyProtocol

/// Producer-state snapshots, written as `<offset>.snapshot` in the partition directory like
/// Kafka's (`offset` zero-padded to 20 digits). A snapshot holds the state after applying every
/// batch below `offset`; opening a log loads the newest snapshot at or below the recovered log
/// end offset and replays batches from its offset on (`replay`). When and where the partition
/// log writes and deletes them: `PartitionLog+ProducerState.swift`.
///
/// Unlike Kafka's snapshot, which keeps only each producer's last batch, this one keeps all
/// retained batches, so retries are still deduplicated after a restart or a leader change.
///
/// Format (version 2; version 1, written before transactions, is still read), all integers
/// big-endian:
///
///     offset  size  field
///          0     2  version          2
///          2     4  crc              CRC-32C of bytes 6..<end
///          6     8  offset           the state covers batches with lastOffset < offset
///         14     4  producerCount    number of producer entries that follow
///         18     …  producers        in increasing producerId order, each:
///                 0   8  producerId            >= 0
///                 8   2  producerEpoch         >= 0
///                10   4  coordinatorEpoch      of the last marker, -1 before any
///                14   8  currentTxnFirstOffset the open transaction's first offset, -1 for none
///                22   8  lastMarkerOffset      -1 before any marker, else < offset
///                30   8  lastMarkerTimestamp
///                38   2  batchCount            0...5 (0 only after a marker)
///                40   …  batches        oldest first, offsets increasing, each 32 bytes:
///                        0  4  firstSequence  >= 0
///                        4  4  lastSequence   >= 0
///                        8  8  firstOffset    >= 0
///                       16  8  lastOffset     firstOffset...offset-1
///                       24  8  timestamp      the batch's maxTimestamp
///
/// Version 1 entries have only producerId, producerEpoch, batchCount (1...5) and the batches
/// (12 bytes before the batches): no transaction ever ran in such a partition. Nothing may
/// follow the last producer. Decoding rejects anything else with
/// `ProducerStateError.corruptSnapshot`; a rejected snapshot should be deleted and the state
/// rebuilt from an older snapshot or from the log.
extension ProducerState {
    public static let snapshotVersion: Int16 = 2
    public static let snapshotHeaderSize = 18
    static let snapshotEntryHeaderSize = 40
    static let snapshotV1EntryHeaderSize = 12
    static let snapshotBatchSize = 32
    public static let snapshotFileSuffix = ".snapshot"

    /// `00000000000000001234.snapshot` for offset 1234.
    public static func snapshotFileName(offset: Int64) -> String {
        let digits = String(max(offset, 0))
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + snapshotFileSuffix
    }

    /// The offset in a snapshot file name, nil if `name` is not one.
    public static func snapshotOffset(fileName name: String) -> Int64? {
        guard name.hasSuffix(snapshotFileSuffix) else { return nil }
        let digits = name.dropLast(snapshotFileSuffix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }

    /// The snapshot of this state covering the log below `offset` (normally the log end offset).
    public func encodeSnapshot(offset: Int64) -> [UInt8] {
        let entries = producers.values.sorted { $0.producerId < $1.producerId }
        var w = ByteWriter(capacity: Self.snapshotHeaderSize + entries.count * (Self.snapshotEntryHeaderSize + 5 * Self.snapshotBatchSize))
        w.writeInt16(Self.snapshotVersion)
        w.writeUInt32(0)
        w.writeInt64(offset)
        w.writeInt32(Int32(entries.count))
        for e in entries {
            w.writeInt64(e.producerId)
            w.writeInt16(e.producerEpoch)
            w.writeInt32(e.coordinatorEpoch)
            w.writeInt64(e.currentTxnFirstOffset ?? -1)
            w.writeInt64(e.lastMarkerOffset)
            w.writeInt64(e.lastMarkerTimestamp)
            w.writeInt16(Int16(e.batches.count))
            for b in e.batches {
                w.writeInt32(b.firstSequence)
                w.writeInt32(b.lastSequence)
                w.writeInt64(b.firstOffset)
                w.writeInt64(b.lastOffset)
                w.writeInt64(b.timestamp)
            }
        }
        var bytes = w.take()
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[6...])) }
        withUnsafeBytes(of: crc.bigEndian) { bytes.replaceSubrange(2..<6, with: $0) }
        return bytes
    }

    /// Parses a snapshot written by `encodeSnapshot`, checking its CRC and every invariant.
    public static func decodeSnapshot(_ bytes: [UInt8]) throws(ProducerStateError) -> (offset: Int64, state: ProducerState) {
        let result: Result<(Int64, ProducerState), ProducerStateError> = bytes.withUnsafeBytes { buf in
            do throws(ProducerStateError) {
                return .success(try decode(buf))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func decode(_ buf: UnsafeRawBufferPointer) throws(ProducerStateError) -> (Int64, ProducerState) {
        func corrupt(_ why: String) -> ProducerStateError { .corruptSnapshot(why) }
        guard buf.count >= snapshotHeaderSize else { throw corrupt("\(buf.count) bytes, shorter than the \(snapshotHeaderSize)-byte header") }
        var r = ByteReader(buf)
        do {
            let version = try r.readInt16()
            guard version == snapshotVersion || version == 1 else { throw corrupt("unsupported version \(version)") }
            let stored = try r.readUInt32()
            let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buf[6...]))
            guard stored == actual else { throw corrupt("CRC mismatch: stored \(stored), computed \(actual)") }
            let offset = try r.readInt64()
            guard offset >= 0 else { throw corrupt("negative offset \(offset)") }
            let count = try r.readInt32()
            let minEntry = version == 1 ? snapshotV1EntryHeaderSize + snapshotBatchSize : snapshotEntryHeaderSize
            guard count >= 0, Int(count) <= r.remaining / minEntry else { throw corrupt("producer count \(count) does not fit") }
            var producers: [Int64: ProducerStateEntry] = [:]
            var previousId: Int64 = -1
            for _ in 0..<Int(count) {
                let id = try r.readInt64()
                guard id > previousId else { throw corrupt("producer id \(id) out of order or negative") }
                previousId = id
                let epoch = try r.readInt16()
                guard epoch >= 0 else { throw corrupt("producer \(id) has negative epoch \(epoch)") }
                var (coordinatorEpoch, txnFirst, markerOffset, markerTimestamp): (Int32, Int64, Int64, Int64) = (-1, -1, -1, -1)
                if version >= 2 {
                    (coordinatorEpoch, txnFirst, markerOffset, markerTimestamp) = (try r.readInt32(), try r.readInt64(), try r.readInt64(), try r.readInt64())
                    guard coordinatorEpoch >= -1, txnFirst >= -1, txnFirst < offset, markerOffset >= -1, markerOffset < offset,
                          txnFirst < 0 || txnFirst > markerOffset else {
                        throw corrupt("producer \(id) has transaction offsets \(txnFirst)/\(markerOffset) out of range")
                    }
                }
                let n = try r.readInt16()
                guard n >= (markerOffset >= 0 ? 0 : 1), Int(n) <= batchesToRetain else { throw corrupt("producer \(id) has \(n) batches") }
                var batches: [ProducerBatchMetadata] = []
                for _ in 0..<Int(n) {
                    let b = ProducerBatchMetadata(firstSequence: try r.readInt32(), lastSequence: try r.readInt32(),
                                                  firstOffset: try r.readInt64(), lastOffset: try r.readInt64(),
                                                  timestamp: try r.readInt64())
                    guard b.firstSequence >= 0, b.lastSequence >= 0 else { throw corrupt("producer \(id) has a negative sequence") }
                    let previousLast = batches.last?.lastOffset ?? -1
                    guard b.firstOffset >= 0, b.firstOffset <= b.lastOffset, offset > b.lastOffset,
                          b.firstOffset > previousLast else {
                        throw corrupt("producer \(id) has batch offsets \(b.firstOffset)...\(b.lastOffset) out of order or at/after \(offset)")
                    }
                    batches.append(b)
                }
                producers[id] = ProducerStateEntry(producerId: id, producerEpoch: epoch, batches: batches,
                                                   currentTxnFirstOffset: txnFirst >= 0 ? txnFirst : nil, coordinatorEpoch: coordinatorEpoch,
                                                   lastMarkerOffset: markerOffset, lastMarkerTimestamp: markerTimestamp)
            }
            guard r.remaining == 0 else { throw corrupt("\(r.remaining) trailing bytes") }
            return (offset, ProducerState(entries: Array(producers.values)))
        } catch let e as ProducerStateError {
            throw e
        } catch {
            throw corrupt("truncated")
        }
    }
}
