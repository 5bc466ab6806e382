import EddyProtocol
import Testing
@testable import EddyClient

/// Which live consumer's position a partition shows when several claim it.
@Suite struct GroupPositionsLiveTests {
    final class FakeConsumer: LiveConsumerSource, @unchecked Sendable {
        let state: LiveConsumerState
        init(_ state: LiveConsumerState) { self.state = state }
        func liveState() -> LiveConsumerState { state }
    }

    static let a0 = TopicPartition("a", 0), a1 = TopicPartition("a", 1)

    static func state(_ member: String, group: String = "g", _ positions: [TopicPartition: Int64],
                      assignment: [TopicPartition]? = nil, polledAt: Int64) -> LiveConsumerState {
        LiveConsumerState(groupId: group, memberId: member, clientId: "c-\(member)", groupInstanceId: nil,
                          assignment: assignment ?? positions.keys.sorted(), positions: positions, lastPollMs: polledAt)
    }

    static func owner(_ member: String) -> Admin.MemberDescription {
        Admin.MemberDescription(memberId: member, clientId: "c-\(member)", host: "h", assignment: [])
    }

    @Test func theOwnerWinsThenTheLatestPoll() {
        let registry = LiveConsumers()
        // m1 owns a0 per DescribeGroups but polled before m0 (stale, still claims a0); nobody is
        // named for a1, so the latest poll wins there.
        let consumers = [
            FakeConsumer(Self.state("m0", [Self.a0: 3, Self.a1: 8], polledAt: 200)),
            FakeConsumer(Self.state("m1", [Self.a0: 5, Self.a1: 9], polledAt: 100)),
            FakeConsumer(Self.state("m2", group: "other", [Self.a0: 1], polledAt: 300)),
            FakeConsumer(Self.state("m3", [:], assignment: [Self.a1], polledAt: 50)),
        ]
        consumers.forEach(registry.register)
        let live = GroupPositions.livePositions(groupId: "g", registry: registry, owners: [Self.a0: Self.owner("m1")])
        #expect(live[Self.a0] == GroupPositions.LivePosition(memberId: "m1", clientId: "c-m1", position: 5))
        #expect(live[Self.a1] == GroupPositions.LivePosition(memberId: "m0", clientId: "c-m0", position: 8))
        #expect(live.count == 2)

        // A consumer that owns a partition but has no position yet still marks it as assigned.
        registry.unregister(consumers[0])
        registry.unregister(consumers[1])
        #expect(GroupPositions.livePositions(groupId: "g", registry: registry, owners: [:])
            == [Self.a1: GroupPositions.LivePosition(memberId: "m3", clientId: "c-m3", position: nil)])
    }
}
