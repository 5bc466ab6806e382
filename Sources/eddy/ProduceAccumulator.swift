import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns lines into records and records into one open batch per partition, as a producer's
/// record accumulator does. A batch is handed to `append` when the next record would not fit
/// in `batchBytes`, and by `flush()`; partitions are chosen by EddyClient's `Partitioner`.
struct ProduceAccumulator {
    /// Per-record bytes of a batch beyond key, value and headers: length, attributes and the
    /// deltas are varints of at most 5 + 1 + 10 + 5 bytes, key and value lengths 5 each.
    static let recordOverhead = 31

    let topic: String
    let partitionCount: Int
    let explicitPartition: Int32?
    let keySeparator: [UInt8]?
    let headers: [RecordHeader]
    let batchBytes: Int
    let maxMessageBytes: Int
    private let headerBytes: Int
    private var partitioner = Partitioner()
    private var open: [Int32: RecordBatchBuilder] = [:]
    private(set) var stats = ProduceStats()
    private var lineNumber = 0

    init(topic: String, partitionCount: Int, explicitPartition: Int32?, keySeparator: [UInt8]?,
         headers: [RecordHeader], batchBytes: Int, maxMessageBytes: Int) {
        self.topic = topic
        self.partitionCount = partitionCount
        self.explicitPartition = explicitPartition
        self.keySeparator = keySeparator
        self.headers = headers
        self.batchBytes = batchBytes
        self.maxMessageBytes = maxMessageBytes
        headerBytes = headers.reduce(5) { $0 + 10 + $1.key.utf8.count + ($1.value?.count ?? 0) }
        partitioner = Partitioner(batchSize: batchBytes)
    }

    /// Sends one batch; returns the offset the leader gave its first record, -1 if unknown (acks=0).
    typealias Append = (TopicPartition, [UInt8]) throws -> Int64

    /// Adds one line as a record.
    mutating func add(line: UnsafeRawBufferPointer, timestamp: Int64, append: Append) throws {
        lineNumber += 1
        var key: UnsafeRawBufferPointer?
        var value = line
        if let sep = keySeparator, let at = ProduceAccumulator.find(sep, in: line) {
            key = UnsafeRawBufferPointer(rebasing: line[..<at])
            value = UnsafeRawBufferPointer(rebasing: line[(at + sep.count)...])
        }
        let estimate = ProduceAccumulator.recordOverhead + (key?.count ?? 0) + value.count + headerBytes
        if RecordBatchHeader.size + estimate > maxMessageBytes {
            try flush(append)
            throw EddyError(kafka: "MESSAGE_TOO_LARGE",
                            "line \(lineNumber) makes a record of about \(RecordBatchHeader.size + estimate) bytes; topic '\(topic)' allows \(maxMessageBytes) (max.message.bytes)")
        }
        let choice = try partitioner.partition(topic: topic, key: key.map { Array($0) }, explicitPartition: explicitPartition,
                                               partitionCount: partitionCount)
        let p = choice.partition
        var closedFull = false
        if let b = open[p], !b.isEmpty, b.estimatedSize + estimate > batchBytes {
            try send(p, append)
            closedFull = true
        }
        var builder = open.removeValue(forKey: p) ?? RecordBatchBuilder(capacity: min(batchBytes, 1 << 20) + estimate)
        builder.append(timestamp: timestamp, key: key, value: value, headers: headers)
        open[p] = builder
        partitioner.recordAppended(topic: topic, choice: choice, bytes: estimate, batchIsReady: closedFull,
                                   partitionCount: partitionCount)
    }

    /// Appends every open batch, in partition order.
    mutating func flush(_ append: Append) throws {
        for p in open.keys.sorted() { try send(p, append) }
    }

    private mutating func send(_ p: Int32, _ append: Append) throws {
        guard let builder = open.removeValue(forKey: p), !builder.isEmpty else { return }
        let bytes = builder.build().bytes
        let baseOffset = try append(TopicPartition(topic, p), bytes)
        stats.record(partition: p, baseOffset: baseOffset, records: builder.recordCount, bytes: bytes.count)
    }

    var summary: String { stats.summary(topic: topic) }

    /// Position of the first occurrence of `needle` in `haystack`.
    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
        return needle.withUnsafeBytes { n -> Int? in
            let first = Int32(n[0])
            var from = 0
            let lastStart = haystack.count - n.count
            while from <= lastStart {
                guard let hit = memchr(base + from, first, lastStart - from + 1) else { return nil }
                let at = UnsafeRawPointer(hit) - base
                if memcmp(base + at, n.baseAddress!, n.count) == 0 { return at }
                from = at + 1
            }
            return nil
        }
    }
}

/// What `eddy produce` appended, for its summary line.
struct ProduceStats {
    private(set) var records = 0
    private(set) var bytes = 0
    private(set) var batches = 0
    /// Per partition: first and last offset appended.
    private(set) var ranges: [Int32: (first: Int64, last: Int64)] = [:]
    /// Partitions some of whose batches got no offset back (acks=0).
    private(set) var unknownOffsets: Set<Int32> = []

    mutating func record(partition: Int32, baseOffset: Int64, records count: Int, bytes size: Int) {
        records += count
        bytes += size
        batches += 1
        guard baseOffset >= 0 else {
            unknownOffsets.insert(partition)
            return
        }
        let last = baseOffset + Int64(count) - 1
        ranges[partition] = (ranges[partition]?.first ?? baseOffset, last)
    }

    /// `produced 3 records (250 bytes in 2 batches) to orders: partition 0 offsets 0..1, partition 2 offsets 5..5`.
    func summary(topic: String) -> String {
        let noun = records == 1 ? "record" : "records"
        guard records > 0 else { return "produced 0 records to \(topic)" }
        let parts = Set(ranges.keys).union(unknownOffsets).sorted().map { p in
            guard let r = ranges[p], !unknownOffsets.contains(p) else { return "partition \(p) offsets unknown (acks=0)" }
            return "partition \(p) offsets \(r.first)..\(r.last)"
        }
        return "produced \(records) \(noun) (\(bytes) bytes in \(batches) \(batches == 1 ? "batch" : "batches")) to \(topic): "
            + parts.joined(separator: ", ")
    }
}
