import ArgumentParser
import EddyProtocol
import EddyStorage
import Foundation

extension Bench {
    /// `eddy bench recovery`: how long a large partition log takes to open.
    struct Recovery: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure opening a large partition log after a clean shutdown and after a crash.",
            discussion: """
                Writes a log of about --size bytes (batches of 1000 records of 100 bytes, default \
                segment.bytes of 1 GiB) and shuts it down cleanly. Then times opening the data \
                directory and the log (LogManager + getOrCreateLog) in three states: after the clean \
                shutdown (no scan); after a crash whose recovery checkpoint is the active segment's \
                base offset (the rolled segments were fsynced, the active one is scanned); and after a \
                crash with no recovery checkpoint at all (every segment is scanned). A crash is \
                simulated by removing the clean-shutdown marker and rewriting the checkpoint file.
                """)

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Approximate log size in bytes.", valueName: "bytes"))
        var size: Int64 = 2_000_000_000

        @Flag(help: "Drop the kernel's page cache before each open (root only), to read from disk.")
        var cold = false

        func validate() throws {
            guard size > 0 else { throw ValidationError("--size must be positive") }
        }

        func run() throws {
            let workspace = try BenchWorkspace(options: common)
            defer { workspace.remove() }
            let dir = workspace.path + "/data"
            let tp = TopicPartition("bench", 0)
            let batch = BenchData.batch(records: 1000, recordSize: 100, seed: 1)
            var segments: [SegmentInfo] = []
            do {
                let manager = try LogManager(directory: dir, clock: SystemClock())
                let log = try manager.getOrCreateLog(tp, config: LogConfig())
                var written: Int64 = 0
                var i = 0
                while written < size {
                    if i & 63 == 0 { try BenchWorkspace.checkInterrupted() }
                    try log.append(batch)
                    written += Int64(batch.count)
                    i += 1
                }
                segments = log.segments
                try manager.shutdown()
            }
            let total = segments.reduce(Int64(0)) { $0 + $1.sizeInBytes }
            let active = segments[segments.count - 1]
            let leo = active.nextOffset
            print("recovery: log of \(BenchFormat.grouped(Double(total))) bytes, \(BenchFormat.grouped(Double(leo))) records, "
                + "\(segments.count) segment(s); active segment \(BenchFormat.grouped(Double(active.sizeInBytes))) bytes"
                + (cold ? "; page cache dropped before each open" : "; page cache warm"))

            let clean = try timedOpen(dir: dir, tp: tp, expectedEnd: leo)
            print("  open after clean shutdown:                      \(BenchFormat.fixed(clean, 1)) ms (no scan)")

            try writeRecoveryPoint(dir: dir, tp: tp, offset: active.baseOffset)
            let crashed = try timedOpen(dir: dir, tp: tp, expectedEnd: leo)
            print("  open after crash, checkpoint at active segment: \(BenchFormat.fixed(crashed, 1)) ms "
                + "(scans \(BenchFormat.grouped(Double(active.sizeInBytes))) bytes)")

            try? FileManager.default.removeItem(atPath: dir + "/" + LogManager.recoveryPointFile)
            let full = try timedOpen(dir: dir, tp: tp, expectedEnd: leo)
            print("  open after crash, no recovery checkpoint:       \(BenchFormat.fixed(full, 1)) ms "
                + "(scans \(BenchFormat.grouped(Double(total))) bytes, \(BenchFormat.mbPerSecond(bytes: Int(total), nanos: UInt64(full * 1e6))))")
        }

        /// Opens the directory and the log, checks the end offset, then closes without the
        /// clean-shutdown marker (as a crash would). Returns milliseconds.
        private func timedOpen(dir: String, tp: TopicPartition, expectedEnd: Int64) throws -> Double {
            try BenchWorkspace.checkInterrupted()
            if cold { dropPageCache() }
            let t0 = monotonicNanos()
            let manager = try LogManager(directory: dir, clock: SystemClock())
            let log = try manager.getOrCreateLog(tp, config: LogConfig())
            let t1 = monotonicNanos()
            guard log.logEndOffset == expectedEnd else {
                throw EddyError("reopened log ends at \(log.logEndOffset), expected \(expectedEnd)")
            }
            log.closeWithoutFlush()
            return Double(t1 - t0) / 1e6
        }

        private func writeRecoveryPoint(dir: String, tp: TopicPartition, offset: Int64) throws {
            try? FileManager.default.removeItem(atPath: dir + "/" + LogManager.cleanShutdownFile)
            try OffsetCheckpointFile.write(dir + "/" + LogManager.recoveryPointFile, [tp: offset])
        }

        private func dropPageCache() {
            sync()
            guard let h = FileHandle(forWritingAtPath: "/proc/sys/vm/drop_caches") else {
                printNotice("eddy: cannot drop the page cache (needs root); timing with a warm cache")
                return
            }
            h.write(Data("3\n".utf8))
            try? h.close()
        }
    }
}
