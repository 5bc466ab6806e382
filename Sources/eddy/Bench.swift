import ArgumentParser

/// `eddy bench ...`: throughput and latency measurements. Figures go into BENCHMARKS.md.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmarks (use a release build: swift build -c release).",
        subcommands: [Append.self, Read.self, ProduceBench.self, ConsumeBench.self, LatencyBench.self, RequestsBench.self, MetadataBench.self, Recovery.self, CRC32CBench.self, ConsoleBench.self])
}
