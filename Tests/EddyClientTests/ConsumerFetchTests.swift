import EddyProtocol
import Testing
@testable import EddyClient

/// Decoding fetched batches and handing them out (FetchDecoder, FetchBuffer), without a broker.
@Suite struct ConsumerFetchTests {
    /// A batch at `baseOffset` with `values` (timestamps 1000 + i).
    private func batch(_ baseOffset: Int64, _ values: [String], epoch: Int32 = 3) -> [UInt8] {
        var b = RecordBatchBuilder()
        for (i, v) in values.enumerated() { b.append(timestamp: 1_000 + Int64(i), key: nil, value: Array(v.utf8)) }
        var built = b.build()
        built.setBaseOffset(baseOffset)
        built.setPartitionLeaderEpoch(epoch)
        return built.bytes
    }

    @Test func recordsBelowTheFetchOffsetAndPartialTailsAreSkipped() throws {
        let bytes = batch(10, ["a", "b", "c"]) + batch(13, ["d", "e"])
        let decoded = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 11, checkCrcs: true)
        #expect(decoded.records.map(\.offset) == [11, 12, 13, 14])
        #expect(decoded.records.map(\.text) == ["b", "c", "d", "e"])
        #expect(decoded.records.map(\.timestamp) == [1_001, 1_002, 1_000, 1_001])
        #expect(decoded.records.allSatisfy { $0.leaderEpoch == 3 })
        #expect(decoded.nextOffset == 15)
        // Cut anywhere inside the second batch: only the first one counts, whole.
        let first = batch(10, ["a", "b", "c"]).count
        for cut in first ..< bytes.count {
            let partial = try FetchDecoder.decode(Array(bytes.prefix(cut)), topic: "t", partition: 0, fetchOffset: 10, checkCrcs: true)
            #expect(partial.records.map(\.offset) == [10, 11, 12])
            #expect(partial.nextOffset == 13)
        }
        // Nothing complete: nothing, and the position stays.
        let none = try FetchDecoder.decode(Array(bytes.prefix(30)), topic: "t", partition: 0, fetchOffset: 10, checkCrcs: true)
        #expect(none.records.isEmpty && none.nextOffset == 10)
    }

    @Test func aCorruptBatchIsAnErrorOnlyWhenCrcsAreChecked() throws {
        var bytes = batch(0, ["hello"])
        bytes[bytes.count - 3] ^= 0xFF
        #expect(throws: ClientError.self) {
            _ = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: true)
        }
        _ = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: false)
    }

    @Test func controlBatchesYieldNoRecordsButMoveThePosition() throws {
        var builder = RecordBatchBuilder(attributes: RecordBatchAttributes(rawValue: 1 << 5))
        builder.append(timestamp: 1, key: [0, 0, 0, 0], value: [0, 0, 0, 0, 0, 0])
        var control = builder.build()
        control.setBaseOffset(2)
        let bytes = batch(0, ["a", "b"]) + control.bytes + batch(3, ["c"])
        let decoded = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: true)
        #expect(decoded.records.map(\.text) == ["a", "b", "c"])
        #expect(decoded.nextOffset == 4)
    }

    /// A transactional batch of producer `pid` at `baseOffset`.
    private func transactional(_ baseOffset: Int64, _ values: [String], pid: Int64) -> [UInt8] {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: pid, producerEpoch: 0,
                                   baseSequence: 0)
        for (i, v) in values.enumerated() { b.append(timestamp: 1_000 + Int64(i), key: nil, value: Array(v.utf8)) }
        var built = b.build()
        built.setBaseOffset(baseOffset)
        return built.bytes
    }

    private func marker(_ offset: Int64, pid: Int64, commit: Bool) -> [UInt8] {
        EndTransactionMarker(committed: commit, coordinatorEpoch: 0).batch(baseOffset: offset, timestamp: 2_000, producerId: pid,
                                                                          producerEpoch: 0).bytes
    }

    @Test func readCommittedDropsAbortedTransactionsUntilTheirMarkers() throws {
        // Producer 7 aborts (0-1, marker 4), producer 8 commits (2, marker 3), then producer 7
        // writes again and commits (5, marker 6): only its first transaction was aborted.
        let bytes = transactional(0, ["a0", "a1"], pid: 7) + transactional(2, ["b"], pid: 8) + marker(3, pid: 8, commit: true)
            + marker(4, pid: 7, commit: false) + transactional(5, ["a5"], pid: 7) + marker(6, pid: 7, commit: true)
            + batch(7, ["plain"])
        let aborted = [FetchResponse.AbortedTransaction(producerId: 7, firstOffset: 0)]
        let committed = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: true,
                                                abortedTransactions: aborted)
        #expect(committed.records.map(\.text) == ["b", "a5", "plain"])
        #expect(committed.nextOffset == 8)
        let uncommitted = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: true)
        #expect(uncommitted.records.map(\.text) == ["a0", "a1", "b", "a5", "plain"])
        // An aborted transaction starting later than a batch does not drop that batch.
        let later = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: true,
                                            abortedTransactions: [.init(producerId: 7, firstOffset: 5)])
        #expect(later.records.map(\.text) == ["a0", "a1", "b", "plain"])
    }

    // MARK: FetchBuffer

    private func fetched(_ tp: TopicPartition, from position: Int64, _ values: [String], nextOffset: Int64? = nil,
                         hw: Int64 = 100, error: ErrorCode = .none) throws -> CompletedFetch {
        let bytes = values.isEmpty ? [] : batch(position, values)
        let decoded = try FetchDecoder.decode(bytes, topic: tp.topic, partition: tp.partition, fetchOffset: position, checkCrcs: true)
        return CompletedFetch(topicPartition: tp, position: position, records: decoded.records,
                              nextOffset: nextOffset ?? decoded.nextOffset, highWatermark: hw, logStartOffset: 0,
                              lastStableOffset: hw, error: error)
    }

    private func assigned(_ tps: [TopicPartition], at position: Int64 = 0) throws -> SubscriptionState {
        var s = SubscriptionState()
        try s.assignFromUser(tps)
        for tp in tps { s.seek(tp, offset: position) }
        return s
    }

    @Test func collectRespectsMaxRecordsAndAdvancesPositions() throws {
        let tp0 = TopicPartition("t", 0), tp1 = TopicPartition("t", 1)
        var subs = try assigned([tp0, tp1])
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp0, from: 0, ["a", "b", "c"]))
        buffer.add(try fetched(tp1, from: 0, ["x", "y"]))
        let first = try buffer.collect(maxRecords: 2, subscriptions: &subs, autoOffsetReset: .earliest)
        #expect(first.records.map(\.text) == ["a", "b"])
        #expect(subs.position(tp0) == 2 && subs.position(tp1) == 0)
        let second = try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest)
        #expect(second.records.map(\.text) == ["c", "x", "y"])
        #expect(subs.position(tp0) == 3 && subs.position(tp1) == 2)
        #expect(subs.lag(tp0) == 97)
        #expect(buffer.isEmpty)
        #expect(subs.checkInvariants().isEmpty)
    }

    @Test func staleDataAfterASeekOrRevocationIsDropped() throws {
        let tp0 = TopicPartition("t", 0), tp1 = TopicPartition("t", 1)
        var subs = try assigned([tp0, tp1])
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp0, from: 0, ["a"]))
        buffer.add(try fetched(tp1, from: 0, ["x"]))
        subs.seek(tp0, offset: 5)
        try subs.assignFromUser([tp0])
        let out = try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest)
        #expect(out.records.isEmpty && buffer.isEmpty)
        #expect(subs.position(tp0) == 5)
    }

    @Test func pausedDataWaitsForResume() throws {
        let tp = TopicPartition("t", 0)
        var subs = try assigned([tp])
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp, from: 0, ["a"]))
        subs.pause(tp)
        #expect(try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest).records.isEmpty)
        #expect(buffer.contains(tp))
        subs.resume(tp)
        #expect(try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest).records.map(\.text) == ["a"])
    }

    @Test func compactedGapsAtTheEndMoveThePositionPastTheBatch() throws {
        let tp = TopicPartition("t", 0)
        var subs = try assigned([tp])
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp, from: 0, ["a"], nextOffset: 4))
        _ = try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest)
        #expect(subs.position(tp) == 4)
    }

    @Test func outOfRangeResetsOrThrowsAndLeadershipErrorsAskForMetadata() throws {
        let tp0 = TopicPartition("t", 0), tp1 = TopicPartition("t", 1)
        var subs = try assigned([tp0, tp1], at: 7)
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp0, from: 7, [], error: .offsetOutOfRange))
        buffer.add(try fetched(tp1, from: 7, [], error: .notLeaderOrFollower))
        let out = try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest)
        #expect(out.records.isEmpty && out.metadataRefreshNeeded)
        #expect(subs.states[tp0]?.fetchState == .awaitingReset(.earliest) && subs.position(tp0) == nil)
        #expect(subs.position(tp1) == 7)

        var strict = try assigned([tp0], at: 7)
        var b2 = FetchBuffer()
        b2.add(try fetched(tp0, from: 7, [], error: .offsetOutOfRange))
        #expect(throws: ClientError.offsetOutOfRange(tp0, offset: 7)) {
            _ = try b2.collect(maxRecords: 10, subscriptions: &strict, autoOffsetReset: .none)
        }
    }

    /// CORRUPT_MESSAGE from the broker (its log has bytes it cannot parse) is retriable in
    /// Kafka's error table, but a retry reads the same bytes: the consumer reports it at once.
    @Test func aCorruptMessageFromTheBrokerIsReportedNotRetried() throws {
        let tp = TopicPartition("t", 0)
        var subs = try assigned([tp], at: 5)
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp, from: 5, [], error: .corruptMessage))
        do {
            _ = try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .earliest)
            Issue.record("CORRUPT_MESSAGE was not reported")
        } catch let ClientError.broker(code, message) {
            #expect(code == .corruptMessage)
            #expect(message?.contains("t-0 at offset 5") == true, "\(message ?? "")")
        }
        #expect(subs.position(tp) == 5)
    }

    @Test func anErrorAfterRecordsWaitsForTheNextCollect() throws {
        let tp0 = TopicPartition("t", 0), tp1 = TopicPartition("t", 1)
        var subs = try assigned([tp0, tp1])
        var buffer = FetchBuffer()
        buffer.add(try fetched(tp0, from: 0, ["a"]))
        buffer.add(try fetched(tp1, from: 0, [], error: .offsetOutOfRange))
        #expect(try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .none).records.map(\.text) == ["a"])
        #expect(throws: ClientError.offsetOutOfRange(tp1, offset: 0)) {
            _ = try buffer.collect(maxRecords: 10, subscriptions: &subs, autoOffsetReset: .none)
        }
    }
}
