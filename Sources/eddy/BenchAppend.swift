import ArgumentParser
import EddyProtocol
import EddyStorage

extension Bench {
    /// `eddy bench append`: append throughput of one partition log, flush off.
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure appends to one partition log (flush off).",
            discussion: """
                Appends --records records of --record-size bytes in batches of --batch records to one \
                partition log in a scratch directory, and prints records/s, MB/s of log bytes and the \
                p50/p99 latency of one append. The batch is encoded once, before timing, as a producer \
                would send it; each append validates it (header, CRC-32C, every record) and writes it.
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
            print("append: \(BenchFormat.grouped(Double(workload.records))) records of \(workload.recordSize) bytes, "
                + "batches of \(workload.batch) (\(BenchFormat.grouped(Double(batch.count))) bytes each), one partition, flush off")
            var latencies = LatencySamples(capacity: workload.batchCount)
            let start = monotonicNanos()
            for i in 0 ..< workload.batchCount {
                if i & 63 == 0 { try BenchWorkspace.checkInterrupted() }
                let t0 = monotonicNanos()
                try log.append(batch)
                latencies.add(monotonicNanos() - t0)
            }
            let elapsed = monotonicNanos() - start
            let bytes = batch.count * workload.batchCount
            guard log.logEndOffset == Int64(workload.records) else {
                throw EddyError("log end offset is \(log.logEndOffset), expected \(workload.records)")
            }
            BenchReport.print(records: workload.records, bytes: bytes, nanos: elapsed, latencies: latencies, per: "append")
        }
    }
}

/// The result lines shared by `bench append` and `bench read`.
enum BenchReport {
    static func print(records: Int, bytes: Int, nanos: UInt64, latencies: LatencySamples, per: String,
                      bytesLabel: String = "log bytes") {
        let seconds = Double(nanos) / 1e9
        Swift.print("  elapsed:    \(BenchFormat.fixed(seconds, 3)) s")
        Swift.print("  records/s:  \(BenchFormat.grouped(Double(records) / seconds))")
        Swift.print("  throughput: \(BenchFormat.mbPerSecond(bytes: bytes, nanos: nanos)) (\(bytesLabel); 1 MB = 10^6 bytes)")
        Swift.print("  latency per \(per) (one batch): p50 \(BenchFormat.micros(latencies.percentile(50))), "
            + "p99 \(BenchFormat.micros(latencies.percentile(99))), max \(BenchFormat.micros(latencies.percentile(100)))")
    }
}
