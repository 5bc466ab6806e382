import EddyProtocol
import Foundation

/// The request layer every eddy client (producer, consumer, admin) stands on — Kafka's
/// `NetworkClient` plus its `Metadata`: it sends `KafkaRequest`s to brokers through a
/// `Transport`, enforces `request.timeout.ms`, keeps the cluster metadata, and finds group
/// coordinators. It knows brokers only by node id, so the same clients run over the in-process
/// transport today and a network transport later.
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
    private var coordinators: [String: Int32] = [:]
    private var nextCorrelationId: Int32 = 0
    private var isClosed = false
    private var lastFailureMs: [Int32: Int64] = [:]

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
    public func send(_ request: KafkaRequest, to node: Int32, timeoutMs: Int64? = nil) async throws(ClientError) -> KafkaResponse {
        let context: RequestContext? = lock.withLock {
            guard !isClosed else { return nil }
            nextCorrelationId &+= 1
            return RequestContext(clientId: clientId, correlationId: nextCorrelationId)
        }
        guard let context else { throw .closed("the client \(clientId) is closed") }
        let timeout = timeoutMs ?? requestTimeoutMs
        let once = CompletionOnce()
        let result: Result<KafkaResponse, TransportError> = await withCheckedContinuation { continuation in
            once.arm(continuation)
            transport.send(request, to: node, context: context) { once.complete($0) }
            // Most in-process requests are answered inside `send`; only a pending one needs a timer.
            if timeout >= 0, !once.isDone {
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(timeout, Int64(Int32.max))))) {
                    once.complete(.failure(.timedOut(node)))
                }
            }
        }
        switch result {
        case let .success(response):
            return response
        case let .failure(error):
            lock.withLock { lastFailureMs[node] = ClientTime.monotonicMs() }
            throw .transport(error)
        }
    }

    /// Sends to any reachable broker: known brokers and bootstrap nodes, the ones that failed
    /// least recently first. Fails with the last transport error when none answers.
    public func sendToAnyBroker(_ request: KafkaRequest, timeoutMs: Int64? = nil) async throws(ClientError) -> (node: Int32, response: KafkaResponse) {
        var lastError = ClientError.transport(.brokerUnavailable(bootstrapNodes.first ?? -1))
        for node in candidateNodes() {
            do throws(ClientError) {
                return (node, try await send(request, to: node, timeoutMs: timeoutMs))
            } catch let error {
                guard case .transport = error else { throw error }
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
        if let known = lock.withLock({ coordinators[groupId] }) { return known }
        let deadline = ClientTime.monotonicMs() + (timeoutMs ?? requestTimeoutMs)
        var lastError = ClientError.broker(.coordinatorNotAvailable, message: nil)
        while true {
            do throws(ClientError) {
                let (_, response) = try await sendToAnyBroker(.findCoordinator(FindCoordinatorRequest(key: groupId, keyType: .group)))
                guard case let .findCoordinator(found) = response else { throw Self.unexpected(response, expected: "FindCoordinator") }
                let r = found.result(for: groupId)
                if r.errorCode == .none, r.nodeId >= 0 {
                    lock.withLock { coordinators[groupId] = r.nodeId }
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
        _ = lock.withLock { coordinators.removeValue(forKey: groupId) }
    }

    static func unexpected(_ response: KafkaResponse, expected: String) -> ClientError {
        .broker(.unknownServerError, message: "expected a \(expected) response, got \(response.apiKey.name)")
    }
}

/// Completes a continuation exactly once, whichever of the response and the timeout comes first.
private final class CompletionOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Result<KafkaResponse, TransportError>, Never>?
    private var early: Result<KafkaResponse, TransportError>?
    private var done = false

    var isDone: Bool { lock.withLock { done } }

    func arm(_ c: CheckedContinuation<Result<KafkaResponse, TransportError>, Never>) {
        lock.withLock {
            if let early { c.resume(returning: early); done = true } else { continuation = c }
        }
    }

    func complete(_ result: Result<KafkaResponse, TransportError>) {
        lock.withLock {
            guard !done else { return }
            if let c = continuation {
                done = true
                continuation = nil
                c.resume(returning: result)
            } else if early == nil {
                early = result
            }
        }
    }
}
