import EddyClient
import EddyProtocol
import Foundation

/// Benchmark hooks for `eddy bench console` (issue 5's budgets):
/// - `measureFrames`: taking a sample of 200 topics / 2,000 partitions into the model and
///   rendering one frame (budget 10 ms per frame);
/// - `measureKeys`: a keystroke through `ConsoleState.handle` and a render, the work between a
///   key and the screen (budget 50 ms).
/// Both work on seeded synthetic snapshots, so runs are comparable.
public enum ConsoleBenchmarks {
    public static let frameBudget: Duration = .milliseconds(10)
    public static let keyBudget: Duration = .milliseconds(50)

    /// A synthetic sample: `partitions` partitions over `topics` topics on 3 brokers, and
    /// `groups` groups each consuming one topic with 3 members; offsets grow with `step`
    /// (one step a second), reproducibly from `seed`.
    public static func syntheticSnapshot(topics: Int = 200, partitions: Int = 2000, groups: Int = 20, step: Int,
                                         seed: UInt64 = 5) -> ConsoleSnapshot {
        var random = SplitMix64(seed: seed)
        let perTopic = max(1, partitions / max(1, topics))
        var topicList: [TopicSnapshot] = []
        for t in 0..<max(1, topics) {
            let name = "topic-\(String(t + 1000).dropFirst())"
            let parts = (0..<perTopic).map { p -> PartitionSnapshot in
                let replicas: [Int32] = [0, 1, 2].map { Int32(($0 + t + p) % 3 + 1) }
                let shrunk = Int.random(in: 0..<10, using: &random) == 0
                let rate = Int64.random(in: 0..<500, using: &random)
                let start = Int64.random(in: 0..<1000, using: &random)
                let end = start + rate * Int64(step + 100)
                return PartitionSnapshot(partition: Int32(p), leader: replicas[0], replicas: replicas,
                                         isr: shrunk ? Array(replicas.prefix(2)) : replicas, logStartOffset: start,
                                         logEndOffset: end, highWatermark: max(start, end - Int64.random(in: 0..<20, using: &random)),
                                         sizeBytes: (end - start) * 120)
            }
            topicList.append(TopicSnapshot(name: name, partitions: parts, retentionMs: 604_800_000, retentionBytes: -1, cleanupPolicy: "delete"))
        }
        var groupList: [GroupSnapshot] = []
        for g in 0..<groups {
            let topic = topicList[g % topicList.count]
            let members = (0..<3).map { m in
                Admin.MemberDescription(memberId: "member-\(g)-\(m)", clientId: "consumer-\(g)-\(m)", host: "/127.0.0.1",
                                        assignment: topic.partitions.filter { Int($0.partition) % 3 == m }.map { TopicPartition(topic.name, $0.partition) })
            }
            let rows = topic.partitions.map { p -> GroupPositions.Row in
                let hw = p.highWatermark ?? 0
                let lag = Int64.random(in: 0..<200, using: &random)
                return GroupPositions.Row(topicPartition: TopicPartition(topic.name, p.partition), logStartOffset: p.logStartOffset,
                                          logEndOffset: p.logEndOffset, highWatermark: hw, position: max(p.logStartOffset ?? 0, hw - lag / 2),
                                          committedOffset: max(p.logStartOffset ?? 0, hw - lag), memberId: "member-\(g)-\(Int(p.partition) % 3)",
                                          clientId: "consumer-\(g)-\(Int(p.partition) % 3)", host: "/127.0.0.1")
            }
            groupList.append(GroupSnapshot(groupId: "group-\(g)", state: .stable, assignor: "range", coordinator: Int32(g % 3 + 1),
                                           members: members, rows: rows))
        }
        return ConsoleSnapshot(takenAtMs: 1_717_243_200_000 + Int64(step) * 1000, clusterId: "bench", controllerId: 1,
                               brokers: (1...3).map { BrokerSnapshot(id: $0, state: .running, isController: $0 == 1, bytesIn: Int64(step) * 100_000, bytesOut: Int64(step) * 200_000) },
                               topics: topicList, groups: groupList)
    }

    /// A model holding `history` consecutive synthetic samples.
    public static func model(history: Int = 60, topics: Int = 200, partitions: Int = 2000, groups: Int = 20) -> ConsoleModel {
        var model = ConsoleModel()
        for step in 0..<max(1, history) { model.append(syntheticSnapshot(topics: topics, partitions: partitions, groups: groups, step: step)) }
        return model
    }

    /// Times `iterations` samples as the console takes them: the sampler takes the next sample
    /// into its model while the UI still holds the previous copy (`ingest`, off the UI thread;
    /// see `ConsoleMailbox`), then the UI thread renders `view` at `size` from the new model
    /// (`frames`). One warm-up sample first.
    public static func measureFrames(iterations: Int, view: ConsoleView = .topics, size: ScreenSize = ScreenSize(width: 160, height: 48),
                                     topics: Int = 200, partitions: Int = 2000, groups: Int = 20) -> FrameTimes {
        var model = model(history: 30, topics: topics, partitions: partitions, groups: groups)
        let state = ConsoleState(clusterName: "bench", glyphs: .unicode, timeZone: TimeZone(identifier: "UTC")!, screen: size, view: view)
        let samples = (0...max(1, iterations)).map { syntheticSnapshot(topics: topics, partitions: partitions, groups: groups, step: 30 + $0) }
        var times = FrameTimes()
        var shown = model
        for (i, sample) in samples.enumerated() {
            let (ingest, frame) = takeIn(sample, into: &model, shown: &shown, state: state, size: size)
            if i > 0 {
                times.ingest.append(ingest)
                times.frames.append(frame)
            }
        }
        return times
    }

