import EddyBroker
import EddyProtocol

/// The reading side of `eddy consume`: a position per partition, advanced by fetches from the
/// partition's leader (as a consumer: below the high watermark, or the last stable offset with
/// read_committed, whose aborted transactions' records are skipped), rendering each record with
/// the format; control batches (transaction markers) print nothing. It holds no reference to the
/// cluster, so the caller can close and reopen the data directory between polls.
struct ConsumeReader {
    let topic: String
    private let topicBytes: [UInt8]
    let format: RecordFormat
    let isolationLevel: IsolationLevel
    /// The partitions read, in order, and the next offset to print from each.
    private(set) var positions: [(partition: Int32, offset: Int64)]
    /// Records still to print (nil: no limit).
    private(set) var remaining: Int?

    var isDone: Bool { remaining == 0 }

    init(cluster: Cluster, topic: String, partition: Int32?, start: StartOffset, format: RecordFormat, limit: Int?,
         isolationLevel: IsolationLevel = .readUncommitted) throws {
        self.topic = topic
        topicBytes = Array(topic.utf8)
        self.format = format
        self.isolationLevel = isolationLevel
        remaining = limit
        let description = try cluster.describeTopic(topic)
        let partitions: [Int32]
        if let partition {
            guard Int(partition) < description.partitionCount else {
                throw EddyError.unknownPartition(partition, of: topic, partitionCount: description.partitionCount)
            }
            partitions = [partition]
        } else {
            partitions = description.partitions.map(\.partition)
        }
        positions = try partitions.map { p in
            let tp = TopicPartition(topic, p)
            switch start {
            case .earliest: return (p, try cluster.listOffsets(tp, .earliest).offset)
            case .latest: return (p, try cluster.listOffsets(tp, .latest, isolationLevel: isolationLevel).offset)
            case let .absolute(n):
                let first = try cluster.listOffsets(tp, .earliest).offset
                let end = try cluster.listOffsets(tp, .latest, isolationLevel: isolationLevel).offset
                guard n >= first, n <= end else {
                    throw EddyError(kafka: "OFFSET_OUT_OF_RANGE",
                                    "offset \(n) is out of range for partition \(tp): it has offsets \(first) to \(end) (exclusive end)")
                }
                return (p, n)
            }
        }
    }

    /// Fetches once from every partition that has more, printing what it gets. Returns the
    /// number of records printed; 0 means every partition is at its end.
    mutating func poll(_ cluster: Cluster, out: Output) throws -> Int {
        var printed = 0
        for i in positions.indices where !isDone && !out.isClosed {
            let tp = TopicPartition(topic, positions[i].partition)
            let data = try cluster.fetch(tp, offset: positions[i].offset, maxBytes: Consume.fetchBytes, isolationLevel: isolationLevel)
            guard !data.records.isEmpty else { continue }
            var next = positions[i].offset
            var filter = AbortedTransactionFilter(isolationLevel == .readCommitted ? data.abortedTransactions ?? [] : [])
            printed += try render(data.records, partition: positions[i].partition, from: &next, skipping: &filter, out: out)
            positions[i].offset = next
        }
        return printed
    }

    /// Prints the records at or after `offset` in whole batches `bytes`, advancing `offset`.
    private mutating func render(_ bytes: [UInt8], partition: Int32, from offset: inout Int64, skipping filter: inout AbortedTransactionFilter,
                                 out: Output) throws -> Int {
        var printed = 0
        try bytes.withUnsafeBytes { buf in
            var pos = 0
            while pos < buf.count, !isDone {
                let header = try RecordBatchHeader(parsing: buf, at: pos)
                guard header.totalSize <= buf.count - pos else {
                    throw RecordBatchError.truncated(needed: header.totalSize, available: buf.count - pos)
                }
                let batch = UnsafeRawBufferPointer(rebasing: buf[pos ..< pos + header.totalSize])
                try RecordBatch.validate(batch, header: header, records: false)
                if filter.skips(header, batch: batch) {
                    offset = max(offset, header.nextOffset)
                    pos += header.totalSize
                    continue
                }
                let logAppendTime = header.attributes.timestampType == .logAppendTime
                var stop = false
                try RecordBatch.forEachRecord(in: batch, header: header) { r in
                    let recordOffset = header.baseOffset + Int64(r.offsetDelta)
                    guard !stop, recordOffset >= offset else { return }
                    let ts = logAppendTime ? header.maxTimestamp : header.baseTimestamp + r.timestampDelta
                    try format.render(topic: topicBytes, partition: partition, offset: recordOffset, timestamp: ts,
                                      timestampType: logAppendTime ? .logAppendTime : .createTime, record: r, to: out)
                    offset = recordOffset + 1
                    printed += 1
                    if let left = remaining {
                        remaining = left - 1
                        if left - 1 == 0 { stop = true }
                    }
                }
                if !stop { offset = max(offset, header.nextOffset) }
                pos += header.totalSize
            }
        }
        return printed
    }
}
