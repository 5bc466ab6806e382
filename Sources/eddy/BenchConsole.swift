import ArgumentParser
import EddyBroker
import EddyClient
import EddyConsole
import EddyProtocol
import Foundation

extension Bench {
    /// `eddy bench console`: issue 5's console budgets.
    struct ConsoleBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "console",
            abstract: "Measure the console: frame rendering, keystroke-to-screen time, and the demo's idle CPU.",
            discussion: """
                Frames: a synthetic sample of --topics topics, --partitions partitions and --groups \
                groups (3 brokers) is taken into the console's model (ingest: the sampler's work, \
                off the UI thread) and the Topics and the Groups view rendered from it at 160x48 \
                (frame: the UI thread's work), --frames times each (budget 10 ms a frame). Keys: --keys \
                keystrokes (moving the selection) through the console's key handling, each followed \
                by a render, on the same model, in each view (budget 50 ms). The scale issue 10 asks \
                for: --partitions 10000 --groups 2000. Idle CPU: this process's CPU time (getrusage) over --seconds seconds \
                each, with a 3-broker cluster in a scratch directory (under --data-dir if given): \
                the cluster alone, with no topics; the cluster with the demo workload (topics, \
                producers, groups); and the whole demo, the same plus the console (sampling every \
                --refresh and rendering each sample into a 120x40 grid, without painting a terminal). \
                The demo's cost is the third (budget 15% of one core), the console's own the third \
                minus the second (budget 3%). Use a release build.

                With --bootstrap-server (or --cluster), the same scale on a running cluster \
                instead of synthetic samples, and no idle CPU: --topics topics holding --partitions \
                partitions in all (--replication-factor, --records records each) and --groups groups \
                made by direct offset commits, each on one topic, all named eddy-bench-console-*; \
                what is missing is created and what exists reused, and all is deleted at the end \
                unless --keep. Then --frames refreshes of the console's sampler (the wall time and \
                the requests of each, and this process's CPU), the frame that takes each sample in \
                and renders the Topics and the Groups view, and --keys keystrokes on the live model.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("Frames to render.", valueName: "n"))
        var frames = 200
        @Option(help: ArgumentHelp("Keystrokes to handle.", valueName: "n"))
        var keys = 500
        @Option(help: ArgumentHelp("Topics of the synthetic sample.", valueName: "n"))
        var topics = 200
        @Option(help: ArgumentHelp("Partitions of the synthetic sample.", valueName: "n"))
        var partitions = 2000
        @Option(help: ArgumentHelp("Consumer groups of the synthetic sample (each reads one topic).", valueName: "n"))
        var groups = 20
        @Option(help: ArgumentHelp("With --bootstrap-server: records in each partition of the benchmark's topics.", valueName: "n"))
        var records = 10
        @Option(name: .customLong("replication-factor"), help: ArgumentHelp(
            "With --bootstrap-server: the replication factor of the benchmark's topics.", valueName: "n"))
        var replicationFactor = 1
        @Flag(help: "With --bootstrap-server: keep the benchmark's topics and groups for the next run.")
        var keep = false
        @Option(help: ArgumentHelp("Seconds of each idle-CPU measurement; 0 skips them.", valueName: "s"))
        var seconds: Double = 10
        @Option(help: ArgumentHelp("The console's refresh interval for the idle-CPU measurements.", valueName: "duration"))
        var refresh = RefreshInterval(milliseconds: 1_000)

        func validate() throws {
            guard frames > 0, keys > 0 else { throw ValidationError("--frames and --keys must be at least 1") }
            guard topics > 0, partitions >= topics else { throw ValidationError("--partitions must be at least --topics, which must be at least 1") }
            guard groups >= 0, groups <= 100_000 else { throw ValidationError("--groups must be between 0 and 100000") }
            guard records >= 0, records <= 1_000_000 else { throw ValidationError("--records must be between 0 and 1000000") }
            guard (1 ... 32_767).contains(replicationFactor) else { throw ValidationError("--replication-factor must be at least 1") }
            guard seconds >= 0, seconds <= 3_600 else { throw ValidationError("--seconds must be between 0 and 3600") }
            guard RefreshInterval.range.contains(refresh.milliseconds) else {
                throw ValidationError("--refresh must be between 100ms and 1h (got \(refresh.defaultValueDescription))")
            }
        }

        func run() throws {
            if let servers = try common.remote() {
                try runLive(servers)
                return
            }
            let shape = "\(topics) topics, \(partitions) partitions, \(groups) groups, 160x48"
            for (name, view) in [("Topics", ConsoleView.topics), ("Groups", .groups)] {
                let times = ConsoleBenchmarks.measureFrames(iterations: frames, view: view, topics: topics, partitions: partitions, groups: groups)
                print("ingest:    a sample taken into the model (the sampler's work), \(shape): " + Self.summary(times.ingest, budget: nil))
                print("frame:     \(name) view, \(shape): " + Self.summary(times.frames, budget: ConsoleBenchmarks.frameBudget))
                let keyTimes = ConsoleBenchmarks.measureKeys(iterations: keys, view: view, topics: topics, partitions: partitions, groups: groups)
                print("keystroke: \(name) view, handle + render, \(shape): " + Self.summary(keyTimes, budget: ConsoleBenchmarks.keyBudget))
            }
            guard seconds > 0 else { return }
            let idle = try measureIdle(.clusterOnly)
            print("idle CPU:  the cluster alone, no topics: \(Self.percent(idle))")
            let workload = try measureIdle(.workload)
            print("idle CPU:  cluster + demo workload, no console: \(Self.percent(workload))")
            let demo = try measureIdle(.demo)
            print("idle CPU:  the demo (cluster + workload + console): \(Self.percent(demo)) (budget 15%); "
                + "the console alone: \(Self.percent(max(0, demo - workload))) (budget 3%)")
        }

        enum Setup { case clusterOnly, workload, demo }

        /// The share of one core this process used over `seconds` with `setup` running.
        func measureIdle(_ setup: Setup) throws -> Double {
            try BenchWorkspace.checkInterrupted()
            let workspace = try BenchWorkspace(options: common.dataDirectory)
            defer { workspace.remove() }
            // The demo's runtime (its cluster options, silenced logging, a driver thread).
            let runtime = try ConsoleRuntime(directory: workspace.path, create: true, options: ConsoleRuntime.clusterOptions())
            runtime.driver.start()
            defer { runtime.close() }
            let cluster = runtime.cluster, insight = runtime.insight
            let seconds = seconds, refreshMs = refresh.milliseconds
            return try blockingAwait {
                let workload = setup == .clusterOnly
                    ? nil : DemoWorkload(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers)
                try await workload?.start()
                let client = KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, clientId: "bench-console")
                let controls = DemoConsoleControls(brokers: insight, workload: workload)
                // Let the demo settle (groups join, the offsets topic appears) before measuring.
                if setup != .clusterOnly { await ClientTime.sleep(ms: 3_000) }
                let cpu0 = processCpuSeconds(), wall0 = ClientTime.monotonicMs()
                if setup == .demo {
                    await HeadlessConsole.run(client: client, insight: insight, controls: controls, refreshMs: refreshMs, seconds: seconds)
                } else {
                    await ClientTime.sleep(ms: Int64(seconds * 1_000))
                }
                let cpu = processCpuSeconds() - cpu0, wall = Double(ClientTime.monotonicMs() - wall0) / 1_000
                await workload?.stop()
                client.close()
                return cpu / max(0.001, wall)
            }
        }

        static func summary(_ durations: [Duration], budget: Duration?) -> String {
            func nanos(_ d: Duration) -> UInt64 {
                UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
            }
            func ms(_ ns: UInt64) -> String { BenchFormat.fixed(Double(ns) / 1e6, 2) }
            var samples = LatencySamples(capacity: durations.count)
            for d in durations { samples.add(nanos(d)) }
            let figures = "p50 \(ms(samples.percentile(50))) ms, p99 \(ms(samples.percentile(99))) ms, max \(ms(samples.percentile(100))) ms"
            guard let budget else { return figures }
            let budgetNs = nanos(budget)
            let within = samples.nanos.filter { $0 <= budgetNs }.count
            return figures + "; \(within) of \(durations.count) within \(BenchFormat.fixed(Double(budgetNs) / 1e6, 0)) ms"
        }

        static func percent(_ share: Double) -> String { BenchFormat.fixed(share * 100, 1) + "% of one core" }
    }
}

/// The console's work without a terminal, for the idle-CPU measurement: what `ConsoleApp` does
/// between keys: a sample every refresh (the same `ClientSnapshotSource`), appended to the
/// model, the demo's workers and caption read, and a frame rendered into a 120x40 grid for each
/// change. The UI loop's 100 ms key timeout is kept as a 100 ms tick. Painting (ncurses writing
/// the changed cells) is left out.
enum HeadlessConsole {
    static func run(client: KafkaClient, insight: any ClusterInsight, controls: any DemoControls, refreshMs: Int64, seconds: Double) async {
        let admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: max(2_000, 3 * refreshMs)))
        let source = ClientSnapshotSource(admin: admin, insight: insight)
        let size = ScreenSize(width: 120, height: 40)
        let state = ConsoleState(clusterName: "bench", hasDemoControls: true, refreshIntervalMs: refreshMs, screen: size)
        var model = ConsoleModel()
        let end = ClientTime.monotonicMs() + Int64(seconds * 1_000)
        var nextSample = ClientTime.monotonicMs()
        while ClientTime.monotonicMs() < end, !Signals.interrupted {
            var dirty = false
            if ClientTime.monotonicMs() >= nextSample {
                nextSample = ClientTime.monotonicMs() + refreshMs
                if let snapshot = try? await source.snapshot() {
                    model.append(snapshot)
                    dirty = true
                }
            }
            let workers = controls.workloadStatus(), caption = controls.scenarioCaption()
            if workers != model.workers || caption != model.caption {
                model.workers = workers
                model.caption = caption
                dirty = true
            }
            if dirty {
                let grid = ConsoleRenderer.render(model: model, state: state, size: size, now: ClientTime.wallClockMs())
                precondition(grid.width == size.width)
            }
            await ClientTime.sleep(ms: 100)
        }
    }
}
