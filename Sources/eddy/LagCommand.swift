import ArgumentParser
import EddyClient
import EddyConsole
import EddyServer
import Foundation
import NIOConcurrencyHelpers

/// `eddy lag`: every group's lag per partition, for alerting as much as for eyes (what Burrow
/// and kafka-lag-exporter offer), from the same code as the console (`LagSampler`).
struct Lag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consumer group lag per partition: offsets, lag, time lag, lost records and Burrow's status.",
        discussion: """
            One row per group and partition: LOG-START, COMMITTED, HIGH-WATERMARK, LOG-END, LAG \
            (records that still exist), TIME-LAG (how old the record at the committed offset is), \
            LOST (records deleted before the group read them) and STATUS (Burrow's OK, WARN, \
            STOP, STALL, REWIND over a window of the group's commits). Statuses need two commits \
            seen while eddy watches, so they appear with --watch or --metrics-listen. \
            --output json prints the same model as one JSON object per sample; \
            --metrics-listen serves it to Prometheus at http://HOST:PORT/metrics.
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case table
        case json
    }

    @OptionGroup var common: ConnectionOptions

    @Option(help: ArgumentHelp("Only this group (repeat for several; default: every group).", valueName: "group"))
    var group: [String] = []

    @Flag(help: "Sample again every --interval-ms until interrupted.")
    var watch = false

    @Option(name: .customLong("interval-ms"), help: ArgumentHelp("Time between samples with --watch or --metrics-listen.", valueName: "ms"))
    var intervalMs: Int64 = 5_000

    @Option(help: ArgumentHelp("table or json.", valueName: "format"))
    var output: OutputFormat = .table

    @Option(help: ArgumentHelp("Only groups with this status: OK, WARN, STOP, STALL or REWIND.", valueName: "status"))
    var status: String?

    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp(
        "Serve the lag in Prometheus' format at http://HOST:PORT/metrics, sampling every --interval-ms until interrupted.",
        valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .customLong("metrics-cluster-name"), help: ArgumentHelp(
        "The cluster_name label of the metrics (default: --cluster, else --bootstrap-server, else the data directory).",
        valueName: "name"))
    var metricsClusterName: String?

    func validate() throws {
        if let metricsClusterName, metricsClusterName.isEmpty { throw ValidationError("--metrics-cluster-name must not be empty") }
        guard intervalMs >= 100 else { throw ValidationError("--interval-ms must be at least 100, not \(intervalMs)") }
        if let status, LagStatus(name: status) == nil {
            throw ValidationError("--status must be OK, WARN, STOP, STALL or REWIND, not '\(status)'")
        }
        if let metricsListen, ListenAddress(metricsListen) == nil {
            throw ValidationError("--metrics-listen must be HOST:PORT, not '\(metricsListen)'")
        }
    }

    func run() throws {
        let groups = group.isEmpty ? nil : group
        let repeating = watch || metricsListen != nil
        let filter = status.flatMap { LagStatus(name: $0) }
        let exposition = NIOLockedValueBox("")
        var server: MetricsHTTPServer?
        if let metricsListen, let address = ListenAddress(metricsListen) {
            do throws(ListenError) {
                server = try MetricsHTTPServer(host: address.host, port: address.port) { exposition.withLockedValue { $0 } }
            } catch {
                throw EddyError("cannot listen on \(metricsListen) for metrics: \(error.reason); choose another --metrics-listen")
            }
            printNotice("eddy: serving lag metrics at http://\(address.host):\(server!.port)/metrics")
        }
        defer { server?.shutdown() }
        let format = output, interval = intervalMs, printing = server == nil || watch
        // kafka-lag-exporter's cluster_name: --metrics-cluster-name, else the named cluster, else
        // the bootstrap servers, else the data directory.
        let clusterName = metricsClusterName ?? common.cluster ?? common.bootstrapServer ?? common.dataDirectory.path
        // A watch stops by itself on Ctrl-C (after the sample in progress), exit status 0.
        try Groups.withExistingAdmin(common, clientId: "eddy-lag", interruptible: !repeating) { admin in
            let tracker = LagTracker(admin: admin)
            let sampler = LagSampler(admin: admin, tracker: tracker)
            var first = true
            repeat {
                var report: LagReport
                do {
                    report = try await sampler.sample(groups: groups)
                } catch where repeating {
                    // A watcher or an exporter outlives a broker restart: say so, keep the last
                    // metrics, and try again at the next interval.
                    printError("lag sample failed: \(error); trying again in \(interval) ms")
                    let until = ClientTime.monotonicMs() + interval
                    while !Signals.interrupted, ClientTime.monotonicMs() < until { try? await Task.sleep(for: .milliseconds(50)) }
                    continue
                }
                exposition.withLockedValue { $0 = LagMetrics.render(report, clusterName: clusterName) }
                if let filter { report = report.filtered(status: filter) }
                if printing {
                    for line in Lag.lines(report, format: format, header: repeating && !first) { Output.standard.write(line + "\n") }
                    // Each sample reaches a pipe (`| jq`) as it is taken.
                    Output.standard.flush()
                }
                first = false
                guard repeating else { break }
                let until = ClientTime.monotonicMs() + interval
                while !Signals.interrupted, ClientTime.monotonicMs() < until { try? await Task.sleep(for: .milliseconds(50)) }
            } while !Signals.interrupted
            await tracker.close()
        }
    }

    /// The sample as output lines: one JSON object, or the table (after an empty line when
    /// `header`, separating samples).
    static func lines(_ report: LagReport, format: OutputFormat, header: Bool) -> [String] {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(report) else { return [] }
            return [String(decoding: data, as: UTF8.self)]
        case .table:
            var rows = [["GROUP", "TOPIC", "PARTITION", "LOG-START", "COMMITTED", "HIGH-WATERMARK", "LOG-END", "LAG", "TIME-LAG", "LOST", "STATUS"]]
            for g in report.groups {
                if let error = g.error { printError("group \(g.group): \(error)") }
                for p in g.partitions {
                    rows.append([g.group, p.topic, "\(p.partition)", Groups.cell(p.logStartOffset), Groups.cell(p.committedOffset),
                                 Groups.cell(p.highWatermark), Groups.cell(p.logEndOffset), Groups.cell(p.lag),
                                 p.timeLagMs.map { HumanFormat.duration(ms: $0) } ?? "-", Groups.cell(p.lost), p.status ?? "-"])
                }
            }
            guard rows.count > 1 else { return [] }
            return (header ? [""] : []) + TextTable.render(rows)
        }
    }

}
