import EddyProtocol

extension Admin {
    /// Kafka's classic group states (`ConsumerGroupState`), by their wire names.
    public enum ConsumerGroupState: String, Sendable, CaseIterable {
        case unknown = "Unknown"
        case preparingRebalance = "PreparingRebalance"
        case completingRebalance = "CompletingRebalance"
        case stable = "Stable"
        case dead = "Dead"
        case empty = "Empty"

        /// The state a broker reported; names it does not know are `.unknown`.
        public init(kafkaName: String) {
            self = Self(rawValue: kafkaName) ?? .unknown
        }

        /// Kafka's name (`Stable`, ...).
        public var name: String { rawValue }
    }

    /// One group of `listConsumerGroups` (Kafka's `ConsumerGroupListing`).
    public struct ConsumerGroupListing: Sendable, Equatable {
        public var groupId: String
        public var state: ConsumerGroupState
        public var protocolType: String
        /// A group that only commits offsets and never joins (protocol type "").
        public var isSimpleConsumerGroup: Bool { protocolType.isEmpty }

        public init(groupId: String, state: ConsumerGroupState, protocolType: String) {
            self.groupId = groupId
            self.state = state
            self.protocolType = protocolType
        }
    }

    /// Kafka's `MemberDescription`.
    public struct MemberDescription: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var host: String
        /// The member's partitions, decoded from its `ConsumerProtocolAssignment`; empty unless
        /// the group is Stable (the coordinator only reports assignments then).
        public var assignment: [TopicPartition]

