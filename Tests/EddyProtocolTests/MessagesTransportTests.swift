import Dispatch
import EddyProtocol
import Testing

/// The async `Transport.send` wrapper over the completion-based contract.
@Suite struct MessagesTransportTests {
    /// Answers every request from `handler`, completing in the way `mode` says.
    struct TestTransport: Transport {
        enum Mode: Sendable {
            /// Before `send` returns, on the caller's thread.
            case immediate
            /// Later, from a Dispatch worker thread.
            case otherThread
        }

        let mode: Mode
        let handler: @Sendable (KafkaRequest, Int32, RequestContext) -> Result<KafkaResponse, TransportError>

        func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
            let result = handler(request, node, context)
            switch mode {
            case .immediate: completion(result)
            case .otherThread: DispatchQueue.global().async { completion(result) }
            }
        }
    }

    /// Hands each request's completion to the test, which completes it when it chooses.
    struct DeferredTransport: Transport {
        let pending: AsyncStream<(KafkaRequest, @Sendable (Result<KafkaResponse, TransportError>) -> Void)>.Continuation

        func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
            pending.yield((request, completion))
        }
    }

    /// A stand-in broker: answers Metadata with the node and client id it was reached by.
    static func echo(_ request: KafkaRequest, node: Int32, context: RequestContext) -> Result<KafkaResponse, TransportError> {
        guard case .metadata = request else { return .success(request.errorResponse(.invalidRequest)) }
        return .success(.metadata(MetadataResponse(brokers: [.init(nodeId: node, host: context.clientId, port: context.correlationId)],
                                                   topics: [])))
    }

    @Test(arguments: [TestTransport.Mode.immediate, .otherThread])
    func deliversTheResponse(mode: TestTransport.Mode) async throws {
        let transport = TestTransport(mode: mode) { Self.echo($0, node: $1, context: $2) }
        let response = try await transport.send(.metadata(MetadataRequest(topics: [])), to: 7,
                                                context: RequestContext(clientId: "cli", correlationId: 42))
        #expect(response == .metadata(MetadataResponse(brokers: [.init(nodeId: 7, host: "cli", port: 42)], topics: [])))

        // The default context.
        let plain = try await transport.send(.metadata(MetadataRequest(topics: [])), to: 1)
        guard case let .metadata(m) = plain else { Issue.record("wrong response \(plain)"); return }
        #expect(m.brokers == [.init(nodeId: 1, host: "", port: 0)])
    }

    @Test(arguments: [TestTransport.Mode.immediate, .otherThread])
    func throwsTheTransportError(mode: TestTransport.Mode) async {
        for failure in [TransportError.brokerUnavailable(3), .timedOut(3), .disconnected(3)] {
            let transport = TestTransport(mode: mode) { _, _, _ in .failure(failure) }
            await #expect(throws: failure) {
                _ = try await transport.send(.apiVersions(ApiVersionsRequest()), to: 3)
            }
            // Typed throws: the error is a TransportError without casting.
            do {
                _ = try await transport.send(.apiVersions(ApiVersionsRequest()), to: 3)
                Issue.record("expected \(failure)")
            } catch {
                #expect(error == failure)
            }
        }
    }

    /// Many concurrent sends, each completed from a worker thread: every caller gets its own
    /// response back (no continuation is resumed twice or lost).
    @Test func concurrentSendsEachGetTheirOwnResponse() async throws {
        let transport = TestTransport(mode: .otherThread) { request, node, _ in
            guard case let .produce(p) = request else { return .failure(.disconnected(node)) }
            return .success(.produce(ProduceResponse(responses: p.topicData.map { t in
                .init(name: t.name, partitionResponses: t.partitionData.map { .init(index: $0.index, baseOffset: Int64($0.records.count)) })
            })))
        }
        let offsets = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
            for i in 0 ..< 200 {
                group.addTask {
                    let request = ProduceRequest(topic: "t", partition: Int32(i % 3), records: [UInt8](repeating: 0, count: i))
                    guard case let .produce(r) = try await transport.send(.produce(request), to: 0) else { return (i, nil) }
                    return (i, r.partition(topic: "t", partition: Int32(i % 3))?.baseOffset)
                }
            }
            var all: [Int: Int64?] = [:]
            for try await (i, offset) in group { all[i] = offset }
            return all
        }
        #expect(offsets.count == 200)
        for (i, offset) in offsets { #expect(offset == Int64(i)) }
    }

    /// The caller stays suspended until the transport completes, however late.
    @Test func waitsForALateCompletion() async throws {
        let (stream, continuation) = AsyncStream<(KafkaRequest, @Sendable (Result<KafkaResponse, TransportError>) -> Void)>.makeStream()
        let transport = DeferredTransport(pending: continuation)
        let request = KafkaRequest.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 5))
        let caller = Task { try await transport.send(request, to: 2) }

        var iterator = stream.makeAsyncIterator()
        let (received, complete) = try #require(await iterator.next())
        #expect(received == request)
        let answer = KafkaResponse.fetch(FetchResponse(responses: [.init(topic: "t", partitions: [.init(partitionIndex: 0, highWatermark: 9)])]))
        DispatchQueue.global().async { complete(.success(answer)) }
        #expect(try await caller.value == answer)
    }
}
