import EddyClient
import EddyProtocol
import Testing
@testable import EddyConsole

/// The benchmark hooks run, on reproducible input (timings are for `eddy bench console`).
@Suite struct AppBenchmarkTests {
    @Test func syntheticSnapshotsAreReproducibleAndFull() {
        let a = ConsoleBenchmarks.syntheticSnapshot(step: 3)
        #expect(a == ConsoleBenchmarks.syntheticSnapshot(step: 3))
        #expect(a.topics.count == 200 && a.partitionCount == 2000)
        #expect(a.groups.count == 20 && a.groups.allSatisfy { $0.rows.count == 10 && $0.members.count == 3 })
        let b = ConsoleBenchmarks.syntheticSnapshot(step: 4)
        #expect(b.takenAtMs - a.takenAtMs == 1000)
        let grows = zip(a.topics, b.topics).allSatisfy { t in
            zip(t.0.partitions, t.1.partitions).allSatisfy { ($0.logEndOffset ?? 0) <= ($1.logEndOffset ?? 0) }
        }
        #expect(grows)
    }

    @Test func framesAndKeysAreMeasured() {
        let times = ConsoleBenchmarks.measureFrames(iterations: 2, view: .group("group-1"), topics: 20, partitions: 200)
        #expect(times.ingest.count == 2 && times.frames.count == 2)
        #expect(ConsoleBenchmarks.measureKeys(iterations: 3).count == 3)
        let model = ConsoleBenchmarks.model(history: 3, topics: 20, partitions: 200)
        #expect(model.sampleCount == 3 && model.topicIn.count == 20)
        let grid = ConsoleRenderer.render(model: model, state: ConsoleState(clusterName: "bench", view: .topics),
                                          size: ScreenSize(width: 160, height: 48), now: 0)
        #expect(grid.line(3).hasPrefix("topic-000"), "the first row, under the summary and the column titles")
    }
}
