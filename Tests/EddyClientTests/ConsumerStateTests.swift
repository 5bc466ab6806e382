import EddyProtocol
import Testing
@testable import EddyClient

/// The consumer's plain state machines: SubscriptionState, HeartbeatTimers, TopicPattern.
@Suite struct ConsumerStateTests {
    @Test func subscriptionKindsAreMutuallyExclusive() throws {
        var s = SubscriptionState()
        let first = try s.subscribe(topics: ["a"])
        let again = try s.subscribe(topics: ["a"])
        #expect(first && !again)
        #expect(throws: ClientError.self) { try s.assignFromUser([TopicPartition("a", 0)]) }
        #expect(throws: ClientError.self) { try s.subscribe(pattern: TopicPattern("a.*")) }
        s.unsubscribe()
        try s.assignFromUser([TopicPartition("a", 0)])
        #expect(throws: ClientError.self) { _ = try s.subscribe(topics: ["a"]) }
        try s.assignFromUser([])
        #expect(s.kind == .none)
    }

    @Test func groupAssignmentsKeepTheStateOfKeptPartitions() throws {
        var s = SubscriptionState()
        _ = try s.subscribe(topics: ["a", "b"])
        let a0 = TopicPartition("a", 0), a1 = TopicPartition("a", 1), b0 = TopicPartition("b", 0), c0 = TopicPartition("c", 0)
        s.assignFromSubscribed([a0, a1, c0])
        #expect(s.assigned == [a0, a1])   // c is not subscribed
        #expect(s.initializing == [a0, a1])
        s.seek(a0, offset: 5)
        s.pause(a0)
        s.assignFromSubscribed([a0, b0])
        #expect(s.position(a0) == 5 && s.isPaused(a0))
        #expect(s.states[b0]?.fetchState == .initializing)
        #expect(s.fetchable == [])
        s.resume(a0)
        #expect(s.fetchable == [a0])
        #expect(s.allConsumed == [a0: OffsetAndMetadata(5)])
        s.requestReset(a0, .latest)
        #expect(s.position(a0) == nil && s.awaitingReset.map(\.0) == [a0])
        #expect(s.checkInvariants().isEmpty)
    }

    @Test func patternMatchesWholeNamesAndSkipsInternalTopics() throws {
        var s = SubscriptionState()
        try s.subscribe(pattern: TopicPattern("orders|orders-.*"))
        let changed = s.matchPattern(allTopics: ["orders", "orders-eu", "old-orders", "__consumer_offsets", "ordersx"],
                                     isInternal: { $0.hasPrefix("__") }, excludeInternal: true)
        #expect(changed && s.subscribedTopics == ["orders", "orders-eu"])
        let unchanged = !s.matchPattern(allTopics: ["orders", "orders-eu"], isInternal: { _ in false }, excludeInternal: true)
        #expect(unchanged)
        var all = SubscriptionState()
        try all.subscribe(pattern: TopicPattern(".*"))
        _ = all.matchPattern(allTopics: ["t", "__consumer_offsets"], isInternal: { $0.hasPrefix("__") }, excludeInternal: false)
        #expect(all.subscribedTopics == ["t", "__consumer_offsets"])
        #expect(throws: ClientError.self) { _ = try TopicPattern("orders(") }
    }

    @Test func heartbeatTimersFollowKafkasHeartbeat() {
        var h = HeartbeatTimers(sessionTimeoutMs: 1_000, heartbeatIntervalMs: 100, maxPollIntervalMs: 5_000, retryBackoffMs: 10, now: 0)
        #expect(!h.shouldHeartbeat(now: 99) && h.shouldHeartbeat(now: 100))
        h.sentHeartbeat(now: 100)
        #expect(!h.shouldHeartbeat(now: 250))          // one in flight
        h.failedHeartbeat(now: 120)
        #expect(h.timeToNextHeartbeat(now: 120) == 10)  // retry after the backoff
        h.sentHeartbeat(now: 130)
        h.receivedHeartbeat(now: 140)
        #expect(h.timeToNextHeartbeat(now: 140) == 90)
        #expect(!h.sessionTimeoutExpired(now: 1_140) && h.sessionTimeoutExpired(now: 1_141))
        #expect(!h.pollTimeoutExpired(now: 5_000) && h.pollTimeoutExpired(now: 5_001))
        h.poll(now: 4_000)
        #expect(!h.pollTimeoutExpired(now: 9_000) && h.timeToPollTimeout(now: 9_000) == 1)
        h.resetSessionTimeout(now: 10_000)
        #expect(!h.sessionTimeoutExpired(now: 11_000) && h.timeToNextHeartbeat(now: 10_000) == 100)
    }

    @Test func liveRegistryForgetsConsumersThatWereDropped() throws {
        let registry = LiveConsumers()
        let client = KafkaClient(transport: NoTransport(), bootstrapNodes: [0], clientId: "x")
        var config = ConsumerConfig(groupId: "g")
        config.registry = registry
        do {
            let c = try Consumer(client: client, config: config)
            #expect(registry.snapshot(groupId: "g").map(\.clientId) == [c.clientId])
            #expect(registry.snapshot(groupId: nil).count == 1)
        }
        #expect(registry.snapshot(groupId: nil).isEmpty)
    }
}

/// A transport with no brokers behind it.
private struct NoTransport: Transport {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        completion(.failure(.brokerUnavailable(node)))
    }
}
