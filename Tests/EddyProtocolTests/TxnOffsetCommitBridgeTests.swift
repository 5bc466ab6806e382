import EddyProtocol
import Testing

/// TxnOffsetCommit between eddy's model and the wire, in every served version: what a version
/// carries survives encoding and decoding; what it lacks comes back as its default (v0-1 have no
/// leader epoch, v0-2 no member).
@Suite struct TxnOffsetCommitBridgeTests {
    let request = TxnOffsetCommitRequest(
        transactionalId: "tx", groupId: "g", producerId: 42, producerEpoch: 3, generationId: 7, memberId: "m-1", groupInstanceId: "i-1",
        topics: [.init(name: "orders", partitions: [.init(partitionIndex: 2, committedOffset: 99, committedLeaderEpoch: 5, committedMetadata: "meta")])])

    @Test(arguments: SupportedApis.versions[.txnOffsetCommit]!) func requestsRoundTrip(version: Int16) throws {
        let frame = try Wire.encodeRequest(request.wire(version: version), version: version, correlationId: 1, clientId: "c")
        let decoded = try Wire.decodeRequest(Array(frame.dropFirst(4)))
        let body = try #require(decoded.body)
        guard case let .txnOffsetCommit(back)? = KafkaRequest(wire: body, version: version) else {
            Issue.record("not a TxnOffsetCommit")
            return
        }
        var expected = request
        if version < 3 {
            expected.generationId = -1
            expected.memberId = ""
            expected.groupInstanceId = nil
        }
        if version < 2 { expected.topics[0].partitions[0].committedLeaderEpoch = -1 }
        #expect(back == expected)
    }

    @Test(arguments: SupportedApis.versions[.txnOffsetCommit]!) func responsesRoundTrip(version: Int16) throws {
        let response = TxnOffsetCommitResponse(throttleTimeMs: 5, topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 2, errorCode: .unknownMemberId)]),
        ])
        let frame = try Wire.encodeResponse(response.wire(version: version), version: version, correlationId: 1)
        let (correlationId, wire) = try Wire.decodeResponse(Wire.TxnOffsetCommitResponse.self, Array(frame.dropFirst(4)), version: version)
        let back = TxnOffsetCommitResponse(wire: wire, version: version)
        #expect(correlationId == 1 && back == response)
        #expect(back.errors == [TopicPartition("orders", 2): ErrorCode.unknownMemberId])
    }
}

/// DescribeProducers (v0) between eddy's model and the wire.
@Suite struct DescribeProducersBridgeTests {
    @Test func requestAndResponseRoundTrip() throws {
        let request = DescribeProducersRequest(partitions: [TopicPartition("a", 1), TopicPartition("a", 0), TopicPartition("b", 2)])
        #expect(request.topics == [.init(name: "a", partitionIndexes: [1, 0]), .init(name: "b", partitionIndexes: [2])])
        let frame = try Wire.encodeRequest(request.wire(version: 0), version: 0, correlationId: 3, clientId: "c")
        let body = try #require(try Wire.decodeRequest(Array(frame.dropFirst(4))).body)
        guard case let .describeProducers(back)? = KafkaRequest(wire: body, version: 0) else {
            Issue.record("not a DescribeProducers")
            return
        }
        #expect(back == request)

        let response = DescribeProducersResponse(throttleTimeMs: 1, topics: [.init(name: "a", partitions: [
            .init(partitionIndex: 1, activeProducers: [.init(producerId: 9, producerEpoch: 2, lastSequence: 4, lastTimestamp: 1_000,
                                                             coordinatorEpoch: 0, currentTxnStartOffset: 17)]),
            .init(partitionIndex: 0, errorCode: .notLeaderOrFollower, errorMessage: "moved"),
        ])])
        let encoded = try Wire.encodeResponse(response.wire(version: 0), version: 0, correlationId: 3)
        let (_, wire) = try Wire.decodeResponse(Wire.DescribeProducersResponse.self, Array(encoded.dropFirst(4)), version: 0)
        let decoded = DescribeProducersResponse(wire: wire, version: 0)
        #expect(decoded == response)
        #expect(decoded.partition(TopicPartition("a", 1))?.activeProducers.first?.currentTxnStartOffset == 17)
    }
}
