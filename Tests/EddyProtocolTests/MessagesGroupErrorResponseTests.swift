import EddyProtocol
import Testing

/// Each group/offset request's error response carries the error where Kafka's
/// `getErrorResponse` puts it, with Kafka's "unknown" values everywhere else.
@Suite struct MessagesGroupErrorResponseTests {
    static let errors: [ErrorCode] = [.notCoordinator, .coordinatorLoadInProgress, .groupAuthorizationFailed, .unknownServerError]

    /// 0-3 topics with 0-3 partitions each at scattered indices (as in MessagesErrorResponseTests).
    static let shapes: [[(topic: String, partitions: [Int32])]] = (0 ... 3).flatMap { topicCount in
        (0 ... 3).map { partitionCount in
            (0 ..< topicCount).map { t in (topic: "topic-\(t)", partitions: (0 ..< (partitionCount + t) % 4).map { Int32($0 * 3 + t) }) }
        }
    }

    static func flatten(_ shape: [(topic: String, partitions: [Int32])]) -> [TopicPartition] {
        shape.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } }
    }

    @Test(arguments: errors) func offsetCommitPutsTheErrorOnEveryPartition(error: ErrorCode) {
        for shape in Self.shapes {
            let request = OffsetCommitRequest(groupId: "g", generationIdOrMemberEpoch: 4, memberId: "m", topics: shape.map { t in
                .init(name: t.topic, partitions: t.partitions.map { .init(partitionIndex: $0, committedOffset: Int64($0) * 10) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            let response = request.errorResponse(error)
            let results = response.topics.flatMap { t in t.partitions.map { (TopicPartition(t.name, $0.partitionIndex), $0.errorCode) } }
            #expect(results.map(\.0) == Self.flatten(shape))
            #expect(results.allSatisfy { $0.1 == error })
        }
    }

    @Test(arguments: errors) func offsetFetchSingleGroupFormUsesTheTopLevelError(error: ErrorCode) {
        for shape in Self.shapes {
            let request = OffsetFetchRequest(groupId: "g", topics: shape.map { .init(name: $0.topic, partitionIndexes: $0.partitions) })
            #expect(!request.isBatched)
            #expect(request.topicPartitions == Self.flatten(shape))
            #expect(request.allGroups == [.init(groupId: "g", topics: request.topics)])
            #expect(request.errorResponse(error) == OffsetFetchResponse(topics: [], errorCode: error, groups: []))
        }
        #expect(OffsetFetchRequest(groupId: "g", topics: nil).topicPartitions.isEmpty)
    }

    @Test(arguments: errors) func offsetFetchGroupFormPutsTheErrorOnEveryGroup(error: ErrorCode) {
        for count in 1 ... 4 {
            let groups = (0 ..< count).map { i in
                OffsetFetchRequest.OffsetFetchRequestGroup(groupId: "g\(i)", topics: i % 2 == 0 ? nil : [.init(name: "t", partitionIndexes: [0, 1])])
            }
            let request = OffsetFetchRequest(groups: groups, requireStable: true)
            #expect(request.isBatched && request.allGroups == groups)
            #expect(request.topicPartitions.isEmpty)
            let response = request.errorResponse(error)
            #expect(response.errorCode == ErrorCode.none && response.topics.isEmpty)
            #expect(response.groups.map(\.groupId) == groups.map(\.groupId))
            #expect(response.groups.allSatisfy { $0.errorCode == error && $0.topics.isEmpty })
        }
    }

    @Test(arguments: errors) func offsetDeleteUsesTheTopLevelErrorOnly(error: ErrorCode) {
        for shape in Self.shapes {
            let request = OffsetDeleteRequest(groupId: "g", topics: shape.map { t in
                .init(name: t.topic, partitions: t.partitions.map { .init(partitionIndex: $0) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            #expect(request.errorResponse(error) == OffsetDeleteResponse(errorCode: error, topics: []))
        }
    }

    @Test(arguments: errors) func findCoordinator(error: ErrorCode) {
        let single = FindCoordinatorRequest(key: "g").errorResponse(error, message: "why")
        #expect(single == FindCoordinatorResponse(errorCode: error, errorMessage: "why", nodeId: -1, host: "", port: -1))
        #expect(single.coordinators.isEmpty)

        for count in 1 ... 3 {
            let keys = (0 ..< count).map { "tx-\($0)" }
            let batch = FindCoordinatorRequest(keyType: .transaction, coordinatorKeys: keys).errorResponse(error)
            #expect(batch.errorCode == ErrorCode.none)
            #expect(batch.coordinators.map(\.key) == keys)
            #expect(batch.coordinators.allSatisfy {
                $0 == .init(key: $0.key, nodeId: -1, host: "", port: -1, errorCode: error, errorMessage: nil)
            })
        }
    }

    @Test(arguments: errors) func groupLevelRequests(error: ErrorCode) {
        let join = JoinGroupRequest(groupId: "g", sessionTimeoutMs: 10000, rebalanceTimeoutMs: 30000, memberId: "m-1",
                                    groupInstanceId: "i", protocolType: "consumer", protocols: [.init(name: "range", metadata: [1, 2])],
                                    reason: "r").errorResponse(error)
        #expect(join == JoinGroupResponse(errorCode: error, generationId: -1, protocolType: nil, protocolName: nil, leader: "",
                                          skipAssignment: false, memberId: "", members: []))
        #expect(!join.isLeader)

        let sync = SyncGroupRequest(groupId: "g", generationId: 3, memberId: "m", protocolType: "consumer", protocolName: "range",
                                    assignments: [.init(memberId: "m", assignment: [7])]).errorResponse(error)
        #expect(sync == SyncGroupResponse(errorCode: error, protocolType: nil, protocolName: nil, assignment: []))

        #expect(HeartbeatRequest(groupId: "g", generationId: 3, memberId: "m").errorResponse(error) == HeartbeatResponse(errorCode: error))

        let leave = LeaveGroupRequest(groupId: "g", members: [.init(memberId: "a"), .init(memberId: "", groupInstanceId: "b")])
        #expect(leave.errorResponse(error) == LeaveGroupResponse(errorCode: error, members: []))

        let list = ListGroupsRequest(statesFilter: ["Stable"], typesFilter: ["classic"]).errorResponse(error)
        #expect(list == ListGroupsResponse(errorCode: error, groups: []))
    }

    @Test(arguments: errors) func perGroupRequests(error: ErrorCode) {
        for count in 0 ... 4 {
            let names = (0 ..< count).map { "group-\($0)" }

            let describe = DescribeGroupsRequest(groups: names, includeAuthorizedOperations: true).errorResponse(error, message: "no")
            #expect(describe.groups.map(\.groupId) == names)
            #expect(describe.groups.allSatisfy {
                $0.errorCode == error && $0.errorMessage == "no" && $0.groupState == "" && $0.protocolType == ""
                    && $0.protocolData == "" && $0.members.isEmpty && $0.authorizedOperations == Int32.min
            })

            let delete = DeleteGroupsRequest(groupsNames: names).errorResponse(error)
            #expect(delete.results.map(\.groupId) == names)
            #expect(delete.results.allSatisfy { $0.errorCode == error })
        }
    }
}
