import EddyProtocol
import Foundation

/// The request layer every eddy client (producer, consumer, admin) stands on — Kafka's
/// `NetworkClient` plus its `Metadata`: it sends `KafkaRequest`s to brokers through a
/// `Transport`, keeps the cluster metadata, and finds group coordinators. It knows brokers only
/// by node id, so the same clients run over the in-process transport and the network one.
///
/// It owns correlation ids and request timeouts: every request of its clients — the
/// producer's Produce requests from its `Sender` included — goes out through `send`, which
/// gives it the client's next correlation id, fails it after `request.timeout.ms` (or the
/// caller's shorter limit) and notes the nodes that failed. No client talks to the
/// `Transport` directly.
///
/// Thread-safe; every call may be made from any task.
public final class KafkaClient: @unchecked Sendable {
    public let transport: any Transport
    public let clientId: String
    /// Nodes tried first, before any metadata is known (bootstrap.servers).
    public let bootstrapNodes: [Int32]
    /// request.timeout.ms: how long to wait for any response.
    public let requestTimeoutMs: Int64
    /// retry.backoff.ms: the pause before retrying after a retriable error.
    public let retryBackoffMs: Int64

    private let lock = NSLock()
    private var _metadata = ClusterMetadata()
    private var coordinators: [CoordinatorKey: Int32] = [:]

    private struct CoordinatorKey: Hashable {
        var type: FindCoordinatorRequest.CoordinatorType
        var key: String
    }
    private var nextCorrelationId: Int32 = 0
    private var isClosed = false
    private var lastFailureMs: [Int32: Int64] = [:]
    /// The deadlines of requests awaiting an answer, on one timer (see `SharedTimer`).
    let timeouts = SharedTimer()

    public init(transport: any Transport, bootstrapNodes: [Int32], clientId: String,
                requestTimeoutMs: Int64 = 30_000, retryBackoffMs: Int64 = 100) {
        self.transport = transport
        self.bootstrapNodes = bootstrapNodes
        self.clientId = clientId
        self.requestTimeoutMs = requestTimeoutMs
        self.retryBackoffMs = retryBackoffMs
    }

    /// The metadata from the last refresh.
    public var metadata: ClusterMetadata { lock.withLock { _metadata } }

    /// After `close`, every call fails with `ClientError.closed`; requests in flight still complete.
    public func close() { lock.withLock { isClosed = true } }

    public var closed: Bool { lock.withLock { isClosed } }

    // MARK: Sending

    /// Sends one request to broker `node` and waits for its response, at most `timeoutMs`
    /// (request.timeout.ms by default). A transport failure or timeout is a retriable
    /// `ClientError.transport`; errors inside the response are the caller's to read.
    /// The callback `send` below does the work.
    public func send(_ request: KafkaRequest, to node: Int32, timeoutMs: Int64? = nil) async throws(ClientError) -> KafkaResponse {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<KafkaResponse, ClientError>, Never>) in
            send(request, to: node, timeoutMs: timeoutMs) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Sends one request to broker `node` and calls `completion` exactly once: with the
    /// response, or with `ClientError.transport` when the transport fails or no response came
    /// within `timeoutMs` (request.timeout.ms by default; negative: no limit), or at once with
    /// `ClientError.closed` after `close`. A response after the timeout is dropped.
    ///
    /// This is the one place requests get their correlation id (unique and increasing per
    /// client) and their timeout, and where failed nodes are noted for `sendToAnyBroker`.
    /// `completion` may run on any thread, before `send` returns when the transport answers at
    /// once. A Produce request with acks=0 has no response from the broker; the transports
    /// complete it as soon as it is written, so it never waits for the timeout.
    public func send(_ request: KafkaRequest, to node: Int32, timeoutMs: Int64? = nil,
                     completion: @escaping @Sendable (Result<KafkaResponse, ClientError>) -> Void) {
        let context: RequestContext? = lock.withLock {
            guard !isClosed else { return nil }
            nextCorrelationId &+= 1
            return RequestContext(clientId: clientId, correlationId: nextCorrelationId)
        }
        guard let context else { return completion(.failure(.closed("the client \(clientId) is closed"))) }
        let timeout = timeoutMs ?? requestTimeoutMs
        let once = CompletionOnce { result in
            switch result {
            case let .success(response):
                completion(.success(response))
            case let .failure(error):
                self.lock.withLock { self.lastFailureMs[node] = ClientTime.monotonicMs() }
                completion(.failure(.transport(error)))
            }
        }
        transport.send(request, to: node, context: context) { once.complete($0) }
        // Most in-process requests are answered inside `send`; only a pending one needs a
        // deadline, forgotten as soon as it is answered.
        if timeout >= 0, !once.isDone {
            let timeouts = timeouts
            let transport = transport
            let token = timeouts.add(timeoutMs: timeout) {
                // Only if this call timed it out (not if the answer came at the same moment).
                if once.complete(.failure(.timedOut(node))) { transport.requestTimedOut(to: node) }
            }
            if !once.onCompletion({ timeouts.remove(token) }) { timeouts.remove(token) }
        }
    }

