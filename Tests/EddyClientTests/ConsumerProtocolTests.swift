import EddyProtocol
import Testing
@testable import EddyClient

/// Kafka's ConsumerProtocol subscription and assignment, byte by byte.
@Suite struct ConsumerProtocolTests {
    @Test func subscriptionV3BytesAreKafkas() throws {
        let s = ConsumerProtocol.SubscriptionData(topics: ["a", "bc"], userData: [9],
                                                  ownedPartitions: [TopicPartition("bc", 2), TopicPartition("a", 0), TopicPartition("bc", 1)],
                                                  generationId: 5, rackId: nil)
        let expected: [UInt8] = [
            0, 3,                               // version
            0, 0, 0, 2, 0, 1, 0x61, 0, 2, 0x62, 0x63, // topics
            0, 0, 0, 1, 9,                      // user data
            0, 0, 0, 2,                         // owned partitions: 2 topics, sorted
            0, 1, 0x61, 0, 0, 0, 1, 0, 0, 0, 0,
            0, 2, 0x62, 0x63, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2,
            0, 0, 0, 5,                         // generation
            0xFF, 0xFF,                         // rack: null
        ]
        #expect(ConsumerProtocol.encode(s) == expected)
        let decoded = try ConsumerProtocol.decodeSubscription(expected)
        #expect(decoded.topics == ["a", "bc"] && decoded.userData == [9] && decoded.generationId == 5 && decoded.rackId == nil)
        #expect(decoded.ownedPartitions == [TopicPartition("a", 0), TopicPartition("bc", 1), TopicPartition("bc", 2)])
        #expect(decoded.subscription(groupInstanceId: "i") == Subscription(topics: ["a", "bc"], ownedPartitions: decoded.ownedPartitions,
                                                                        generationId: 5, groupInstanceId: "i"))
    }

    @Test func olderVersionsHaveFewerFieldsAndNewerOnesAreReadAsFarAsKnown() throws {
        let v0 = ConsumerProtocol.SubscriptionData(version: 0, topics: ["t"], ownedPartitions: [TopicPartition("t", 0)], generationId: 3)
        let bytes = ConsumerProtocol.encode(v0)
        #expect(bytes == [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFF])
        let back = try ConsumerProtocol.decodeSubscription(bytes)
        #expect(back.ownedPartitions.isEmpty && back.generationId == -1)
        // A version 9 with an unknown trailing field: the known fields still decode.
        var future = ConsumerProtocol.encode(ConsumerProtocol.SubscriptionData(topics: ["t"], generationId: 4, rackId: "r1"))
        future[1] = 9
        future += [1, 2, 3]
        let read = try ConsumerProtocol.decodeSubscription(future)
        #expect(read.version == 9 && read.topics == ["t"] && read.generationId == 4 && read.rackId == "r1")
    }

    @Test func assignmentRoundTripsAndEmptyBytesAreAnEmptyAssignment() throws {
        let a = ConsumerProtocol.AssignmentData(partitions: [TopicPartition("x", 1), TopicPartition("x", 0)], userData: nil)
        let bytes = ConsumerProtocol.encode(a)
        #expect(bytes == [0, 3, 0, 0, 0, 1, 0, 1, 0x78, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try ConsumerProtocol.decodeAssignment(bytes).partitions == [TopicPartition("x", 0), TopicPartition("x", 1)])
        #expect(try ConsumerProtocol.decodeAssignment([]).partitions.isEmpty)
    }

    /// Bytes of the codec before it moved onto the generated `Wire` types.
    @Test func bytesStayAsTheyWere() throws {
        let s = ConsumerProtocol.SubscriptionData(version: 1, topics: ["é"], userData: [], ownedPartitions: [TopicPartition("é", 3)])
        let sBytes: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 2, 0xC3, 0xA9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0xC3, 0xA9, 0, 0, 0, 1, 0, 0, 0, 3]
        #expect(ConsumerProtocol.encode(s) == sBytes)
        #expect(try ConsumerProtocol.decodeSubscription(sBytes) == s)
        let a = ConsumerProtocol.AssignmentData(version: 0, partitions: [TopicPartition("t", 0)], userData: [7])
        let aBytes: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 7]
        #expect(ConsumerProtocol.encode(a) == aBytes)
        #expect(try ConsumerProtocol.decodeAssignment(aBytes) == a)
        // A negative version is written as 0.
        #expect(ConsumerProtocol.encode(ConsumerProtocol.AssignmentData(version: -3, partitions: [TopicPartition("t", 0)], userData: [7])) == aBytes)
    }

    @Test func corruptBytesNeverTrap() {
        let s = ConsumerProtocol.encode(ConsumerProtocol.SubscriptionData(topics: ["topic", "other"], userData: [1, 2],
                                                                          ownedPartitions: [TopicPartition("topic", 3)], generationId: 1, rackId: "r"))
        var g = SplitMix64(seed: 11)
        for _ in 0 ..< 2000 {
            var b = s
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &g) { b[Int.random(in: 0 ..< b.count, using: &g)] = UInt8.random(in: 0 ... 255, using: &g) }
            _ = try? ConsumerProtocol.decodeSubscription(b)
            _ = try? ConsumerProtocol.decodeAssignment(b)
        }
    }

    @Test func everyTruncationIsATypedError() throws {
        let s = ConsumerProtocol.encode(ConsumerProtocol.SubscriptionData(topics: ["topic"], userData: [1, 2],
                                                                          ownedPartitions: [TopicPartition("topic", 3)], generationId: 1, rackId: "r"))
        for n in 1 ..< s.count {
            #expect(throws: ClientError.self) { _ = try ConsumerProtocol.decodeSubscription(Array(s.prefix(n))) }
        }
        let a = ConsumerProtocol.encode(ConsumerProtocol.AssignmentData(partitions: [TopicPartition("topic", 3)], userData: [7]))
        for n in 1 ..< a.count {
            #expect(throws: ClientError.self) { _ = try ConsumerProtocol.decodeAssignment(Array(a.prefix(n))) }
        }
        // Lengths below -1 and huge counts are refused, not trusted.
        #expect(throws: ClientError.self) { _ = try ConsumerProtocol.decodeSubscription([0, 0, 0x7F, 0xFF, 0xFF, 0xFF]) }
        #expect(throws: ClientError.self) { _ = try ConsumerProtocol.decodeSubscription([0, 0, 0, 0, 0, 1, 0xFF, 0xFE]) }
        #expect(throws: ClientError.self) { _ = try ConsumerProtocol.decodeSubscription([0xFF, 0xFF]) }
    }
}
