import EddyProtocol
import Testing

@Suite struct MessagesGroupConvenienceTests {
    @Test func singlePartitionInitsEqualTheFullForm() {
        #expect(OffsetCommitRequest(groupId: "g", topic: "t", partition: 2, offset: 42, leaderEpoch: 5, metadata: nil,
                                    generationIdOrMemberEpoch: 3, memberId: "m", groupInstanceId: "i")
            == OffsetCommitRequest(groupId: "g", generationIdOrMemberEpoch: 3, memberId: "m", groupInstanceId: "i", topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 2, committedOffset: 42, committedLeaderEpoch: 5, committedMetadata: nil)]),
            ]))
        let simple = OffsetCommitRequest(groupId: "g", topic: "t", partition: 0, offset: 1)
        #expect(simple.generationIdOrMemberEpoch == -1 && simple.memberId == "" && simple.groupInstanceId == nil)
        #expect(simple.topics[0].partitions[0].committedLeaderEpoch == -1 && simple.topics[0].partitions[0].committedMetadata == "")

        #expect(OffsetFetchRequest(groupId: "g", topic: "t", partition: 4, requireStable: true)
            == OffsetFetchRequest(groupId: "g", topics: [.init(name: "t", partitionIndexes: [4])], requireStable: true))
        #expect(OffsetDeleteRequest(groupId: "g", topic: "t", partition: 1)
            == OffsetDeleteRequest(groupId: "g", topics: [.init(name: "t", partitions: [.init(partitionIndex: 1)])]))
        #expect(LeaveGroupRequest(groupId: "g", member: "m", groupInstanceId: "i", reason: "bye")
            == LeaveGroupRequest(groupId: "g", memberId: "", members: [.init(memberId: "m", groupInstanceId: "i", reason: "bye")]))
    }

    /// Defaults are those of Kafka's schemas.
    @Test func defaultsAreKafkas() {
        let join = JoinGroupRequest(groupId: "g", sessionTimeoutMs: 45000, protocolType: "consumer", protocols: [])
        #expect(join.rebalanceTimeoutMs == -1 && join.memberId == JoinGroupRequest.unknownMemberId && join.memberId == "")
        #expect(join.groupInstanceId == nil && join.reason == nil)
        #expect(JoinGroupRequest.unknownGenerationId == -1)
        #expect(JoinGroupResponse().generationId == -1 && !JoinGroupResponse().skipAssignment)

        let find = FindCoordinatorRequest(key: "g")
        #expect(find.keyType == .group && !find.isBatched)
        #expect(FindCoordinatorRequest.CoordinatorType.allCases.map(\.rawValue) == [0, 1, 2])

        #expect(!DescribeGroupsRequest(groups: []).includeAuthorizedOperations)
        #expect(DescribeGroupsResponse.authorizedOperationsOmitted == -2_147_483_648)
        #expect(DescribeGroupsResponse.DescribedGroup(groupId: "g").authorizedOperations == DescribeGroupsResponse.authorizedOperationsOmitted)
        #expect(!OffsetFetchRequest(groupId: "g", topics: nil).requireStable)
        let fetched = OffsetFetchResponse.OffsetFetchResponsePartition(partitionIndex: 0)
        #expect(fetched.committedOffset == -1 && fetched.committedLeaderEpoch == -1)
        #expect(ListGroupsRequest().statesFilter.isEmpty && ListGroupsRequest().typesFilter.isEmpty)
    }

    @Test func accessors() {
        let join = JoinGroupResponse(generationId: 2, protocolType: "consumer", protocolName: "range", leader: "a", memberId: "a",
                                     members: [.init(memberId: "a", metadata: [1]), .init(memberId: "b", groupInstanceId: "i", metadata: [2])])
        #expect(join.isLeader)
        var follower = join
        follower.memberId = "b"
        #expect(!follower.isLeader)

        let find = FindCoordinatorResponse(coordinators: [.init(key: "a", nodeId: 1, host: "h", port: 9092), .init(key: "b", errorCode: .coordinatorNotAvailable)])
        #expect(find.coordinator(for: "a")?.nodeId == 1)
        #expect(find.coordinator(for: "b")?.errorCode == .coordinatorNotAvailable)
        #expect(find.coordinator(for: "c") == nil)

        let commit = OffsetCommitResponse(topics: [
            .init(name: "a", partitions: [.init(partitionIndex: 0)]),
            .init(name: "a", partitions: [.init(partitionIndex: 3, errorCode: .offsetMetadataTooLarge)]),
        ])
        #expect(commit.partition(topic: "a", partition: 3)?.errorCode == .offsetMetadataTooLarge)
        #expect(commit.partition(topic: "a", partition: 0)?.errorCode == ErrorCode.none)
        #expect(commit.partition(topic: "a", partition: 1) == nil)
        #expect(commit.partition(topic: "b", partition: 0) == nil)

        let fetch = OffsetFetchResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, committedOffset: 77, committedLeaderEpoch: 2, metadata: "x")])],
                                        groups: [.init(groupId: "g", topics: [.init(name: "u", partitions: [.init(partitionIndex: 0, committedOffset: 5)])]),
                                                 .init(groupId: "h", errorCode: .groupIdNotFound)])
        #expect(fetch.partition(topic: "t", partition: 1)?.committedOffset == 77)
        #expect(fetch.partition(topic: "t", partition: 0) == nil)
        #expect(fetch.group("g")?.partition(topic: "u", partition: 0)?.committedOffset == 5)
        #expect(fetch.group("g")?.partition(topic: "t", partition: 1) == nil)
        #expect(fetch.group("h")?.errorCode == .groupIdNotFound)
        #expect(fetch.group("x") == nil)

        let offsetDelete = OffsetDeleteResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 2, errorCode: .groupSubscribedToTopic)])])
        #expect(offsetDelete.partition(topic: "t", partition: 2)?.errorCode == .groupSubscribedToTopic)
        #expect(offsetDelete.partition(topic: "t", partition: 0) == nil)

        let describe = DescribeGroupsResponse(groups: [.init(groupId: "g", groupState: "Stable", protocolType: "consumer", protocolData: "range",
                                                             members: [.init(memberId: "m", clientId: "c", clientHost: "/1.2.3.4")])])
        #expect(describe.group("g")?.members.first?.clientHost == "/1.2.3.4")
        #expect(describe.group("x") == nil)

        let deleted = DeleteGroupsResponse(results: [.init(groupId: "g", errorCode: .nonEmptyGroup), .init(groupId: "h")])
        #expect(deleted.result(for: "g")?.errorCode == .nonEmptyGroup)
        #expect(deleted.result(for: "h")?.errorCode == ErrorCode.none)
        #expect(deleted.result(for: "x") == nil)
    }
}
