import Testing
@testable import EddyBroker
import EddyProtocol

@Suite("Group coordinator: offset commit and fetch")
struct GroupOffsetsTests {
    let tp0 = TopicPartition("orders", 0)
    let tp1 = TopicPartition("orders", 1)

    @Test func membersCommitInTheCurrentGenerationOnly() {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, gen) = h.formStableGroup(2)
        #expect(h.commit(ids[0], generation: gen, [tp0: 10]) == [tp0: ErrorCode.none])
        #expect(h.coordinator.fetchOffsets(groupId: "g")[tp0]?.offset == 10)
        #expect(h.commit(ids[0], generation: gen + 1, [tp0: 11]) == [tp0: .illegalGeneration])
        #expect(h.commit("stranger", generation: gen, [tp0: 11]) == [tp0: .unknownMemberId])
        // A simple consumer may not commit into an active group.
        #expect(h.commit([tp0: 12]) == [tp0: .unknownMemberId])

        // New generation: commits of the previous one are stale.
        _ = h.joinNew(clientId: "late")
        // During PreparingRebalance the current generation may still commit.
        #expect(h.commit(ids[1], generation: gen, [tp1: 5]) == [tp1: ErrorCode.none])
        _ = h.join(h.request(memberId: ids[0]))
        _ = h.join(h.request(memberId: ids[1]))
        #expect(h.state == .completingRebalance)
        #expect(h.commit(ids[1], generation: gen + 1, [tp1: 6]) == [tp1: .rebalanceInProgress])
        h.sync(ids[0], generation: gen + 1, assignments: [:])
        #expect(h.commit(ids[1], generation: gen, [tp1: 7]) == [tp1: .illegalGeneration])
        #expect(h.commit(ids[1], generation: gen + 1, [tp1: 8]) == [tp1: ErrorCode.none])
        #expect(h.coordinator.fetchOffsets(groupId: "g") .mapValues(\.offset) == [tp0: 10, tp1: 8])
    }

    @Test func simpleConsumerCommitsWithGenerationMinusOne() {
        var h = GroupHarness(groupId: "simple")
        h.now = 1_234
        #expect(h.commit([tp0: 42]) == [tp0: ErrorCode.none])
        #expect(h.state == .empty)
        let fetched = h.coordinator.fetchOffsets(groupId: "simple", partitions: [tp0, tp1])
        #expect(fetched == [tp0: CommittedOffset(offset: 42, metadata: "m42", commitTimestampMs: 1_234)])
        // A non-negative generation for a group that does not exist is refused.
        var other = GroupHarness(groupId: "other")
        #expect(other.commit("m", generation: 3, [tp0: 1]) == [tp0: .illegalGeneration])
        #expect(other.group == nil)
    }

    @Test func oversizedMetadataIsRejectedPerPartition() {
        var h = GroupHarness()
        let o = h.coordinator.commitOffsets(
            groupId: "g", offsets: [tp0: .init(offset: 1, metadata: String(repeating: "x", count: 4_097)), tp1: .init(offset: 2)], now: 0)
        #expect(o.response == [tp0: .offsetMetadataTooLarge, tp1: ErrorCode.none])
        #expect(o.actions.count == 1)
    }

    @Test func deleteGroupRequiresEmptyAndWritesTombstones() {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, gen) = h.formStableGroup(1)
        _ = h.commit(ids[0], generation: gen, [tp0: 3, tp1: 4])
        #expect(h.coordinator.deleteGroups(["g"], now: h.now).response == ["g": .nonEmptyGroup])
        #expect(h.coordinator.deleteOffsets(groupId: "g", partitions: [tp0], now: h.now).response == [tp0: .groupSubscribedToTopic])
        #expect(h.leave(ids[0]) == .none)
        let del = h.coordinator.deleteOffsets(groupId: "g", partitions: [tp0], now: h.now)
        #expect(del.response == [tp0: ErrorCode.none])
        #expect(del.actions.count == 1)
        h.apply(del.actions)
        let o = h.coordinator.deleteGroups(["g", "missing"], now: h.now)
        #expect(o.response == ["g": ErrorCode.none, "missing": .groupIdNotFound])
        // One tombstone for the remaining offset, one for the group metadata.
        #expect(o.actions.count == 2)
        h.apply(o.actions)
        #expect(h.group == nil)
        #expect(h.coordinator.fetchOffsets(groupId: "g").isEmpty)
    }
}
