import EddyProtocol
import Synchronization

/// Calls a request's completion exactly once, whichever of the answer and the timeout comes
/// first, and lets it go then (with whatever it captured, such as a request's record batches),
/// together with a cleanup (forgetting the request's timeout) that runs when it completes.
final class CompletionOnce: Sendable {
    typealias Completion = @Sendable (Result<KafkaResponse, TransportError>) -> Void

    private struct State {
        var completion: Completion?
        var cleanup: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>

    init(_ completion: @escaping Completion) {
        state = Mutex(State(completion: completion))
    }

    var isDone: Bool { state.withLock { $0.completion == nil } }

    /// Runs `cleanup` when this completes. Returns false, without keeping it, if it already
    /// has: the caller cleans up itself.
    func onCompletion(_ cleanup: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { s in
            guard s.completion != nil else { return false }
            s.cleanup = cleanup
            return true
        }
    }

    /// Whether this call was the one that completed it.
    @discardableResult
    func complete(_ result: Result<KafkaResponse, TransportError>) -> Bool {
        let (c, cleanup) = state.withLock { s -> (Completion?, (@Sendable () -> Void)?) in
            defer { s = State() }
            return (s.completion, s.completion == nil ? nil : s.cleanup)
        }
        cleanup?()
        c?(result)
        return c != nil
    }
}
