import Testing
@testable import EddyBroker
import EddyProtocol

/// TxnOffsetCommit in the group coordinator (KIP-98, KIP-447): offsets committed inside a
/// transaction stay pending until its marker reaches the group's partition, and a coordinator
/// that loads the partition from its records ends up in the same state as the one that wrote them.
@Suite("Group coordinator: transactional offset commits")
struct GroupTransactionalOffsetsTests {
    let tp0 = TopicPartition("orders", 0)
    let tp1 = TopicPartition("orders", 1)

    /// TxnOffsetCommit through the harness (its records collected in `h.records`).
    func txnCommit(_ h: inout GroupHarness, producer: Int64, _ offsets: [TopicPartition: Int64], member: String = "",
                   generation: Int32 = -1) -> [TopicPartition: ErrorCode] {
        let o = h.coordinator.commitTransactionalOffsets(groupId: h.groupId, producerId: producer, producerEpoch: 0, generationId: generation,
                                                         member: .init(memberId: member),
                                                         offsets: offsets.mapValues { .init(offset: $0, metadata: "t\($0)") }, now: h.now)
        h.apply(o.actions)
        return o.response
    }

    /// A marker of `producer` written to the group's partition: recorded, then applied.
    func end(_ h: inout GroupHarness, producer: Int64, commit: Bool) {
        h.records.append(.marker(producerId: producer, committed: commit))
        h.coordinator.completeTransaction(producerId: producer, committed: commit, partition: h.coordinator.partitionFor(h.groupId))
    }

    func committed(_ h: GroupHarness) -> [TopicPartition: Int64] { h.coordinator.fetchOffsets(groupId: h.groupId).mapValues(\.offset) }

    @Test func offsetsOfATransactionAreCommittedByItsCommitMarkerOnly() {
        var h = GroupHarness()
        #expect(h.commit([tp0: 1]) == [tp0: ErrorCode.none])
        #expect(txnCommit(&h, producer: 7, [tp0: 5, tp1: 6]) == [tp0: ErrorCode.none, tp1: ErrorCode.none])
        #expect(committed(h) == [tp0: 1], "pending until the marker")
        #expect(h.coordinator.unstablePartitions(groupId: "g", [tp0, tp1, TopicPartition("other", 0)]) == [tp0, tp1])
        // The record is a transactional one of the producer.
        #expect(h.records.last?.transaction == .record(producerId: 7))
        // Another producer's marker changes nothing.
        end(&h, producer: 8, commit: true)
        #expect(committed(h) == [tp0: 1])
        end(&h, producer: 7, commit: true)
        #expect(committed(h) == [tp0: 5, tp1: 6])
        #expect(h.coordinator.unstablePartitions(groupId: "g", [tp0, tp1]).isEmpty)

        #expect(txnCommit(&h, producer: 7, [tp0: 9]) == [tp0: ErrorCode.none])
        end(&h, producer: 7, commit: false)
        #expect(committed(h) == [tp0: 5, tp1: 6], "an aborted transaction's offsets are dropped")
        #expect(h.group?.pendingTransactionalOffsets.isEmpty == true)
    }

    /// Kafka keeps whichever offset was written last: a plain commit after the transactional
    /// one wins even though the transaction commits later; one before it loses.
    @Test func theOffsetWrittenLastWins() {
        var h = GroupHarness()
        _ = txnCommit(&h, producer: 1, [tp0: 10, tp1: 10])
        _ = h.commit([tp0: 20])
        end(&h, producer: 1, commit: true)
        #expect(committed(h) == [tp0: 20, tp1: 10])
        // Two transactions on the same partition: the later write wins, whichever commits first.
        _ = txnCommit(&h, producer: 2, [tp0: 30])
        _ = txnCommit(&h, producer: 3, [tp0: 40])
        end(&h, producer: 3, commit: true)
        end(&h, producer: 2, commit: true)
        #expect(committed(h)[tp0] == 40)
    }

