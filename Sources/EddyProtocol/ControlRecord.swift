/// Control records: the one record of a control batch (attributes bit 5), which carries no
/// application data. Consumers skip them; the log and its readers act on them.
///
/// Key (Kafka's `ControlRecordType`), 4 bytes:
///
///     version: int16   0; a newer version is read as version 0 (its extra bytes ignored)
///     type:    int16   0 ABORT, 1 COMMIT (transaction markers, KIP-98), 2 LEADER_CHANGE,
///                      3 SNAPSHOT_HEADER, 4 SNAPSHOT_FOOTER, 5 KRAFT_VERSION, 6 KRAFT_VOTERS
///
/// A key shorter than 4 bytes, or with a negative version, is invalid.
public struct ControlRecordKey: Sendable, Equatable {
    public enum Kind: Int16, Sendable {
        case abort = 0
        case commit = 1
        case leaderChange = 2
        case snapshotHeader = 3
        case snapshotFooter = 4
        case kraftVersion = 5
        case kraftVoters = 6
    }

    public static let currentVersion: Int16 = 0
    public static let size = 4

    public var version: Int16
    /// The type as stored; `kind` is nil for a type this version does not know.
    public var type: Int16
    public var kind: Kind? { Kind(rawValue: type) }

    public init(_ kind: Kind) {
        version = Self.currentVersion
        type = kind.rawValue
    }

    /// Parses a control record's key.
    public init(parsing key: [UInt8]) throws(RecordBatchError) {
        guard key.count >= Self.size else { throw .invalidLength(field: "control record key", value: Int64(key.count)) }
        let (version, type) = try key.withBytes { (buf) throws(RecordBatchError) -> (Int16, Int16) in
            var r = ByteReader(buf)
            return (try r.readInt16(), try r.readInt16())
        }
        guard version >= 0 else { throw .invalidLength(field: "control record key version", value: Int64(version)) }
        self.version = version
        self.type = type
    }

    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.writeInt16(version)
        w.writeInt16(type)
        return w.bytes
    }
}

/// The value of a transaction marker (a control record of type ABORT or COMMIT, Kafka's
/// `EndTransactionMarker`), 6 bytes:
///
///     version:          int16  0; a newer version is read as version 0
///     coordinatorEpoch: int32  the epoch of the transaction coordinator that wrote it
///
/// The marker ends the producer's open transaction on the partition: its batch has the
/// producer's id and epoch, `isTransactional` and `isControl` set, base sequence -1, and exactly
/// one record. A value shorter than 6 bytes, or with a negative version, is invalid.
public struct EndTransactionMarker: Sendable, Equatable {
    public static let currentVersion: Int16 = 0
    public static let size = 6

    /// Commit (true) or abort.
    public var committed: Bool
    public var coordinatorEpoch: Int32

    public init(committed: Bool, coordinatorEpoch: Int32) {
        self.committed = committed
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// Parses a marker from its control record's key and value; nil when the key is of
    /// another control type (not a transaction marker).
    public init?(key: ControlRecordKey, value: [UInt8]?) throws(RecordBatchError) {
        guard let kind = key.kind, kind == .abort || kind == .commit else { return nil }
        guard let value, value.count >= Self.size else {
            throw .invalidLength(field: "transaction marker value", value: Int64(value?.count ?? -1))
        }
        let (version, epoch) = try value.withBytes { (buf) throws(RecordBatchError) -> (Int16, Int32) in
            var r = ByteReader(buf)
            return (try r.readInt16(), try r.readInt32())
        }
        guard version >= 0 else { throw .invalidLength(field: "transaction marker version", value: Int64(version)) }
        committed = kind == .commit
        coordinatorEpoch = epoch
    }

    public var key: ControlRecordKey { ControlRecordKey(committed ? .commit : .abort) }

    public var encodedValue: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.writeInt16(Self.currentVersion)
        w.writeInt32(coordinatorEpoch)
        return w.bytes
    }

    /// The marker as the control batch a partition leader appends (Kafka's
    /// `MemoryRecords.withEndTransactionMarker`).
    public func batch(baseOffset: Int64 = 0, timestamp: Int64, partitionLeaderEpoch: Int32 = -1,
                      producerId: Int64, producerEpoch: Int16) -> RecordBatch {
        var b = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch,
                                   attributes: RecordBatchAttributes(isTransactional: true, isControl: true),
                                   producerId: producerId, producerEpoch: producerEpoch, baseSequence: -1, capacity: 128)
        b.append(timestamp: timestamp, key: key.encoded, value: encodedValue)
        return b.build()
    }

    /// The marker in `batch`, if it is a transaction marker's control batch; throws when a
    /// control batch's record is malformed.
    public static func parse(_ batch: RecordBatch) throws -> EndTransactionMarker? {
        guard batch.header.attributes.isControl else { return nil }
        let records = try batch.records()
        guard records.count == 1 else { throw RecordBatchError.invalidRecordCount(Int32(records.count)) }
        guard let key = records[0].key else { throw RecordBatchError.invalidLength(field: "control record key", value: -1) }
        return try EndTransactionMarker(key: ControlRecordKey(parsing: key), value: records[0].value)
    }
}
