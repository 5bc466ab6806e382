import EddyProtocol
import Foundation
import Synchronization

/// The deadlines (request.timeout.ms) of one `KafkaClient`'s requests awaiting an answer. They
/// share one timer, set for the earliest deadline, as `SenderWakeup` does: a client with many
/// requests in flight (a producer's acks=all batches, over the network every request) does not
/// hold a timer for each. When a deadline passes, the request's completion gets `.timedOut`;
/// an answered request leaves with `answered`.
final class RequestDeadlines: Sendable {
    private struct Pending {
        var deadlineMs: Int64
        var node: Int32
        var once: CompletionOnce
    }

    private struct State {
        /// By the request's correlation id.
        var pending: [Int32: Pending] = [:]
        /// A min-heap of the pending requests' deadlines, and of some answered since: those are
        /// dropped when they reach the top, or all at once when they outnumber the pending.
        var heap = DeadlineHeap()
        /// When the earliest scheduled timer fires, if one is pending.
        var timerDueMs: Int64?
    }

    private let state = Mutex(State())

    /// Fails `once` with `.timedOut(node)` after `timeoutMs`, unless it completes first.
    func add(_ correlationId: Int32, node: Int32, timeoutMs: Int64, once: CompletionOnce) {
        let deadline = ClientTime.monotonicMs() + timeoutMs
        let schedule: Bool = state.withLock { s in
            // Answered meanwhile: `answered` has run (or will find nothing), so nothing to add.
            guard !once.isDone else { return false }
            s.pending[correlationId] = Pending(deadlineMs: deadline, node: node, once: once)
            s.heap.push(deadline, correlationId)
            guard s.timerDueMs.map({ $0 > deadline }) ?? true else { return false }
            s.timerDueMs = deadline
            return true
        }
        if schedule { scheduleTimer(due: deadline) }
    }

    /// The request was answered (or failed) before its deadline.
    func answered(_ correlationId: Int32) {
        state.withLock { s in
            guard s.pending.removeValue(forKey: correlationId) != nil else { return }
            if s.heap.count > 2 * s.pending.count + 64 {
                s.heap = DeadlineHeap(s.pending.map { ($0.value.deadlineMs, $0.key) })
            }
        }
    }

    private func scheduleTimer(due: Int64) {
        let delay = max(0, due - ClientTime.monotonicMs())
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(delay, Int64(Int32.max))))) { [weak self] in
            self?.timerFired(due: due)
        }
    }

    /// Times out every request past its deadline, then sets the timer for the next one.
    private func timerFired(due: Int64) {
        let now = ClientTime.monotonicMs()
        let (expired, next): ([Pending], Int64?) = state.withLock { s in
            if s.timerDueMs == due { s.timerDueMs = nil }
            var expired: [Pending] = []
            while let top = s.heap.min, top.deadlineMs <= now || s.pending[top.key] == nil {
                s.heap.popMin()
                if let p = s.pending.removeValue(forKey: top.key) { expired.append(p) }
            }
            guard let top = s.heap.min, s.timerDueMs.map({ $0 > top.deadlineMs }) ?? true else { return (expired, nil) }
            s.timerDueMs = top.deadlineMs
            return (expired, top.deadlineMs)
        }
        if let next { scheduleTimer(due: next) }
        for p in expired { p.once.complete(.failure(.timedOut(p.node))) }
    }
}

/// A binary min-heap of (deadline, correlation id).
private struct DeadlineHeap {
    private var items: [(deadlineMs: Int64, key: Int32)] = []

    init() {}

    init(_ entries: [(Int64, Int32)]) {
        // A sorted array is a heap.
        items = entries.sorted { $0.0 < $1.0 }.map { (deadlineMs: $0.0, key: $0.1) }
    }

    var count: Int { items.count }
    var min: (deadlineMs: Int64, key: Int32)? { items.first }

    mutating func push(_ deadlineMs: Int64, _ key: Int32) {
        items.append((deadlineMs, key))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadlineMs < items[parent].deadlineMs else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func popMin() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count, items[l].deadlineMs < items[smallest].deadlineMs { smallest = l }
            if r < items.count, items[r].deadlineMs < items[smallest].deadlineMs { smallest = r }
            guard smallest != i else { return }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}

/// Calls a completion exactly once, whichever of the answer and the timeout comes first, and
/// lets it go then (with whatever it captured, such as a request's record batches).
final class CompletionOnce: Sendable {
    typealias Completion = @Sendable (Result<KafkaResponse, TransportError>) -> Void
    private let completion: Mutex<Completion?>

    init(_ completion: @escaping Completion) {
        self.completion = Mutex(completion)
    }

    var isDone: Bool { completion.withLock { $0 == nil } }

    /// Whether this call was the one that completed it.
    @discardableResult
    func complete(_ result: Result<KafkaResponse, TransportError>) -> Bool {
        let c = completion.withLock { c -> Completion? in
            defer { c = nil }
            return c
        }
        c?(result)
        return c != nil
    }
}
