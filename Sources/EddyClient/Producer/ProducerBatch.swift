import EddyProtocol

/// One partition's batch of records on its way to the leader (Kafka's `ProducerBatch`).
///
/// Life cycle: *open* (records are appended to `builder`), *closed* (no more records; its
/// size is final), *encoded* (the RecordBatch v2 bytes, stamped with the producer id, epoch
/// and base sequence when the producer is idempotent), then sent once or more (retries resend
/// the same bytes, so the broker recognises a duplicate by its sequence), until *done* with an
/// offset or an error. A batch leaves its partition's queue only once closed.
///
/// Not thread-safe: every field is read and written under the producer's lock, except that
/// the sender task encodes closed batches outside it (`encode`), which nothing else touches.
final class ProducerBatch: @unchecked Sendable {
    /// Increases with each batch the producer creates; `flush` waits for every id up to a mark.
    let id: UInt64
    let topicPartition: TopicPartition
    /// When the first record was appended (monotonic ms): linger.ms and delivery.timeout.ms
    /// count from here.
    let createdMs: Int64
    /// Bytes taken from buffer.memory, given back when the batch is done.
    let reservedMemory: Int
    /// The open batch; nil once closed.
    private(set) var builder: RecordBatchBuilder?
    /// The closed batch until it is encoded.
    private var sealed: RecordBatchBuilder?
    /// The encoded batch, once `encode` ran.
    private(set) var bytes: [UInt8] = []
    /// The encoded size, final once closed.
    private var closedSize = 0
    private(set) var recordCount = 0
    /// Records whose sender wants to hear how they went.
    private(set) var waiters: [PendingRecord] = []
    /// Set when the batch cannot take more records (the next one did not fit), so it is sent
    /// without waiting for linger.ms.
    var isFull = false
    /// Sends so far; the first send is attempt 1.
    var attempts = 0
    /// When the last attempt failed (monotonic ms), for retry.backoff.ms.
    var lastAttemptMs: Int64 = 0
    /// The error of the last failed attempt, reported if the batch expires.
    var lastError: ClientError?
    /// Whether a request carrying the batch is awaiting its response.
    var inFlight = false
    private(set) var producerId: Int64 = -1
    private(set) var producerEpoch: Int16 = -1
    /// The first record's sequence number; -1 until an idempotent producer assigns one.
    private(set) var baseSequence: Int32 = -1
    /// `baseSequence` unwrapped (see `IdempotenceState`); -1 until assigned.
    private(set) var sequencePosition: Int64 = -1

    struct PendingRecord {
        /// Position of the record in the batch (offset delta).
        var index: Int32
        var timestamp: Int64
        var keySize: Int32
        var valueSize: Int32
        var completion: SendCompletion
    }

    init(id: UInt64, topicPartition: TopicPartition, createdMs: Int64, capacity: Int, reservedMemory: Int,
         compression: CompressionType = .none, compressionLevel: Int? = nil, transactional: Bool = false) {
        self.id = id
        self.compressionLevel = compressionLevel
        self.topicPartition = topicPartition
        self.createdMs = createdMs
        self.reservedMemory = reservedMemory
        builder = RecordBatchBuilder(attributes: RecordBatchAttributes(compression: compression, isTransactional: transactional), capacity: capacity)
    }

    /// The level the batch is compressed at (nil: the codec's default).
    let compressionLevel: Int?

    var isOpen: Bool { builder != nil }

    /// Bytes the batch takes now (encoded size, or what it would be if closed now).
    var sizeInBytes: Int { builder?.estimatedSize ?? closedSize }

    /// Bytes sent: the encoded (compressed) size once encoded, else `sizeInBytes`.
    var sentSize: Int { bytes.isEmpty ? sizeInBytes : bytes.count }

    /// Appends one record. Precondition: open.
    func append(timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], completion: SendCompletion?) {
        if let completion {
            waiters.append(PendingRecord(index: Int32(recordCount), timestamp: timestamp, keySize: Int32(key?.count ?? -1),
                                         valueSize: Int32(value?.count ?? -1), completion: completion))
        }
        builder!.append(timestamp: timestamp, key: key, value: value, headers: headers)
        recordCount += 1
    }

    /// No more records can be added. Idempotent. Cheap: the encoding is left to `encode`,
    /// outside the producer's lock.
    func close() {
        guard let b = builder else { return }
        closedSize = b.estimatedSize
        sealed = b
        builder = nil
    }

    /// Encodes a closed batch (CRC included), compressed with compression.type, if not done
    /// yet. Called by the sender task only.
    func encode() {
        guard let b = sealed else { return }
        sealed = nil
        do {
            bytes = try b.seal(level: compressionLevel).bytes
        } catch {
            // The codec's library loaded when the producer was configured, so only running out
            // of memory gets here: the records still go, uncompressed.
            bytes = b.buildUncompressed().bytes
        }
        if producerId >= 0 {
            ProducerBatch.stamp(&bytes, producerId: producerId, epoch: producerEpoch, baseSequence: baseSequence)
        }
    }

    /// Gives the closed batch an idempotent producer's id, epoch and the sequence number of
    /// its first record; `encode` writes them (an encoded batch is re-stamped and re-sealed at
    /// once: the three fields are covered by the CRC).
    func setProducerState(producerId: Int64, epoch: Int16, sequencePosition: Int64) {
        precondition(!isOpen, "stamp a batch after closing it")
        self.producerId = producerId
        self.producerEpoch = epoch
        self.sequencePosition = sequencePosition
        baseSequence = IdempotenceState.wireSequence(sequencePosition)
        if sealed == nil {
            ProducerBatch.stamp(&bytes, producerId: producerId, epoch: epoch, baseSequence: baseSequence)
        }
    }

    var hasSequence: Bool { sequencePosition >= 0 }

    /// Position of the last record's sequence number.
    var lastSequencePosition: Int64 { sequencePosition + Int64(recordCount) - 1 }

    /// Writes producerId (offset 43), producerEpoch (51) and baseSequence (53) into encoded
    /// RecordBatch v2 bytes and recomputes the CRC-32C (bytes 21 to the end).
    static func stamp(_ bytes: inout [UInt8], producerId: Int64, epoch: Int16, baseSequence: Int32) {
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: producerId.bigEndian, toByteOffset: 43, as: Int64.self)
            raw.storeBytes(of: epoch.bigEndian, toByteOffset: 51, as: Int16.self)
            raw.storeBytes(of: baseSequence.bigEndian, toByteOffset: 53, as: Int32.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.attributesOffset...]))
            raw.storeBytes(of: crc.bigEndian, toByteOffset: RecordBatchHeader.crcOffset, as: UInt32.self)
        }
    }

    /// Metadata of each waiting record for a batch written at `baseOffset` (-1: unknown).
    func completions(baseOffset: Int64, logAppendTimeMs: Int64) -> [(SendCompletion, RecordMetadata)] {
        waiters.map { w in
            (w.completion, RecordMetadata(topicPartition: topicPartition, offset: baseOffset < 0 ? -1 : baseOffset + Int64(w.index),
                                          timestamp: logAppendTimeMs >= 0 ? logAppendTimeMs : w.timestamp,
                                          serializedKeySize: Int(w.keySize), serializedValueSize: Int(w.valueSize)))
        }
    }

    var completionHandlers: [SendCompletion] { waiters.map(\.completion) }
}