    /// Sends to any reachable broker: known brokers and bootstrap nodes, the ones that failed
    /// least recently first. Fails with the last transport error when none answers.
    public func sendToAnyBroker(_ request: KafkaRequest, timeoutMs: Int64? = nil) async throws(ClientError) -> (node: Int32, response: KafkaResponse) {
        var lastError = ClientError.transport(.brokerUnavailable(bootstrapNodes.first ?? -1))
        for node in candidateNodes() {
            do throws(ClientError) {
                // Bound first: see Admin.groupSamples on returning `(x, try await ...)` from a do/catch.
                let response = try await send(request, to: node, timeoutMs: timeoutMs)
                return (node, response)
            } catch let error {
                // An authentication failure would fail the same way on every broker.
                guard case .transport = error, error.isRetriable else { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    /// Known brokers plus bootstrap nodes, in a stable order: never-failed first, then by how
    /// long ago they last failed.
    func candidateNodes() -> [Int32] {
        lock.withLock {
            var seen = Set<Int32>()
            let all = (_metadata.brokers.keys.sorted() + bootstrapNodes).filter { seen.insert($0).inserted }
            return all.enumerated().sorted { a, b in
                let fa = lastFailureMs[a.element] ?? Int64.min, fb = lastFailureMs[b.element] ?? Int64.min
                return fa != fb ? fa < fb : a.offset < b.offset
            }.map(\.element)
        }
    }

    /// Whether the cluster advertises eddy's admin extension (an eddy cluster), as the
    /// connections negotiated so far tell: nil before any has been (or over a transport that
    /// does not negotiate, such as the in-process one, whose brokers are eddy's). Clients use it
    /// to apply the workarounds for other clusters' answers where those are documented.
    public var advertisesEddyExtension: Bool? {
        for node in candidateNodes() {
            if let versions = transport.advertisedVersions(of: node) { return versions[.eddyBrokerControl] != nil }
        }
        return nil
    }

    // MARK: Metadata

    /// Asks any broker for metadata of `topics` (nil: every topic) and keeps it. Topics not
    /// asked about are kept from before.
    @discardableResult
    public func refreshMetadata(topics: [String]?, allowAutoTopicCreation: Bool = false) async throws(ClientError) -> ClusterMetadata {
        let (_, response) = try await sendToAnyBroker(.metadata(MetadataRequest(topics: topics, allowAutoTopicCreation: allowAutoTopicCreation)))
        guard case let .metadata(m) = response else { throw Self.unexpected(response, expected: "Metadata") }
        return lock.withLock {
            _metadata = ClusterMetadata(m, merging: topics == nil ? nil : _metadata)
            return _metadata
        }
    }

    /// The partitions of `topic`, refreshing metadata when the topic is not known yet. Fails with
    /// the broker's error (UNKNOWN_TOPIC_OR_PARTITION, ...) when it does not exist.
    public func topicMetadata(_ topic: String, refresh: Bool = false) async throws(ClientError) -> TopicMetadata {
        if !refresh, let known = metadata.topics[topic] { return known }
        let m = try await refreshMetadata(topics: [topic])
        if let t = m.topics[topic] { return t }
        throw .broker(m.topicErrors[topic] ?? .unknownTopicOrPartition, message: "topic \(topic) is not in the metadata")
    }

    // MARK: Coordinators

    /// The broker coordinating `groupId` (FindCoordinator), cached until `coordinatorFailed`.
    /// Retries COORDINATOR_NOT_AVAILABLE and transport failures until `timeoutMs` passes.
    public func coordinator(forGroup groupId: String, timeoutMs: Int64? = nil) async throws(ClientError) -> Int32 {
        try await coordinator(for: groupId, type: .group, timeoutMs: timeoutMs)
    }

    /// The broker coordinating `key`, a group id or a transactional id (`type`), as
    /// `coordinator(forGroup:)` finds it.
    public func coordinator(for key: String, type: FindCoordinatorRequest.CoordinatorType, timeoutMs: Int64? = nil) async throws(ClientError) -> Int32 {
        let cacheKey = CoordinatorKey(type: type, key: key)
        let groupId = key
        if let known = lock.withLock({ coordinators[cacheKey] }) { return known }
        let deadline = ClientTime.monotonicMs() + (timeoutMs ?? requestTimeoutMs)
        var lastError = ClientError.broker(.coordinatorNotAvailable, message: nil)
        while true {
            do throws(ClientError) {
                let (_, response) = try await sendToAnyBroker(.findCoordinator(FindCoordinatorRequest(key: groupId, keyType: type)))
                guard case let .findCoordinator(found) = response else { throw Self.unexpected(response, expected: "FindCoordinator") }
                let r = found.result(for: groupId)
                if r.errorCode == .none, r.nodeId >= 0 {
                    lock.withLock { coordinators[cacheKey] = r.nodeId }
                    return r.nodeId
                }
                lastError = .broker(r.errorCode == .none ? .coordinatorNotAvailable : r.errorCode, message: r.errorMessage)
            } catch let error {
                guard error.isRetriable else { throw error }
                lastError = error
            }
            guard lastError.isRetriable, ClientTime.monotonicMs() + retryBackoffMs < deadline else { throw lastError }
            await ClientTime.sleep(ms: retryBackoffMs)
        }
    }

    /// Forgets the cached coordinator of `groupId` (after NOT_COORDINATOR,
    /// COORDINATOR_NOT_AVAILABLE or a transport failure), so the next call finds it again.
    public func coordinatorFailed(forGroup groupId: String) {
        coordinatorFailed(for: groupId, type: .group)
    }

    /// `coordinatorFailed(forGroup:)` for any coordinator type.
    public func coordinatorFailed(for key: String, type: FindCoordinatorRequest.CoordinatorType) {
        _ = lock.withLock { coordinators.removeValue(forKey: CoordinatorKey(type: type, key: key)) }
    }

    static func unexpected(_ response: KafkaResponse, expected: String) -> ClientError {
        .broker(.unknownServerError, message: "expected a \(expected) response, got \(response.apiKey.name)")
    }
}
