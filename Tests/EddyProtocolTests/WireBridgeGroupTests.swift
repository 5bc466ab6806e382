@testable import EddyProtocol
import Testing

extension OffsetCommitRequest: WireBridged {}
extension OffsetCommitResponse: WireBridged {}
extension OffsetFetchRequest: WireBridged {}
extension OffsetFetchResponse: WireBridged {}
extension FindCoordinatorRequest: WireBridged {}
extension FindCoordinatorResponse: WireBridged {}
extension JoinGroupRequest: WireBridged {}
extension JoinGroupResponse: WireBridged {}
extension HeartbeatRequest: WireBridged {}
extension HeartbeatResponse: WireBridged {}
extension LeaveGroupRequest: WireBridged {}
extension LeaveGroupResponse: WireBridged {}
extension SyncGroupRequest: WireBridged {}
extension SyncGroupResponse: WireBridged {}
extension DescribeGroupsRequest: WireBridged {}
extension DescribeGroupsResponse: WireBridged {}
extension ListGroupsRequest: WireBridged {}
extension ListGroupsResponse: WireBridged {}
extension DeleteGroupsRequest: WireBridged {}
extension DeleteGroupsResponse: WireBridged {}
extension OffsetDeleteRequest: WireBridged {}
extension OffsetDeleteResponse: WireBridged {}

/// `value` → wire form for `version` → bytes → wire form → domain value.
private func roundTrip<T: WireBridged>(_ value: T, _ version: Int16) throws -> T {
    let bytes = try value.wire(version: version).encoded(version: version)
    return try T(wire: T.WireForm(decoding: bytes, version: version), version: version)
}

/// Round-trips `value` in every version of its schema: the result is `expected(version)` (what
/// that version carries), and `value` itself in the latest version.
private func checkEveryVersion<T: WireBridged>(_ value: T, expected: (Int16) -> T) throws {
    for version in T.WireForm.validVersions {
        let want = expected(version)
        #expect(try roundTrip(value, version) == want, "\(T.self) v\(version)")
    }
    #expect(try roundTrip(value, T.WireForm.validVersions.upperBound) == value, "\(T.self) latest")
}

@Suite struct WireBridgeGroupTests {
    // MARK: OffsetCommit