    /// KIP-447: a commit naming a member is checked against the group's generation; one naming
    /// none (TxnOffsetCommit v0-2) is accepted even while the group has members.
    @Test func aCommitNamingAMemberIsFencedLikeAMembersCommit() {
        var h = GroupHarness(initialDelayMs: 3_000)
        let (ids, gen) = h.formStableGroup(1)
        #expect(txnCommit(&h, producer: 1, [tp0: 1], member: ids[0], generation: gen) == [tp0: ErrorCode.none])
        #expect(txnCommit(&h, producer: 1, [tp0: 2], member: ids[0], generation: gen - 1) == [tp0: .illegalGeneration])
        #expect(txnCommit(&h, producer: 1, [tp0: 3], member: "zombie", generation: gen) == [tp0: .unknownMemberId])
        #expect(txnCommit(&h, producer: 1, [tp0: 4]) == [tp0: ErrorCode.none])
        #expect(h.group?.pendingTransactionalOffsets[1]?[tp0]?.offset.offset == 4)
        // As Kafka's validateOffsetCommit: the member is checked only when named, the generation
        // only when not -1.
        #expect(txnCommit(&h, producer: 1, [tp0: 5], member: ids[0], generation: -1) == [tp0: ErrorCode.none])
        #expect(txnCommit(&h, producer: 1, [tp0: 6], member: "", generation: gen) == [tp0: ErrorCode.none])
        #expect(txnCommit(&h, producer: 1, [tp0: 7], member: "", generation: gen + 1) == [tp0: .illegalGeneration])
        // An unknown group is created (Empty), as Kafka does.
        var fresh = GroupHarness(groupId: "new")
        #expect(txnCommit(&fresh, producer: 1, [tp0: 4]) == [tp0: ErrorCode.none])
        #expect(fresh.state == .empty)
    }

    /// A failed write takes back the pending offsets it carried, not newer ones.
    @Test func aFailedWriteTakesBackItsPendingOffsets() throws {
        var h = GroupHarness()
        _ = txnCommit(&h, producer: 1, [tp0: 1, tp1: 1])
        let written = try #require(h.group?.pendingTransactionalOffsets[1]).mapValues(\.writeOrder)
        _ = txnCommit(&h, producer: 1, [tp1: 2])
        h.coordinator.failTransactionalOffsets(groupId: "g", producerId: 1, written: written)
        #expect(h.group?.pendingTransactionalOffsets[1]?.mapValues(\.offset.offset) == [tp1: 2])
    }

    /// Seeded histories of plain and transactional commits, markers and offset deletions: after
    /// every step, a coordinator that loads the records written so far holds exactly the
    /// committed and pending offsets of the one that wrote them (Kafka's loader rules).
    @Test(arguments: 0 ..< 40) func loadingTheRecordsRebuildsTheSameState(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var h = GroupHarness()
        let partitions = [tp0, tp1, TopicPartition("orders", 2)]
        for step in 0 ..< 30 {
            h.now += 1
            let tp = partitions[Int(rng.next() % 3)]
            let offset = Int64(rng.next() % 1_000)
            let producer = Int64(rng.next() % 3) + 1
            switch rng.next() % 5 {
            case 0: _ = h.commit([tp: offset])
            case 1, 2:
                _ = txnCommit(&h, producer: producer, [tp: offset])
            case 3:
                end(&h, producer: producer, commit: rng.next() % 3 != 0)
            default:
                let o = h.coordinator.deleteOffsets(groupId: "g", partitions: [tp], now: h.now)
                h.apply(o.actions)
            }
            var loaded = GroupCoordinator()
            _ = try loaded.load(h.records, now: h.now)
            // A group left with nothing (its only transaction aborted) is not rebuilt: compare contents.
            let live = h.group, reloaded = loaded.groups["g"]
            #expect((reloaded?.offsets ?? [:]).mapValues(\.offset) == (live?.offsets ?? [:]).mapValues(\.offset),
                    "seed \(seed) step \(step): committed offsets")
            #expect((reloaded?.pendingTransactionalOffsets ?? [:]).mapValues { $0.mapValues(\.offset.offset) }
                        == (live?.pendingTransactionalOffsets ?? [:]).mapValues { $0.mapValues(\.offset.offset) },
                    "seed \(seed) step \(step): pending offsets")
        }
    }
}
