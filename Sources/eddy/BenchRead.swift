import ArgumentParser
import EddyProtocol
import EddyStorage

extension Bench {
    /// `eddy bench read`: read-back throughput of one partition log.
    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure reading one partition log back, decoding every record.",
            discussion: """
                First writes --records records (untimed), then reads them all back through the log's \
                read path one batch per read, checks each batch's CRC-32C and walks every record \
                (key, value, headers) without allocating, as a consumer would. Prints records/s, \
                MB/s and the p50/p99 latency of reading and decoding one batch.
                """)

        @OptionGroup var common: DataDirectoryOptions
        @OptionGroup var workload: BenchLogOptions

        func run() throws {
            let workspace = try BenchWorkspace(options: common)
            defer { workspace.remove() }
            let log = try PartitionLog(directory: workspace.path + "/bench-0", topicPartition: TopicPartition("bench", 0),
                                       config: LogConfig(), clock: SystemClock())
            defer { log.closeWithoutFlush() }
            let batch = BenchData.batch(records: workload.batch, recordSize: workload.recordSize, seed: 1)
            for i in 0 ..< workload.batchCount {
                if i & 63 == 0 { try BenchWorkspace.checkInterrupted() }
                try log.append(batch)
            }
            print("read: \(BenchFormat.grouped(Double(workload.records))) records of \(workload.recordSize) bytes, "
                + "batches of \(workload.batch), one partition, one batch per read, CRC checked, every record decoded")
            var latencies = LatencySamples(capacity: workload.batchCount)
            var offset: Int64 = 0
            var records = 0
            var bytes = 0
            var valueBytes = 0
            let end = log.logEndOffset
            let start = monotonicNanos()
            while offset < end {
                if records & 0xFFFF == 0 { try BenchWorkspace.checkInterrupted() }
                let t0 = monotonicNanos()
                let data = try log.read(from: offset, maxBytes: 1)
                try data.bytes.withUnsafeBytes { buf in
                    var pos = 0
                    while pos < buf.count {
                        let header = try RecordBatchHeader(parsing: buf, at: pos)
                        let one = UnsafeRawBufferPointer(rebasing: buf[pos ..< pos + header.totalSize])
                        try RecordBatch.validate(one, header: header, records: false)
                        try RecordBatch.forEachRecord(in: one, header: header) { r in
                            valueBytes &+= (r.value?.count ?? 0) &+ (r.key?.count ?? 0) &+ r.rawHeaders.count
                            records += 1
                        }
                        offset = header.nextOffset
                        pos += header.totalSize
                    }
                }
                bytes += data.bytes.count
                latencies.add(monotonicNanos() - t0)
            }
            let elapsed = monotonicNanos() - start
            guard records == workload.records, valueBytes == workload.records * workload.recordSize else {
                throw EddyError("read back \(records) records and \(valueBytes) value bytes; expected \(workload.records) and \(workload.records * workload.recordSize)")
            }
            BenchReport.print(records: records, bytes: bytes, nanos: elapsed, latencies: latencies, per: "read")
        }
    }
}
