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

    /// Times `iterations` frames: each appends the next sample to the model and renders
    /// `view` at `size`. One warm-up frame first.
    public static func measureFrames(iterations: Int, view: ConsoleView = .topics, size: ScreenSize = ScreenSize(width: 160, height: 48),
                                     topics: Int = 200, partitions: Int = 2000, groups: Int = 20) -> [Duration] {
        var model = model(history: 30, topics: topics, partitions: partitions, groups: groups)
        let state = ConsoleState(clusterName: "bench", glyphs: .unicode, timeZone: TimeZone(identifier: "UTC")!, screen: size, view: view)
        let samples = (0...max(1, iterations)).map { syntheticSnapshot(topics: topics, partitions: partitions, groups: groups, step: 30 + $0) }
        let clock = ContinuousClock()
        var durations: [Duration] = []
        for (i, sample) in samples.enumerated() {
            let start = clock.now
            model.append(sample)
            let grid = ConsoleRenderer.render(model: model, state: state, size: size, now: sample.takenAtMs)
            precondition(grid.width == size.width)
            if i > 0 { durations.append(clock.now - start) }
        }
        return durations
    }

    /// Times `iterations` keystrokes (cycling through `keys`), each handled by the state and
    /// followed by a render, on a model of 200 topics / 2,000 partitions.
    public static func measureKeys(iterations: Int, keys: [Key] = [.down, .down, .up, .pageDown, .home],
                                   view: ConsoleView = .topics, size: ScreenSize = ScreenSize(width: 160, height: 48),
                                   topics: Int = 200, partitions: Int = 2000, groups: Int = 20) -> [Duration] {
        let model = model(history: 30, topics: topics, partitions: partitions, groups: groups)
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
}
