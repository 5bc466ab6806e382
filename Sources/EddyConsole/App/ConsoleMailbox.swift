import Foundation

/// What the background tasks hand to the UI thread: new samples, sampling failures and the
/// outcomes of effects, plus the UI's requests back (refresh now, stop). Thread-safe.
final class ConsoleMailbox: @unchecked Sendable {
    struct Inbox {
        var snapshots: [ConsoleSnapshot] = []
        var sampleError: String?
        var outcomes: [EffectOutcome] = []
        var isEmpty: Bool { snapshots.isEmpty && sampleError == nil && outcomes.isEmpty }
    }

    private let lock = NSLock()
    private var inbox = Inbox()
    private var refreshWanted = false
    private var stopped = false

    func post(_ snapshot: ConsoleSnapshot) { lock.withLock { inbox.snapshots.append(snapshot); inbox.sampleError = nil } }
    func post(sampleError: String) { lock.withLock { inbox.sampleError = sampleError } }
    func post(_ outcome: EffectOutcome) { lock.withLock { inbox.outcomes.append(outcome) } }

    /// Everything posted since the last call.
    func take() -> Inbox {
        lock.withLock {
            let taken = inbox
            inbox = Inbox()
            return taken
        }
    }

    func requestRefresh() { lock.withLock { refreshWanted = true } }

    /// Whether a refresh was requested since the last call (and clears the request).
    func takeRefreshRequest() -> Bool {
        lock.withLock {
            defer { refreshWanted = false }
            return refreshWanted
        }
    }

    func stop() { lock.withLock { stopped = true } }
    var isStopped: Bool { lock.withLock { stopped } }
}
