import ArgumentParser
import EddyProtocol

extension Bench {
    /// `eddy bench crc32c`: CRC-32C throughput, hardware instructions against slice-by-8.
    struct CRC32CBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crc32c",
            abstract: "Measure CRC-32C throughput (hardware instructions and portable slice-by-8).")

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Bytes checksummed per call.", valueName: "bytes"))
        var blockSize: Int = 1 << 20

        @Option(help: ArgumentHelp("Total bytes checksummed by each implementation.", valueName: "bytes"))
        var bytes: Int = 1 << 30

        func validate() throws {
            guard blockSize > 0 else { throw ValidationError("--block-size must be positive") }
            guard bytes >= blockSize else { throw ValidationError("--bytes must be at least --block-size") }
        }

        func run() throws {
            var rng = SplitMix64(seed: 42)
            let block = (0 ..< blockSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let rounds = bytes / blockSize
            let total = rounds * blockSize
            print("crc32c: \(BenchFormat.grouped(Double(total))) bytes in blocks of \(BenchFormat.grouped(Double(blockSize)))")
            try block.withUnsafeBytes { buf in
                guard CRC32C.checksum(buf) == CRC32C.softwareChecksum(buf) else {
                    throw EddyError("hardware and software CRC-32C disagree")
                }
                // The C functions are opaque to the optimizer, so the loops are not elided.
                let t0 = monotonicNanos()
                for _ in 0 ..< rounds { _ = CRC32C.checksum(buf) }
                let t1 = monotonicNanos()
                for _ in 0 ..< rounds { _ = CRC32C.softwareChecksum(buf) }
                let t2 = monotonicNanos()
                let hwName = CRC32C.isHardwareAccelerated ? "hardware" : "hardware (unavailable: slice-by-8)"
                print("  \(hwName): \(BenchFormat.mbPerSecond(bytes: total, nanos: t1 - t0))")
                print("  slice-by-8: \(BenchFormat.mbPerSecond(bytes: total, nanos: t2 - t1))")
            }
        }
    }
}
