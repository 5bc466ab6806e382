import Testing
@testable import EddyConsole

@Suite struct RenderBenchmarkTests {
    @Test func syntheticFrameIsDeterministicAndFull() {
        let model = RenderBenchmark.makeModel()
        #expect(model.count == 2000)
        #expect(Set(model.map(\.topic)).count == 200)
        #expect(model == RenderBenchmark.makeModel())
        let frame = RenderBenchmark.renderFrame(model)
        #expect(frame.width == 160 && frame.height == 48)
        #expect(frame == RenderBenchmark.renderFrame(model))
        #expect(frame.line(0).contains("2000 partitions"))
        // The selected row (1000) is on screen.
        #expect((0..<48).contains { frame[0, $0].style.background == .selected })
        #expect(RenderBenchmark.measure(iterations: 2, model: Array(model.prefix(50))).count == 2)
    }
}