    static let commit = OffsetCommitRequest(groupId: "g", generationIdOrMemberEpoch: 7, memberId: "m-1", groupInstanceId: "i-1", topics: [
        .init(name: "t", partitions: [
            .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: "meta"),
            .init(partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: 4, committedMetadata: nil),
        ]),
        .init(name: "u", partitions: [.init(partitionIndex: 2, committedOffset: 0)]),
    ])

    @Test func offsetCommitRequestEveryVersion() throws {
        try checkEveryVersion(Self.commit) { v in
            var e = Self.commit
            if v < 1 { e.generationIdOrMemberEpoch = -1; e.memberId = "" }
            if v < 6 { e.topics[0].partitions[0].committedLeaderEpoch = -1; e.topics[0].partitions[1].committedLeaderEpoch = -1 }
            if v < 7 { e.groupInstanceId = nil }
            return e
        }
    }

    /// The commit timestamp exists in v1 only, the retention time in v2-4 only.
    @Test func offsetCommitTimestampAndRetention() throws {
        var legacy = Self.commit
        legacy.retentionTimeMs = 86_400_000
        legacy.topics[0].partitions[0].commitTimestamp = 1_700_000_000_000
        for v in Wire.OffsetCommitRequest.validVersions {
            let back = try roundTrip(legacy, v)
            #expect(back.topics[0].partitions[0].commitTimestamp == (v == 1 ? 1_700_000_000_000 : -1), "v\(v)")
            #expect(back.retentionTimeMs == ((2 ... 4).contains(v) ? 86_400_000 : -1), "v\(v)")
        }
        #expect(legacy.wire(version: 1).topics[0].partitions[0].commitTimestamp == 1_700_000_000_000)
        #expect(legacy.wire(version: 2).topics[0].partitions[0].commitTimestamp == -1)
        #expect(legacy.wire(version: 4).retentionTimeMs == 86_400_000)
        #expect(legacy.wire(version: 5).retentionTimeMs == -1)
    }

    @Test func offsetCommitResponseEveryVersion() throws {
        let response = OffsetCommitResponse(throttleTimeMs: 5, topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 1, errorCode: .offsetMetadataTooLarge)]),
            .init(name: "u", partitions: [.init(partitionIndex: 0, errorCode: .unknownTopicOrPartition)]),
        ])
        try checkEveryVersion(response) { v in
            var e = response
            if v < 3 { e.throttleTimeMs = 0 }
            return e
        }
    }

    // MARK: OffsetFetch

    static let fetchGroups = OffsetFetchRequest(groups: [
        .init(groupId: "g1", memberId: "m", memberEpoch: 5,
              topics: [.init(name: "t", partitionIndexes: [0, 1]), .init(name: "u", partitionIndexes: [])]),
        .init(groupId: "g2", topics: nil),
    ], requireStable: true)

    @Test func offsetFetchRequestEveryVersion() throws {
        try checkEveryVersion(Self.fetchGroups) { v in
            if v >= 8 {
                var e = Self.fetchGroups
                if v < 9 { e.groups[0].memberId = nil; e.groups[0].memberEpoch = -1 }
                return e
            }
            // v0-7 carry the first group only, in the single-group form.
            return OffsetFetchRequest(groupId: "g1", topics: Self.fetchGroups.groups[0].topics, requireStable: v >= 7)
        }
    }

    /// v0-7 have one group (`groupId` + `topics`, null for all partitions from v2); v8+ have `groups`.
    @Test func offsetFetchRequestV7VersusV8() throws {
        let single = OffsetFetchRequest(groupId: "g", topics: [.init(name: "t", partitionIndexes: [3])], requireStable: true)
        #expect(try roundTrip(single, 7) == single)
        let v8 = single.wire(version: 8)
        #expect(v8.groupId == "" && v8.topics == [] && v8.groups.count == 1 && v8.groups[0].groupId == "g")
        #expect(try roundTrip(single, 8) == OffsetFetchRequest(groups: [.init(groupId: "g", topics: single.topics)], requireStable: true))

        let v7 = Self.fetchGroups.wire(version: 7)
        #expect(v7.groups == [] && v7.groupId == "g1" && v7.topics?.count == 2 && v7.requireStable)
        #expect(!Self.fetchGroups.wire(version: 6).requireStable)

        // Null topics: every partition, from v2. v0-1 cannot say it and send an empty list.
        let all = OffsetFetchRequest(groupId: "g", topics: nil)
        #expect(try roundTrip(all, 2) == all)
        #expect(try roundTrip(all, 1) == OffsetFetchRequest(groupId: "g", topics: []))
        #expect(try roundTrip(OffsetFetchRequest(groups: [.init(groupId: "g2", topics: nil)]), 9).groups[0].topics == nil)
    }

    static let fetched = OffsetFetchResponse(throttleTimeMs: 9, groups: [
        .init(groupId: "g1", topics: [
            .init(name: "t", partitions: [
                .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, metadata: "meta"),
                .init(partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: nil, errorCode: .unstableOffsetCommit),
            ]),
            .init(name: "gone", partitions: [.init(partitionIndex: 0, errorCode: .unknownTopicOrPartition)]),
        ]),
        .init(groupId: "g2", errorCode: .groupAuthorizationFailed),
    ])

    @Test func offsetFetchResponseEveryVersion() throws {
        try checkEveryVersion(Self.fetched) { v in
            if v >= 8 { return Self.fetched }
            var topics = Self.fetched.groups[0].topics
            if v < 5 { topics[0].partitions[0].committedLeaderEpoch = -1 }
            // v0-1 read the top-level error from the partitions: UNSTABLE_OFFSET_COMMIT is not
            // one of Kafka's partition-only errors.
            return OffsetFetchResponse(throttleTimeMs: v >= 3 ? 9 : 0, topics: topics, errorCode: v >= 2 ? .none : .unstableOffsetCommit)
        }
    }

    /// The top-level error of v2-7 versus the per-group errors of v8+, and v0-1 with neither.
    @Test func offsetFetchResponseErrorsAcrossVersions() throws {
        let single = OffsetFetchResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 5)])],
                                         errorCode: .coordinatorLoadInProgress)
        for v: Int16 in 2 ... 7 {
            #expect(try roundTrip(single, v) == single, "v\(v)")
        }
        // v0-1: the group error goes into every partition (offset -1) and is read back from there.
        for v: Int16 in 0 ... 1 {
            let wire = single.wire(version: v)
            #expect(wire.errorCode == .none)
            #expect(wire.topics[0].partitions[0] == .init(partitionIndex: 0, committedOffset: -1, committedLeaderEpoch: -1, metadata: "",
                                                          errorCode: .coordinatorLoadInProgress))
            let back = try roundTrip(single, v)
            #expect(back.errorCode == .coordinatorLoadInProgress && back.topics[0].partitions[0].committedOffset == -1, "v\(v)")
        }
        // v0-1: partition-only errors stay partition errors.
        let partitionOnly = OffsetFetchResponse(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, errorCode: .topicAuthorizationFailed)]),
        ])
        #expect(try roundTrip(partitionOnly, 0) == partitionOnly)
        // v8+: a single-group-form response becomes one group; the group form keeps per-group errors.
        #expect(try roundTrip(single, 8)
            == OffsetFetchResponse(groups: [.init(groupId: "", topics: single.topics, errorCode: .coordinatorLoadInProgress)]))
        #expect(try roundTrip(OffsetFetchResponse(), 8) == OffsetFetchResponse())
        let groupError = OffsetFetchResponse(groups: [.init(groupId: "g", errorCode: .groupIdNotFound)])
        #expect(try roundTrip(groupError, 8) == groupError)
        // v2-7: the first group's error is the top-level one.
        #expect(try roundTrip(groupError, 7) == OffsetFetchResponse(errorCode: .groupIdNotFound))
    }

    // MARK: FindCoordinator

    static let find = FindCoordinatorRequest(keyType: .transaction, coordinatorKeys: ["tx-a", "tx-b"])

    @Test func findCoordinatorRequestEveryVersion() throws {
        try checkEveryVersion(Self.find) { v in
            if v >= 4 { return Self.find }
            // v0-3 carry one key, the first; v0 has no key type (group).
            return FindCoordinatorRequest(key: "tx-a", keyType: v >= 1 ? .transaction : .group)
        }
    }

    /// v0-3 have one `key`; v4+ have `coordinatorKeys`.
    @Test func findCoordinatorRequestV3VersusV4() throws {
        let single = FindCoordinatorRequest(key: "g", keyType: .group)
        #expect(try roundTrip(single, 3) == single)
        #expect(single.wire(version: 4) == Wire.FindCoordinatorRequest(key: "", keyType: 0, coordinatorKeys: ["g"]))
        #expect(try roundTrip(single, 4) == FindCoordinatorRequest(keyType: .group, coordinatorKeys: ["g"]))
        #expect(FindCoordinatorRequest(keyType: .group, coordinatorKeys: ["g"]).wire(version: 3)
            == Wire.FindCoordinatorRequest(key: "g", keyType: 0))
        #expect(FindCoordinatorRequest(key: "tx", keyType: .transaction).wire(version: 0).keyType == 0)
        // An unknown key type is read as one eddy does not coordinate.
        #expect(FindCoordinatorRequest(wire: Wire.FindCoordinatorRequest(key: "x", keyType: 9), version: 3).keyType != .group)
    }

    static let found = FindCoordinatorResponse(throttleTimeMs: 3, coordinators: [
        .init(key: "tx-a", nodeId: 1, host: "h1", port: 9092),
        .init(key: "tx-b", errorCode: .coordinatorNotAvailable, errorMessage: "not yet"),
    ])

    @Test func findCoordinatorResponseEveryVersion() throws {
        try checkEveryVersion(Self.found) { v in
            if v >= 4 { return Self.found }
            // v0-3 answer in the top-level fields, from the first coordinator.
            return FindCoordinatorResponse(throttleTimeMs: v >= 1 ? 3 : 0, nodeId: 1, host: "h1", port: 9092)
        }
    }

    /// v0-3 answer in the top-level fields; v4+ in `coordinators`.
    @Test func findCoordinatorResponseV3VersusV4() throws {
        let single = FindCoordinatorResponse(throttleTimeMs: 1, errorCode: .coordinatorNotAvailable, errorMessage: "loading")
        #expect(try roundTrip(single, 3) == single)
        #expect(try roundTrip(single, 0) == FindCoordinatorResponse(errorCode: .coordinatorNotAvailable))
        let v4 = single.wire(version: 4)
        #expect(v4.errorCode == .none && v4.nodeId == 0 && v4.port == 0)
        #expect(v4.coordinators == [.init(key: "", nodeId: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable, errorMessage: "loading")])
        #expect(try roundTrip(FindCoordinatorResponse(throttleTimeMs: 1), 4) == FindCoordinatorResponse(throttleTimeMs: 1))
        let v3 = Self.found.wire(version: 3)
        #expect(v3.coordinators == [] && v3.nodeId == 1 && v3.host == "h1" && v3.port == 9092)
    }

    // MARK: JoinGroup

    static let join = JoinGroupRequest(groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, memberId: "m-1",
                                       groupInstanceId: "i-1", protocolType: "consumer",
                                       protocols: [.init(name: "range", metadata: [1, 2, 3]), .init(name: "roundrobin", metadata: [])],
                                       reason: "rebalance needed")

    @Test func joinGroupRequestEveryVersion() throws {
        try checkEveryVersion(Self.join) { v in
            var e = Self.join
            if v < 1 { e.rebalanceTimeoutMs = e.sessionTimeoutMs }
            if v < 5 { e.groupInstanceId = nil }
            if v < 8 { e.reason = nil }
            return e
        }
    }

    /// v0 has no rebalance timeout (the session timeout, as Kafka); static membership from v5.
    @Test func joinGroupRequestVersionFields() {
        #expect(Self.join.wire(version: 0).rebalanceTimeoutMs == -1)
        #expect(JoinGroupRequest(wire: Self.join.wire(version: 0), version: 0).rebalanceTimeoutMs == 10_000)
        #expect(Self.join.wire(version: 4).groupInstanceId == nil && Self.join.wire(version: 5).groupInstanceId == "i-1")
        #expect(Self.join.wire(version: 7).reason == nil && Self.join.wire(version: 8).reason == "rebalance needed")
    }

    static let joined = JoinGroupResponse(throttleTimeMs: 4, generationId: 3, protocolType: "consumer", protocolName: "range", leader: "m-1",
                                          skipAssignment: true, memberId: "m-1", members: [
                                              .init(memberId: "m-1", groupInstanceId: "i-1", metadata: [9, 9]),
                                              .init(memberId: "m-2", metadata: []),
                                          ])

    @Test func joinGroupResponseEveryVersion() throws {
        try checkEveryVersion(Self.joined) { v in
            var e = Self.joined
            if v < 2 { e.throttleTimeMs = 0 }
            if v < 5 { e.members[0].groupInstanceId = nil }
            if v < 7 { e.protocolType = nil }
            if v < 9 { e.skipAssignment = false }
            return e
        }
    }

    /// The protocol name is nullable from v7; before, Kafka sends "" for none.
    @Test func joinGroupResponseProtocolName() throws {
        let error = JoinGroupRequest(groupId: "g", sessionTimeoutMs: 1, protocolType: "consumer", protocols: []).errorResponse(.unknownMemberId)
        #expect(error.protocolName == nil)
        #expect(error.wire(version: 6).protocolName == "")
        #expect(error.wire(version: 7).protocolName == nil)
        for v in Wire.JoinGroupResponse.validVersions {
            #expect(try roundTrip(error, v) == error, "v\(v)")
        }
    }

    // MARK: Heartbeat

    @Test func heartbeatEveryVersion() throws {
        let request = HeartbeatRequest(groupId: "g", generationId: 4, memberId: "m-1", groupInstanceId: "i-1")
        try checkEveryVersion(request) { v in
            var e = request
            if v < 3 { e.groupInstanceId = nil }
            return e
        }
        let response = HeartbeatResponse(throttleTimeMs: 2, errorCode: .rebalanceInProgress)
        try checkEveryVersion(response) { v in
            v >= 1 ? response : HeartbeatResponse(errorCode: .rebalanceInProgress)
        }
    }

    // MARK: LeaveGroup

    static let leave = LeaveGroupRequest(groupId: "g", members: [
        .init(memberId: "m-1", groupInstanceId: "i-1", reason: "shutting down"),
        .init(memberId: "m-2"),
    ])

    @Test func leaveGroupRequestEveryVersion() throws {
        try checkEveryVersion(Self.leave) { v in
            if v < 3 { return LeaveGroupRequest(groupId: "g", memberId: "m-1") }
            var e = Self.leave
            if v < 5 { e.members[0].reason = nil }
            return e
        }
    }

    /// v0-2 name one `memberId`; v3+ a batch of `members` (KIP-345).
    @Test func leaveGroupRequestV2VersusV3() throws {
        let single = LeaveGroupRequest(groupId: "g", memberId: "m")
        #expect(try roundTrip(single, 2) == single)
        #expect(single.wire(version: 3) == Wire.LeaveGroupRequest(groupId: "g", members: [.init(memberId: "m")]))
        #expect(try roundTrip(single, 3) == LeaveGroupRequest(groupId: "g", members: [.init(memberId: "m")]))
        #expect(Self.leave.wire(version: 2) == Wire.LeaveGroupRequest(groupId: "g", memberId: "m-1"))
        #expect(LeaveGroupRequest(groupId: "g").wire(version: 3).members == [])
    }

    static let left = LeaveGroupResponse(throttleTimeMs: 2, members: [
        .init(memberId: "m-1", groupInstanceId: "i-1"),
        .init(memberId: "m-2", errorCode: .unknownMemberId),
    ])

    @Test func leaveGroupResponseEveryVersion() throws {
        try checkEveryVersion(Self.left) { v in
            if v >= 3 { return Self.left }
            // Before v3 there are no member results: the first member error is the error.
            return LeaveGroupResponse(throttleTimeMs: v >= 1 ? 2 : 0, errorCode: .unknownMemberId)
        }
    }

    @Test func leaveGroupResponseTopLevelErrorFirst() throws {
        var response = Self.left
        response.errorCode = .notCoordinator
        #expect(response.wire(version: 2) == Wire.LeaveGroupResponse(throttleTimeMs: 2, errorCode: .notCoordinator))
        #expect(try roundTrip(response, 3) == response)
        #expect(LeaveGroupResponse(members: [.init(memberId: "m")]).wire(version: 2).errorCode == .none)
    }

    // MARK: SyncGroup

    @Test func syncGroupEveryVersion() throws {
        let request = SyncGroupRequest(groupId: "g", generationId: 5, memberId: "m-1", groupInstanceId: "i-1", protocolType: "consumer",
                                       protocolName: "range",
                                       assignments: [.init(memberId: "m-1", assignment: [0, 1]), .init(memberId: "m-2", assignment: [])])
        try checkEveryVersion(request) { v in
            var e = request
            if v < 3 { e.groupInstanceId = nil }
            if v < 5 { e.protocolType = nil; e.protocolName = nil }
            return e
        }
        let response = SyncGroupResponse(throttleTimeMs: 6, errorCode: .none, protocolType: "consumer", protocolName: "range", assignment: [7, 8])
        try checkEveryVersion(response) { v in
            var e = response
            if v < 1 { e.throttleTimeMs = 0 }
            if v < 5 { e.protocolType = nil; e.protocolName = nil }
            return e
        }
    }

    // MARK: DescribeGroups

    static let described = DescribeGroupsResponse(throttleTimeMs: 8, groups: [
        .init(groupId: "a", groupState: "Stable", protocolType: "consumer", protocolData: "range", members: [
            .init(memberId: "m-1", groupInstanceId: "i-1", clientId: "c", clientHost: "/10.0.0.1", memberMetadata: [1], memberAssignment: [2]),
            .init(memberId: "m-2", clientId: "c2", clientHost: "/10.0.0.2"),
        ], authorizedOperations: 0b1100),
        .init(errorCode: .groupIdNotFound, groupId: "b", groupState: "Dead"),
    ])

    @Test func describeGroupsEveryVersion() throws {
        let request = DescribeGroupsRequest(groups: ["a", "b"], includeAuthorizedOperations: true)
        try checkEveryVersion(request) { v in
            DescribeGroupsRequest(groups: ["a", "b"], includeAuthorizedOperations: v >= 3)
        }
        try checkEveryVersion(Self.described) { v in
            var e = Self.described
            if v < 1 { e.throttleTimeMs = 0 }
            if v < 3 { e.groups[0].authorizedOperations = DescribeGroupsResponse.authorizedOperationsOmitted }
            if v < 4 { e.groups[0].members[0].groupInstanceId = nil }
            return e
        }
    }

    /// Kafka 3.9's DescribeGroups (v0-5) has no error message: it is dropped.
    @Test func describeGroupsErrorMessageIsDropped() throws {
        let response = DescribeGroupsRequest(groups: ["g"]).errorResponse(.groupAuthorizationFailed, message: "denied")
        #expect(try roundTrip(response, 5) == DescribeGroupsRequest(groups: ["g"]).errorResponse(.groupAuthorizationFailed))
    }

    // MARK: ListGroups

    @Test func listGroupsEveryVersion() throws {
        let request = ListGroupsRequest(statesFilter: ["Stable", "Empty"], typesFilter: ["classic"])
        try checkEveryVersion(request) { v in
            ListGroupsRequest(statesFilter: v >= 4 ? request.statesFilter : [], typesFilter: v >= 5 ? request.typesFilter : [])
        }
        let response = ListGroupsResponse(throttleTimeMs: 1, groups: [
            .init(groupId: "g1", protocolType: "consumer", groupState: "Stable", groupType: "classic"),
            .init(groupId: "g2", protocolType: "", groupState: "Empty", groupType: "classic"),
        ])
        try checkEveryVersion(response) { v in
            var e = response
            if v < 1 { e.throttleTimeMs = 0 }
            for i in e.groups.indices {
                if v < 4 { e.groups[i].groupState = "" }
                if v < 5 { e.groups[i].groupType = "" }
            }
            return e
        }
        let error = ListGroupsResponse(errorCode: .coordinatorNotAvailable)
        #expect(try roundTrip(error, 0) == error)
    }

    /// Filters a version lacks are dropped (Kafka's builder refuses them), so every group is listed.
    @Test func listGroupsFilters() {
        let request = ListGroupsRequest(statesFilter: ["Stable"], typesFilter: ["consumer"])
        #expect(request.wire(version: 3) == Wire.ListGroupsRequest())
        #expect(request.wire(version: 4) == Wire.ListGroupsRequest(statesFilter: ["Stable"]))
        #expect(request.wire(version: 5) == Wire.ListGroupsRequest(statesFilter: ["Stable"], typesFilter: ["consumer"]))
    }

    // MARK: DeleteGroups, OffsetDelete

    @Test func deleteGroupsEveryVersion() throws {
        let request = DeleteGroupsRequest(groupsNames: ["a", "b"])
        try checkEveryVersion(request) { _ in request }
        let response = DeleteGroupsResponse(throttleTimeMs: 3, results: [.init(groupId: "a"), .init(groupId: "b", errorCode: .nonEmptyGroup)])
        try checkEveryVersion(response) { _ in response }
    }

    @Test func offsetDeleteEveryVersion() throws {
        let request = OffsetDeleteRequest(groupId: "g", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 3)]),
            .init(name: "u", partitions: []),
        ])
        try checkEveryVersion(request) { _ in request }
        let response = OffsetDeleteResponse(errorCode: .none, throttleTimeMs: 4, topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 3, errorCode: .groupSubscribedToTopic)]),
        ])
        try checkEveryVersion(response) { _ in response }
        #expect(try roundTrip(OffsetDeleteResponse(errorCode: .groupIdNotFound), 0) == OffsetDeleteResponse(errorCode: .groupIdNotFound))
    }
}
