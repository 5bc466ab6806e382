import Testing
@testable import EddyConsole

@Suite struct DemoRatePacerTests {
    @Test func fractionsCarryOver() {
        var pacer = RatePacer(recordsPerSecond: 7.5)
        #expect(pacer.due(nowMs: 1_000) == 0, "the first call starts the clock")
        var total = 0
        for tick in 1 ... 100 { total += pacer.due(nowMs: 1_000 + Int64(tick) * 100) }
        #expect(total == 75, "10 s at 7.5/s")
    }

    @Test func longGapsAreNotMadeUp() {
        var pacer = RatePacer(recordsPerSecond: 100, maxCatchUpMs: 1_000)
        _ = pacer.due(nowMs: 0)
        #expect(pacer.due(nowMs: 60_000) == 100, "a minute's stall sends one second's worth")
        #expect(pacer.due(nowMs: 60_100) == 10)
    }

    @Test func restartForgetsThePause() {
        var pacer = RatePacer(recordsPerSecond: 50)
        _ = pacer.due(nowMs: 0)
        #expect(pacer.due(nowMs: 500) == 25)
        pacer.restart()
        #expect(pacer.due(nowMs: 900) == 0)
        #expect(pacer.due(nowMs: 1_000) == 5)
    }

    @Test func rateChangesApplyFromTheNextTick() {
        var pacer = RatePacer(recordsPerSecond: 10)
        _ = pacer.due(nowMs: 0)
        #expect(pacer.due(nowMs: 1_000) == 10)
        pacer.recordsPerSecond = 200
        #expect(pacer.due(nowMs: 1_500) == 100)
        pacer.recordsPerSecond = -3
        #expect(pacer.recordsPerSecond == 0)
        #expect(pacer.due(nowMs: 2_500) == 0)
        #expect(pacer.due(nowMs: 2_400) == 0, "a clock going back sends nothing")
    }
}