        public init(memberId: String, groupInstanceId: String? = nil, clientId: String, host: String,
                    assignment: [TopicPartition]) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.host = host
            self.assignment = assignment
        }
    }

    /// Kafka's `ConsumerGroupDescription`.
    public struct ConsumerGroupDescription: Sendable, Equatable {
        public var groupId: String
        public var isSimpleConsumerGroup: Bool
        public var members: [MemberDescription]
        /// The assignor the group chose (e.g. `range`); empty unless Stable.
        public var partitionAssignor: String
        public var state: ConsumerGroupState
        /// The coordinator's broker id.
        public var coordinator: Int32

        /// Every partition assigned to a member, with its member.
        public var assignments: [TopicPartition: MemberDescription] {
            var out: [TopicPartition: MemberDescription] = [:]
            for m in members { for tp in m.assignment { out[tp] = m } }
            return out
        }

        public init(groupId: String, isSimpleConsumerGroup: Bool, members: [MemberDescription], partitionAssignor: String,
                    state: ConsumerGroupState, coordinator: Int32) {
            self.groupId = groupId
            self.isSimpleConsumerGroup = isSimpleConsumerGroup
            self.members = members
            self.partitionAssignor = partitionAssignor
            self.state = state
            self.coordinator = coordinator
        }
    }

    // MARK: List

    /// ListGroups sent to every broker, merged by group id: the consumer groups (protocol
    /// type `consumer`) and simple groups (""), sorted by id; `states` filters by state (empty:
    /// all; applied here too, since a broker may ignore the filter). A broker's failure fails
    /// the call, as Kafka's `ListConsumerGroupsResult.all` does.
    public func listConsumerGroups(states: [ConsumerGroupState] = []) async throws(ClientError) -> [ConsumerGroupListing] {
        let deadline = deadline()
        let metadata = try await retrying(until: deadline) { () async throws(ClientError) in
            try await client.refreshMetadata(topics: [])
        }
        let request = ListGroupsRequest(statesFilter: states.map(\.name))
        var merged: [String: ConsumerGroupListing] = [:]
        for node in metadata.brokers.keys.sorted() {
            let groups = try await retrying(until: deadline) { () async throws(ClientError) -> [ListGroupsResponse.ListedGroup] in
                let response = try await client.send(.listGroups(request), to: node)
                guard case let .listGroups(r) = response else { throw Self.unexpected(response, expected: "ListGroups") }
                try Self.check(r.errorCode, "broker \(node)")
                return r.groups
            }
            for g in groups where g.protocolType == ConsumerProtocol.protocolType || g.protocolType.isEmpty {
                merged[g.groupId] = ConsumerGroupListing(groupId: g.groupId, state: ConsumerGroupState(kafkaName: g.groupState),
                                                         protocolType: g.protocolType)
            }
        }
        // A listing without a state (ListGroups below v4, or Tansu, which answers v5 with an
        // empty state) gets it from DescribeGroups, as the group's coordinator knows it; one
        // that cannot be described stays Unknown.
        // Each on its own: a group whose coordinator does not answer stays Unknown, and the
        // others are still described.
        for id in merged.values.filter({ $0.state == .unknown }).map(\.groupId).sorted() {
            guard let d = try? await describeConsumerGroups([id])[id], d.state != .dead else { continue }
            merged[id]?.state = d.state
        }
        return merged.values.filter { states.isEmpty || states.contains($0.state) }.sorted { $0.groupId < $1.groupId }
    }

    // MARK: Describe

    /// FindCoordinator + DescribeGroups for each group. A group the coordinator does not know
    /// is described as Dead with no members (Kafka's coordinator answers so); a group of
    /// another protocol type (not a consumer group) fails with INVALID_GROUP_ID.
    public func describeConsumerGroups(_ groupIds: [String]) async throws(ClientError) -> [String: ConsumerGroupDescription] {
        var out: [String: ConsumerGroupDescription] = [:]
        let deadline = deadline()
        for groupId in groupIds {
            out[groupId] = try await coordinatorCall(group: groupId, deadline: deadline) {
                (node) async throws(ClientError) -> ConsumerGroupDescription in
                let response = try await client.send(.describeGroups(DescribeGroupsRequest(groups: [groupId])), to: node)
                guard case let .describeGroups(r) = response else { throw Self.unexpected(response, expected: "DescribeGroups") }
                guard let g = r.group(groupId) else {
                    throw .broker(.unknownServerError, message: "no DescribeGroups result for group \(groupId)")
                }
                // Kafka describes a group it does not know as Dead, without an error.
                if g.errorCode == .groupIdNotFound {
                    return ConsumerGroupDescription(groupId: groupId, isSimpleConsumerGroup: true, members: [],
                                                    partitionAssignor: "", state: .dead, coordinator: node)
                }
                try Self.check(g.errorCode, g.errorMessage ?? "group \(groupId)")
                return try Self.description(of: g, coordinator: node)
            }
        }
        return out
    }

    /// Describes one group.
    public func describeConsumerGroup(_ groupId: String) async throws(ClientError) -> ConsumerGroupDescription {
        guard let d = try await describeConsumerGroups([groupId])[groupId] else {
            throw .broker(.unknownServerError, message: "no description of group \(groupId)")
        }
        return d
    }

    static func description(of g: DescribeGroupsResponse.DescribedGroup, coordinator: Int32) throws(ClientError) -> ConsumerGroupDescription {
        guard g.protocolType.isEmpty || g.protocolType == ConsumerProtocol.protocolType else {
            throw .broker(.invalidGroupId, message: "group \(g.groupId) is not a consumer group (protocol type \(g.protocolType))")
        }
        let members = try g.members.map { (m) throws(ClientError) -> MemberDescription in
            let assignment = try ConsumerProtocol.decodeAssignment(m.memberAssignment).partitions
            return MemberDescription(memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                                     host: m.clientHost, assignment: assignment.sorted())
        }
        return ConsumerGroupDescription(groupId: g.groupId, isSimpleConsumerGroup: g.protocolType.isEmpty,
                                        members: members, partitionAssignor: g.protocolData,
                                        state: ConsumerGroupState(kafkaName: g.groupState), coordinator: coordinator)
    }

    // MARK: Delete

    /// DeleteGroups to each group's coordinator. Each group succeeds or fails on its own:
    /// NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when it does not exist.
    public func deleteConsumerGroups(_ groupIds: [String]) async throws(ClientError) -> [String: Result<Void, ClientError>] {
        var out: [String: Result<Void, ClientError>] = [:]
        let deadline = deadline()
        for groupId in groupIds {
            do throws(ClientError) {
                try await coordinatorCall(group: groupId, deadline: deadline) { (node) async throws(ClientError) in
                    let response = try await client.send(.deleteGroups(DeleteGroupsRequest(groupsNames: [groupId])), to: node)
                    guard case let .deleteGroups(r) = response else { throw Self.unexpected(response, expected: "DeleteGroups") }
                    guard let result = r.result(for: groupId) else {
                        throw .broker(.unknownServerError, message: "no DeleteGroups result for group \(groupId)")
                    }
                    try Self.check(result.errorCode, Self.deleteGroupMessage(result.errorCode, groupId))
                }
                out[groupId] = .success(())
            } catch let error {
                out[groupId] = .failure(error)
            }
        }
        return out
    }

    /// Deletes one group; its failure is thrown.
    public func deleteConsumerGroup(_ groupId: String) async throws(ClientError) {
        try await deleteConsumerGroups([groupId])[groupId]?.get()
    }

    static func deleteGroupMessage(_ code: ErrorCode, _ groupId: String) -> String {
        switch code {
        case .nonEmptyGroup: "The group '\(groupId)' is not empty."
        case .groupIdNotFound: "The group id '\(groupId)' does not exist."
        default: "group \(groupId)"
        }
    }
}
