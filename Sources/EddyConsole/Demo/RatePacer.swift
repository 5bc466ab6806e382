/// Turns a rate into a number of records per tick: a producer that wakes every few tens of
/// milliseconds asks `due(nowMs:)` how many records it owes since its last tick. Fractions carry
/// over, so 7.5 records/s over 100 ms ticks sends 7 or 8 records a second, never drifting. A gap
/// longer than `maxCatchUpMs` (the process was stopped, a send blocked) is not made up: the
/// pacer never bursts more than that much time's worth. Pure; the caller supplies the clock.
public struct RatePacer: Sendable, Equatable {
    /// Records per second; 0 sends nothing.
    public var recordsPerSecond: Double {
        didSet { recordsPerSecond = max(0, recordsPerSecond.isFinite ? recordsPerSecond : 0) }
    }
    /// The longest gap made up for, in ms.
    public var maxCatchUpMs: Int64
    private var carry = 0.0
    private var lastMs: Int64?

    public init(recordsPerSecond: Double, maxCatchUpMs: Int64 = 1_000) {
        self.recordsPerSecond = max(0, recordsPerSecond.isFinite ? recordsPerSecond : 0)
        self.maxCatchUpMs = maxCatchUpMs
    }

    /// How many records are due at `nowMs` (a monotonic clock) since the previous call; the
    /// first call only starts the clock and returns 0.
    public mutating func due(nowMs: Int64) -> Int {
        defer { lastMs = nowMs }
        guard let last = lastMs, nowMs > last else { return 0 }
        let elapsed = min(nowMs - last, maxCatchUpMs)
        let exact = carry + recordsPerSecond * Double(elapsed) / 1_000
        let whole = exact.rounded(.down)
        carry = exact - whole
        return Int(whole)
    }

    /// Forgets the time since the last call (after a pause), so resuming does not burst.
    public mutating func restart() {
        lastMs = nil
        carry = 0
    }
}
