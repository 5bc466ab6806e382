import Foundation

/// What the background tasks hand to the UI thread: the model with each new sample taken in,
/// sampling failures and the outcomes of effects, plus the UI's requests back (refresh now,
/// stop, and the models it has replaced). Thread-safe.
///
/// The sampler takes each sample into a model of its own (`ConsoleModel.append`, the costly
/// part at thousands of partitions and groups) and posts a copy; the UI thread swaps it in and
/// only renders. The model it replaces goes back (`retire`) to be freed by the sampler, so that
/// the UI thread does not free the buffers the sampler's next append copied either.
final class ConsoleMailbox: @unchecked Sendable {
    struct Inbox {
        /// The newest model posted since the last `take` (older ones are replaced).
        var model: ConsoleModel?
        var sampleError: String?
        var outcomes: [EffectOutcome] = []
        var isEmpty: Bool { model == nil && sampleError == nil && outcomes.isEmpty }
    }

    private let lock = NSLock()
    private var inbox = Inbox()
    private var retired: [ConsoleModel] = []
    private var refreshWanted = false
    private var stopped = false

    func post(_ model: ConsoleModel) {
        // A model not taken yet is replaced; it is freed when `replaced` goes, outside the lock.
        let replaced = lock.withLock { () -> ConsoleModel? in
            let old = inbox.model
            inbox.model = model
            inbox.sampleError = nil
            return old
        }
        _ = replaced
    }

    /// A model the UI thread no longer uses, for the sampler to free (`takeRetired`).
    func retire(_ model: ConsoleModel) { lock.withLock { retired.append(model) } }

    /// The retired models, which the caller then frees by dropping them.
    func takeRetired() -> [ConsoleModel] {
        lock.withLock {
            defer { retired = [] }
            return retired
        }
    }

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
