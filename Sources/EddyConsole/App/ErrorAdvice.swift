import EddyClient
import EddyProtocol

/// Status-line text for a failed action: Kafka's error name and message, then what to do
/// about it (`NOT_ENOUGH_REPLICAS: ... - start the stopped brokers (u on the Cluster view)`).
enum ErrorAdvice {
    static func text(_ error: any Error) -> String {
        if let error = error as? ClientError { return text(error) }
        if let error = error as? OffsetResetError {
            switch error {
            case .groupNotInactive:
                return "\(error) Stop the group's consumers (they must leave the group), then reset again."
            default:
                return error.description
            }
        }
        if let error = error as? InvalidInput { return error.description }
        return String(describing: error)
    }

    static func text(_ error: ClientError) -> String {
        let base = error.description
        if case let .broker(code, _) = error, let advice = advice(code) { return base + " - " + advice }
        switch error {
        case .timeout:
            return "REQUEST_TIMED_OUT: \(base) - a broker may be down: check the Cluster view (1), start it (u), and try again"
        case .transport:
            return base + " - the broker is unreachable: check the Cluster view (1) and start it (u)"
        case .invalidPartition:
            return base + " - leave the partition empty or pick one the topic has"
        case .recordTooLarge:
            return base + " - send a smaller record"
        default:
            return base
        }
    }

    /// What to do about a Kafka error, for the codes the console's actions meet.
    static func advice(_ code: ErrorCode) -> String? {
        switch code {
        case .topicAlreadyExists: "choose another name; :topics lists the topics"
        case .invalidTopicException: "topic names use letters, digits, '.', '_' and '-' (at most 249 characters)"
        case .invalidPartitions: "a topic needs at least 1 partition"
        case .invalidReplicationFactor: "use at most as many replicas as there are running brokers"
        case .invalidReplicaAssignment: "each replica must be on a different running broker"
        case .invalidConfig: "check the configuration's name and value"
        case .unknownTopicOrPartition: "check the topic and partition; :topics lists the topics"
        case .notEnoughReplicas, .notEnoughReplicasAfterAppend:
            "fewer in-sync replicas than min.insync.replicas: start the stopped brokers (u on the Cluster view)"
        case .leaderNotAvailable, .notLeaderOrFollower, .fencedLeaderEpoch, .unknownLeaderEpoch:
            "the partition's leader is moving or offline: wait a moment, or start its brokers"
        case .brokerNotAvailable: "start the broker (u on the Cluster view)"
        case .requestTimedOut: "a broker did not answer in time: check the Cluster view for stopped brokers"
        case .coordinatorNotAvailable, .notCoordinator, .coordinatorLoadInProgress:
            "the group coordinator is moving: try again in a moment"
        case .nonEmptyGroup, .rebalanceInProgress, .unknownMemberId, .illegalGeneration:
            "the group is active: stop its consumers first"
        case .groupIdNotFound: "check the group's name; 4 lists the groups"
        case .messageTooLarge, .recordListTooLarge: "send a smaller record"
        case .offsetOutOfRange: "choose an offset between the log start and the high watermark"
        case .policyViolation: "the cluster's policy refuses it: check the request against the broker's settings"
        case .kafkaStorageError: "the broker's log directory failed: check the disk, then restart the broker"
        default: nil
        }
    }
}
