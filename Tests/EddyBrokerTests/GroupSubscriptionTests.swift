@testable import EddyBroker
import EddyProtocol
import Testing

/// OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC, decided from the members' consumer subscriptions.
@Suite struct GroupSubscriptionTests {
    /// A ConsumerProtocolSubscription v1: version, topics, user data (null), owned partitions (none).
    static func subscription(_ topics: [String], version: Int16 = 1) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.writeInt16(version)
        w.writeInt32(Int32(topics.count))
        for t in topics {
            w.writeInt16(Int16(t.utf8.count))
            w.writeBytes(t.utf8)
        }
        w.writeInt32(-1)
        w.writeInt32(0)
        return w.take()
    }

    @Test func subscriptionsParse() {
        #expect(ClassicGroup.subscriptionTopics(Self.subscription(["a", "bb"])) == ["a", "bb"])
        #expect(ClassicGroup.subscriptionTopics(Self.subscription([], version: 0)) == [])
        #expect(ClassicGroup.subscriptionTopics([0, 1, 0x7F, 0xFF, 0xFF, 0xFF]) == nil)
        #expect(ClassicGroup.subscriptionTopics([0]) == nil)
        #expect(ClassicGroup.subscriptionTopics([0, 1, 0, 0, 0, 1, 0, 2, 0xFF, 0xFE]) == nil) // not UTF-8
    }

    @Test func onlySubscribedTopicsAreProtectedFromOffsetDelete() {
        var h = GroupHarness()
        let protocols = [GroupProtocol(name: "range", metadata: Self.subscription(["orders"]))]
        let (a, token) = h.joinNew(clientId: "a", protocols: protocols)
        let generation = h.joins[token]!.generationId
        h.sync(a, generation: generation, assignments: [a: []])
        let orders = TopicPartition("orders", 0), audit = TopicPartition("audit", 0)
        #expect(h.commit(a, generation: generation, [orders: 1, audit: 2]) == [orders: .none, audit: .none])
        #expect(h.group?.subscribedTopics == ["orders"])
        let o = h.coordinator.deleteOffsets(groupId: "g", partitions: [orders, audit], now: h.now)
        #expect(o.response == [orders: .groupSubscribedToTopic, audit: .none])
        #expect(o.actions.count == 1)
        #expect(h.coordinator.fetchOffsets(groupId: "g").keys.sorted() == [orders])
    }
}