    /// The time a sample costs the sampler (`ingest`) and the UI thread (`frames`).
    public struct FrameTimes: Sendable {
        public var ingest: [Duration] = []
        public var frames: [Duration] = []
    }

    /// As the console does with one sample: the sampler appends it to `model` while the UI
    /// shows `shown` (a copy sharing its storage), the UI swaps the new copy in and renders it.
    /// The replaced model is dropped outside both timings, as the sampler frees it.
    static func takeIn(_ sample: ConsoleSnapshot, into model: inout ConsoleModel, shown: inout ConsoleModel, state: ConsoleState,
                       size: ScreenSize) -> (ingest: Duration, frame: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        model.append(sample)
        let ingest = clock.now - start
        var replaced = model
        swap(&replaced, &shown)
        let frameStart = clock.now
        let grid = ConsoleRenderer.render(model: shown, state: state, size: size, now: sample.takenAtMs)
        let frame = clock.now - frameStart
        precondition(grid.width == size.width)
        withExtendedLifetime(replaced) {}
        return (ingest, frame)
    }

    /// Times `iterations` keystrokes (cycling through `keys`), each handled by the state and
    /// followed by a render, on a model of 200 topics / 2,000 partitions.
    public static func measureKeys(iterations: Int, keys: [Key] = [.down, .down, .up, .pageDown, .home],
                                   view: ConsoleView = .topics, size: ScreenSize = ScreenSize(width: 160, height: 48),
                                   topics: Int = 200, partitions: Int = 2000, groups: Int = 20) -> [Duration] {
        measureKeys(iterations: iterations, keys: keys, view: view, size: size,
                    model: model(history: 30, topics: topics, partitions: partitions, groups: groups))
    }

    /// Times `iterations` keystrokes on `model` (a live one, for `measureLive`).
    public static func measureKeys(iterations: Int, keys: [Key] = [.down, .down, .up, .pageDown, .home],
                                   view: ConsoleView, size: ScreenSize = ScreenSize(width: 160, height: 48),
                                   model: ConsoleModel) -> [Duration] {
        var state = ConsoleState(clusterName: "bench", glyphs: .unicode, timeZone: TimeZone(identifier: "UTC")!, screen: size, view: view)
        let now = model.latest?.takenAtMs ?? 0
        _ = ConsoleRenderer.render(model: model, state: state, size: size, now: now)
        let clock = ContinuousClock()
        return (0..<max(1, iterations)).map { i in
            let start = clock.now
            _ = state.handle(keys[i % max(1, keys.count)], model: model)
            let grid = ConsoleRenderer.render(model: model, state: state, size: size, now: now)
            precondition(grid.height == size.height)
            return clock.now - start
        }
    }

    /// What `measureLive` measured.
    public struct LiveMeasurement: Sendable {
        /// Wall time of each refresh: the requests of one `ClientSnapshotSource.snapshot()`.
        public var refreshes: [Duration] = []
        /// Each refresh's requests, by API.
        public var requests: [[ApiKey: Int]] = []
        /// Taking each refresh's sample into the model (the sampler's work, off the UI thread).
        public var ingest: [Duration] = []
        /// Per view: rendering it from the model with the new sample (the UI thread's frame).
        public var frames: [ConsoleView: [Duration]] = [:]
        /// This process's CPU seconds over the refreshes and frames.
        public var cpuSeconds: Double = 0
        /// The model after the last refresh.
        public var model = ConsoleModel()
        /// The last sample's shape.
        public var partitions = 0, groups = 0, groupRows = 0
    }

    /// Times `refreshes` live refreshes from `source` (whose client sends through `counting`):
    /// each refresh's wall time and requests, taking its sample into the model, and rendering
    /// each of `views` at `size` from it. One warm-up refresh first (coordinators and metadata
    /// are looked up once, then cached).
    public static func measureLive(source: ClientSnapshotSource, counting: CountingTransport, refreshes: Int,
                                   views: [ConsoleView] = [.topics, .groups], size: ScreenSize = ScreenSize(width: 160, height: 48),
                                   cpuSeconds: @Sendable () -> Double) async throws(ClientError) -> LiveMeasurement {
        var m = LiveMeasurement()
        m.model.append(try await source.snapshot())
        _ = counting.take()
        let clock = ContinuousClock()
        let cpu0 = cpuSeconds()
        var shown = m.model
        for _ in 0 ..< max(1, refreshes) {
            let start = clock.now
            let sample = try await source.snapshot()
            m.refreshes.append(clock.now - start)
            m.requests.append(counting.take())
            for (i, view) in views.enumerated() {
                let state = ConsoleState(clusterName: "bench", glyphs: .unicode, timeZone: TimeZone(identifier: "UTC")!, screen: size, view: view)
                if i == 0 {
                    let (ingest, frame) = takeIn(sample, into: &m.model, shown: &shown, state: state, size: size)
                    m.ingest.append(ingest)
                    m.frames[view, default: []].append(frame)
                } else {
                    let frameStart = clock.now
                    let grid = ConsoleRenderer.render(model: shown, state: state, size: size, now: sample.takenAtMs)
                    m.frames[view, default: []].append(clock.now - frameStart)
                    precondition(grid.width == size.width)
                }
            }
            m.partitions = sample.topics.reduce(0) { $0 + $1.partitions.count }
            m.groups = sample.groups.count
            m.groupRows = sample.groups.reduce(0) { $0 + $1.rows.count }
        }
        m.cpuSeconds = cpuSeconds() - cpu0
        return m
    }
}
