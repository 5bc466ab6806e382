import EddyProtocol
import Testing

@Suite struct MessagesGroupApiKeyTests {
    /// One request of every consumer-group / offset `KafkaRequest` case, with the key it must
    /// report. Codes are the `"apiKey"` values of Kafka's schemas (`OffsetCommitRequest.json` 8,
    /// `OffsetFetchRequest.json` 9, `FindCoordinatorRequest.json` 10, `JoinGroupRequest.json` 11,
    /// `HeartbeatRequest.json` 12, `LeaveGroupRequest.json` 13, `SyncGroupRequest.json` 14,
    /// `DescribeGroupsRequest.json` 15, `ListGroupsRequest.json` 16, `DeleteGroupsRequest.json` 42,
    /// `OffsetDeleteRequest.json` 47).
    static let requests: [(KafkaRequest, ApiKey, Int16)] = [
        (.offsetCommit(OffsetCommitRequest(groupId: "g", topic: "t", partition: 0, offset: 5)), .offsetCommit, 8),
        (.offsetFetch(OffsetFetchRequest(groupId: "g", topic: "t", partition: 0)), .offsetFetch, 9),
        (.findCoordinator(FindCoordinatorRequest(key: "g")), .findCoordinator, 10),
        (.joinGroup(JoinGroupRequest(groupId: "g", sessionTimeoutMs: 45000, protocolType: "consumer",
                                     protocols: [.init(name: "range", metadata: [1])])), .joinGroup, 11),
        (.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: "m")), .heartbeat, 12),
        (.leaveGroup(LeaveGroupRequest(groupId: "g", member: "m")), .leaveGroup, 13),
        (.syncGroup(SyncGroupRequest(groupId: "g", generationId: 1, memberId: "m")), .syncGroup, 14),
        (.describeGroups(DescribeGroupsRequest(groups: ["g"])), .describeGroups, 15),
        (.listGroups(ListGroupsRequest()), .listGroups, 16),
        (.deleteGroups(DeleteGroupsRequest(groupsNames: ["g"])), .deleteGroups, 42),
        (.offsetDelete(OffsetDeleteRequest(groupId: "g", topic: "t", partition: 0)), .offsetDelete, 47),
    ]

    @Test func everyGroupRequestCaseReportsItsKeyAndSoDoesItsErrorResponse() {
        #expect(Set(Self.requests.map(\.1)).count == Self.requests.count)
        for (request, key, code) in Self.requests {
            #expect(request.apiKey == key)
            #expect(request.apiKey.code == code)
            let response = request.errorResponse(.notCoordinator)
            #expect(response.apiKey == key)
            // The error shows up somewhere: the response differs from a success-shaped one.
            #expect(response != request.errorResponse(.none), "\(key)")
        }
    }

    /// `KafkaRequest.errorResponse` is each request's own builder; the message reaches the
    /// responses that have a field for it.
    @Test func enumDelegatesToEachBuilder() {
        let find = FindCoordinatorRequest(keyType: .transaction, coordinatorKeys: ["a", "b"])
        #expect(KafkaRequest.findCoordinator(find).errorResponse(.coordinatorNotAvailable, message: "m")
            == .findCoordinator(find.errorResponse(.coordinatorNotAvailable, message: "m")))
        let describe = DescribeGroupsRequest(groups: ["a"])
        #expect(KafkaRequest.describeGroups(describe).errorResponse(.coordinatorLoadInProgress, message: "m")
            == .describeGroups(describe.errorResponse(.coordinatorLoadInProgress, message: "m")))
        let commit = OffsetCommitRequest(groupId: "g", topic: "t", partition: 3, offset: 9)
        #expect(KafkaRequest.offsetCommit(commit).errorResponse(.illegalGeneration, message: "dropped")
            == .offsetCommit(commit.errorResponse(.illegalGeneration)))
        let fetch = OffsetFetchRequest(groups: [.init(groupId: "a", topics: nil)])
        #expect(KafkaRequest.offsetFetch(fetch).errorResponse(.notCoordinator) == .offsetFetch(fetch.errorResponse(.notCoordinator)))
    }
}
