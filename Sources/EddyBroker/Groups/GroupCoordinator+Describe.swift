import EddyProtocol

/// DescribeGroups and ListGroups.
extension GroupCoordinator {
    public struct MemberDescription: Equatable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        /// The member's metadata for the selected protocol; empty unless the group is Stable.
        public var metadata: [UInt8]
        /// Empty unless the group is Stable.
        public var assignment: [UInt8]
    }

    public struct GroupDescription: Equatable, Sendable {
        public var groupId: String
        public var state: GroupState
        public var generationId: Int32
        /// "" when none.
        public var protocolType: String
        /// The assignor; "" unless the group is Stable (as Kafka reports it).
        public var protocolName: String
        public var members: [MemberDescription]
    }

    /// DescribeGroups for one group; a group this coordinator does not hold is reported Dead.
    public func describeGroup(_ groupId: String) -> GroupDescription {
        guard let g = groups[groupId] else {
            return GroupDescription(groupId: groupId, state: .dead, generationId: -1, protocolType: "", protocolName: "", members: [])
        }
        let stable = g.state == .stable
        return GroupDescription(
            groupId: groupId, state: g.state, generationId: g.generationId, protocolType: g.protocolType ?? "",
            protocolName: stable ? g.protocolName ?? "" : "",
            members: g.memberOrder.compactMap { g.members[$0] }.map {
                MemberDescription(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                                  clientHost: $0.clientHost, metadata: stable ? $0.metadata(for: g.protocolName) : [],
                                  assignment: stable ? $0.assignment : [])
            })
    }

    public struct GroupListing: Equatable, Sendable {
        public var groupId: String
        public var protocolType: String
        public var state: GroupState
    }

    /// ListGroups, optionally filtered by state (KIP-518), sorted by group id.
    public func listGroups(states: Set<GroupState>? = nil) -> [GroupListing] {
        groups.values.filter { states?.contains($0.state) ?? true }
            .sorted { $0.groupId < $1.groupId }
            .map { GroupListing(groupId: $0.groupId, protocolType: $0.protocolType ?? "", state: $0.state) }
    }
}
