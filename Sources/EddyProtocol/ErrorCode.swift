/// Kafka's protocol error codes: the `error_code` of every response, with Kafka's names and
/// retriability. Codes, names and the retriable flag follow the "Error Codes" table of Kafka's
/// protocol guide (generated from `org.apache.kafka.common.protocol.Errors`; retriable means
/// the exception extends `RetriableException`), as of Kafka 4.2: codes -1...133.
///
/// Local failures stay typed in each module (`RecordBatchError`, `StorageError`, ...) and are
/// translated into one of these at the wire boundary. A code this table does not know reads
/// as `.unknownServerError`, as Kafka's `Errors.forCode` does.
public enum ErrorCode: Int16, Sendable, CaseIterable, CustomStringConvertible {
    case unknownServerError = -1
    case none = 0
    case offsetOutOfRange = 1
    case corruptMessage = 2
    case unknownTopicOrPartition = 3
    case invalidFetchSize = 4
    case leaderNotAvailable = 5
    case notLeaderOrFollower = 6
    case requestTimedOut = 7
    case brokerNotAvailable = 8
    case replicaNotAvailable = 9
    case messageTooLarge = 10
    case staleControllerEpoch = 11
    case offsetMetadataTooLarge = 12
    case networkException = 13
    case coordinatorLoadInProgress = 14
    case coordinatorNotAvailable = 15
    case notCoordinator = 16
    case invalidTopicException = 17
    case recordListTooLarge = 18
    case notEnoughReplicas = 19
    case notEnoughReplicasAfterAppend = 20
    case invalidRequiredAcks = 21
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupId = 24
    case unknownMemberId = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case invalidCommitOffsetSize = 28
    case topicAuthorizationFailed = 29
    case groupAuthorizationFailed = 30
    case clusterAuthorizationFailed = 31
    case invalidTimestamp = 32
    case unsupportedSaslMechanism = 33
    case illegalSaslState = 34
    case unsupportedVersion = 35
    case topicAlreadyExists = 36
    case invalidPartitions = 37
    case invalidReplicationFactor = 38
    case invalidReplicaAssignment = 39
    case invalidConfig = 40
    case notController = 41
    case invalidRequest = 42
    case unsupportedForMessageFormat = 43
    case policyViolation = 44
    case outOfOrderSequenceNumber = 45
    case duplicateSequenceNumber = 46
    case invalidProducerEpoch = 47
    case invalidTxnState = 48
    case invalidProducerIdMapping = 49
    case invalidTransactionTimeout = 50
    case concurrentTransactions = 51
    case transactionCoordinatorFenced = 52
    case transactionalIdAuthorizationFailed = 53
    case securityDisabled = 54
    case operationNotAttempted = 55
    case kafkaStorageError = 56
    case logDirNotFound = 57
    case saslAuthenticationFailed = 58
    case unknownProducerId = 59
    case reassignmentInProgress = 60
    case delegationTokenAuthDisabled = 61
    case delegationTokenNotFound = 62
    case delegationTokenOwnerMismatch = 63
    case delegationTokenRequestNotAllowed = 64
    case delegationTokenAuthorizationFailed = 65
    case delegationTokenExpired = 66
    case invalidPrincipalType = 67
    case nonEmptyGroup = 68
    case groupIdNotFound = 69
    case fetchSessionIdNotFound = 70
    case invalidFetchSessionEpoch = 71
    case listenerNotFound = 72
    case topicDeletionDisabled = 73
    case fencedLeaderEpoch = 74
    case unknownLeaderEpoch = 75
    case unsupportedCompressionType = 76
    case staleBrokerEpoch = 77
    case offsetNotAvailable = 78
    case memberIdRequired = 79
    case preferredLeaderNotAvailable = 80
    case groupMaxSizeReached = 81
    case fencedInstanceId = 82
    case eligibleLeadersNotAvailable = 83
    case electionNotNeeded = 84
    case noReassignmentInProgress = 85
    case groupSubscribedToTopic = 86
    case invalidRecord = 87
    case unstableOffsetCommit = 88
    case throttlingQuotaExceeded = 89
    case producerFenced = 90
    case resourceNotFound = 91
    case duplicateResource = 92
    case unacceptableCredential = 93
    case inconsistentVoterSet = 94
    case invalidUpdateVersion = 95
    case featureUpdateFailed = 96
    case principalDeserializationFailure = 97
    case snapshotNotFound = 98
    case positionOutOfRange = 99
    case unknownTopicId = 100
    case duplicateBrokerRegistration = 101
    case brokerIdNotRegistered = 102
    case inconsistentTopicId = 103
    case inconsistentClusterId = 104
    case transactionalIdNotFound = 105
    case fetchSessionTopicIdError = 106
    case ineligibleReplica = 107
    case newLeaderElected = 108
    case offsetMovedToTieredStorage = 109
    case fencedMemberEpoch = 110
    case unreleasedInstanceId = 111
    case unsupportedAssignor = 112
    case staleMemberEpoch = 113
    case mismatchedEndpointType = 114
    case unsupportedEndpointType = 115
    case unknownControllerId = 116
    case unknownSubscriptionId = 117
    case telemetryTooLarge = 118
    case invalidRegistration = 119
    case transactionAbortable = 120
    case invalidRecordState = 121
    case shareSessionNotFound = 122
    case invalidShareSessionEpoch = 123
    case fencedStateEpoch = 124
    case invalidVoterKey = 125
    case duplicateVoter = 126
    case voterNotFound = 127
    case invalidRegularExpression = 128
    case rebootstrapRequired = 129
    case streamsInvalidTopology = 130
    case streamsInvalidTopologyEpoch = 131
    case streamsTopologyFenced = 132
    case shareSessionLimitReached = 133

    /// The wire value.
    @inlinable public var code: Int16 { rawValue }

    /// Kafka's name, e.g. `NOT_ENOUGH_REPLICAS`.
    public var name: String { entry.name }

    /// Whether a client may retry the request unchanged and expect it to succeed later.
    public var isRetriable: Bool { entry.retriable }

    /// Every code but `.none` is an error.
    @inlinable public var isError: Bool { self != .none }

    public var description: String { name }

    /// The error with this wire value, or nil if Kafka 4.2 defines none.
    @inlinable public init?(code: Int16) { self.init(rawValue: code) }

    /// The error with this Kafka name (exact, upper case), or nil.
    public init?(name: String) {
        guard let e = ErrorCode.byName[name] else { return nil }
        self = e
    }

    /// Kafka's `Errors.forCode`: unknown codes become `.unknownServerError`.
    public static func forCode(_ code: Int16) -> ErrorCode {
        ErrorCode(rawValue: code) ?? .unknownServerError
    }

    private static let byName: [String: ErrorCode] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    private var entry: (name: String, retriable: Bool) {
        switch self {
        case .unknownServerError: ("UNKNOWN_SERVER_ERROR", false)
        case .none: ("NONE", false)
        case .offsetOutOfRange: ("OFFSET_OUT_OF_RANGE", false)
        case .corruptMessage: ("CORRUPT_MESSAGE", true)
        case .unknownTopicOrPartition: ("UNKNOWN_TOPIC_OR_PARTITION", true)
        case .invalidFetchSize: ("INVALID_FETCH_SIZE", false)
        case .leaderNotAvailable: ("LEADER_NOT_AVAILABLE", true)
        case .notLeaderOrFollower: ("NOT_LEADER_OR_FOLLOWER", true)
        case .requestTimedOut: ("REQUEST_TIMED_OUT", true)
        case .brokerNotAvailable: ("BROKER_NOT_AVAILABLE", false)
        case .replicaNotAvailable: ("REPLICA_NOT_AVAILABLE", true)
        case .messageTooLarge: ("MESSAGE_TOO_LARGE", false)
        case .staleControllerEpoch: ("STALE_CONTROLLER_EPOCH", false)
        case .offsetMetadataTooLarge: ("OFFSET_METADATA_TOO_LARGE", false)
        case .networkException: ("NETWORK_EXCEPTION", true)
        case .coordinatorLoadInProgress: ("COORDINATOR_LOAD_IN_PROGRESS", true)
        case .coordinatorNotAvailable: ("COORDINATOR_NOT_AVAILABLE", true)
        case .notCoordinator: ("NOT_COORDINATOR", true)
        case .invalidTopicException: ("INVALID_TOPIC_EXCEPTION", false)
        case .recordListTooLarge: ("RECORD_LIST_TOO_LARGE", false)
        case .notEnoughReplicas: ("NOT_ENOUGH_REPLICAS", true)
        case .notEnoughReplicasAfterAppend: ("NOT_ENOUGH_REPLICAS_AFTER_APPEND", true)
        case .invalidRequiredAcks: ("INVALID_REQUIRED_ACKS", false)
        case .illegalGeneration: ("ILLEGAL_GENERATION", false)
        case .inconsistentGroupProtocol: ("INCONSISTENT_GROUP_PROTOCOL", false)
        case .invalidGroupId: ("INVALID_GROUP_ID", false)
        case .unknownMemberId: ("UNKNOWN_MEMBER_ID", false)
        case .invalidSessionTimeout: ("INVALID_SESSION_TIMEOUT", false)
        case .rebalanceInProgress: ("REBALANCE_IN_PROGRESS", false)
        case .invalidCommitOffsetSize: ("INVALID_COMMIT_OFFSET_SIZE", false)
        case .topicAuthorizationFailed: ("TOPIC_AUTHORIZATION_FAILED", false)
        case .groupAuthorizationFailed: ("GROUP_AUTHORIZATION_FAILED", false)
        case .clusterAuthorizationFailed: ("CLUSTER_AUTHORIZATION_FAILED", false)
        case .invalidTimestamp: ("INVALID_TIMESTAMP", false)
        case .unsupportedSaslMechanism: ("UNSUPPORTED_SASL_MECHANISM", false)
        case .illegalSaslState: ("ILLEGAL_SASL_STATE", false)
        case .unsupportedVersion: ("UNSUPPORTED_VERSION", false)
        case .topicAlreadyExists: ("TOPIC_ALREADY_EXISTS", false)
        case .invalidPartitions: ("INVALID_PARTITIONS", false)
        case .invalidReplicationFactor: ("INVALID_REPLICATION_FACTOR", false)
        case .invalidReplicaAssignment: ("INVALID_REPLICA_ASSIGNMENT", false)
        case .invalidConfig: ("INVALID_CONFIG", false)
        case .notController: ("NOT_CONTROLLER", true)
        case .invalidRequest: ("INVALID_REQUEST", false)
        case .unsupportedForMessageFormat: ("UNSUPPORTED_FOR_MESSAGE_FORMAT", false)
        case .policyViolation: ("POLICY_VIOLATION", false)
        case .outOfOrderSequenceNumber: ("OUT_OF_ORDER_SEQUENCE_NUMBER", false)
        case .duplicateSequenceNumber: ("DUPLICATE_SEQUENCE_NUMBER", false)
        case .invalidProducerEpoch: ("INVALID_PRODUCER_EPOCH", false)
        case .invalidTxnState: ("INVALID_TXN_STATE", false)
        case .invalidProducerIdMapping: ("INVALID_PRODUCER_ID_MAPPING", false)
        case .invalidTransactionTimeout: ("INVALID_TRANSACTION_TIMEOUT", false)
        case .concurrentTransactions: ("CONCURRENT_TRANSACTIONS", true)
        case .transactionCoordinatorFenced: ("TRANSACTION_COORDINATOR_FENCED", false)
        case .transactionalIdAuthorizationFailed: ("TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false)
        case .securityDisabled: ("SECURITY_DISABLED", false)
        case .operationNotAttempted: ("OPERATION_NOT_ATTEMPTED", false)
        case .kafkaStorageError: ("KAFKA_STORAGE_ERROR", true)
        case .logDirNotFound: ("LOG_DIR_NOT_FOUND", false)
        case .saslAuthenticationFailed: ("SASL_AUTHENTICATION_FAILED", false)
        case .unknownProducerId: ("UNKNOWN_PRODUCER_ID", false)
        case .reassignmentInProgress: ("REASSIGNMENT_IN_PROGRESS", false)
        case .delegationTokenAuthDisabled: ("DELEGATION_TOKEN_AUTH_DISABLED", false)
        case .delegationTokenNotFound: ("DELEGATION_TOKEN_NOT_FOUND", false)
        case .delegationTokenOwnerMismatch: ("DELEGATION_TOKEN_OWNER_MISMATCH", false)
        case .delegationTokenRequestNotAllowed: ("DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false)
        case .delegationTokenAuthorizationFailed: ("DELEGATION_TOKEN_AUTHORIZATION_FAILED", false)
        case .delegationTokenExpired: ("DELEGATION_TOKEN_EXPIRED", false)
        case .invalidPrincipalType: ("INVALID_PRINCIPAL_TYPE", false)
        case .nonEmptyGroup: ("NON_EMPTY_GROUP", false)
        case .groupIdNotFound: ("GROUP_ID_NOT_FOUND", false)
        case .fetchSessionIdNotFound: ("FETCH_SESSION_ID_NOT_FOUND", true)
        case .invalidFetchSessionEpoch: ("INVALID_FETCH_SESSION_EPOCH", true)
        case .listenerNotFound: ("LISTENER_NOT_FOUND", true)
        case .topicDeletionDisabled: ("TOPIC_DELETION_DISABLED", false)
        case .fencedLeaderEpoch: ("FENCED_LEADER_EPOCH", true)
        case .unknownLeaderEpoch: ("UNKNOWN_LEADER_EPOCH", true)
        case .unsupportedCompressionType: ("UNSUPPORTED_COMPRESSION_TYPE", false)
        case .staleBrokerEpoch: ("STALE_BROKER_EPOCH", false)
        case .offsetNotAvailable: ("OFFSET_NOT_AVAILABLE", true)
        case .memberIdRequired: ("MEMBER_ID_REQUIRED", false)
        case .preferredLeaderNotAvailable: ("PREFERRED_LEADER_NOT_AVAILABLE", true)
        case .groupMaxSizeReached: ("GROUP_MAX_SIZE_REACHED", false)
        case .fencedInstanceId: ("FENCED_INSTANCE_ID", false)
        case .eligibleLeadersNotAvailable: ("ELIGIBLE_LEADERS_NOT_AVAILABLE", true)
        case .electionNotNeeded: ("ELECTION_NOT_NEEDED", true)
        case .noReassignmentInProgress: ("NO_REASSIGNMENT_IN_PROGRESS", false)
        case .groupSubscribedToTopic: ("GROUP_SUBSCRIBED_TO_TOPIC", false)
        case .invalidRecord: ("INVALID_RECORD", false)
        case .unstableOffsetCommit: ("UNSTABLE_OFFSET_COMMIT", true)
        case .throttlingQuotaExceeded: ("THROTTLING_QUOTA_EXCEEDED", true)
        case .producerFenced: ("PRODUCER_FENCED", false)
        case .resourceNotFound: ("RESOURCE_NOT_FOUND", false)
        case .duplicateResource: ("DUPLICATE_RESOURCE", false)
        case .unacceptableCredential: ("UNACCEPTABLE_CREDENTIAL", false)
        case .inconsistentVoterSet: ("INCONSISTENT_VOTER_SET", false)
        case .invalidUpdateVersion: ("INVALID_UPDATE_VERSION", false)
        case .featureUpdateFailed: ("FEATURE_UPDATE_FAILED", false)
        case .principalDeserializationFailure: ("PRINCIPAL_DESERIALIZATION_FAILURE", false)
        case .snapshotNotFound: ("SNAPSHOT_NOT_FOUND", false)
        case .positionOutOfRange: ("POSITION_OUT_OF_RANGE", false)
        case .unknownTopicId: ("UNKNOWN_TOPIC_ID", true)
        case .duplicateBrokerRegistration: ("DUPLICATE_BROKER_REGISTRATION", false)
        case .brokerIdNotRegistered: ("BROKER_ID_NOT_REGISTERED", false)
        case .inconsistentTopicId: ("INCONSISTENT_TOPIC_ID", true)
        case .inconsistentClusterId: ("INCONSISTENT_CLUSTER_ID", false)
        case .transactionalIdNotFound: ("TRANSACTIONAL_ID_NOT_FOUND", false)
        case .fetchSessionTopicIdError: ("FETCH_SESSION_TOPIC_ID_ERROR", true)
        case .ineligibleReplica: ("INELIGIBLE_REPLICA", false)
        case .newLeaderElected: ("NEW_LEADER_ELECTED", false)
        case .offsetMovedToTieredStorage: ("OFFSET_MOVED_TO_TIERED_STORAGE", false)
        case .fencedMemberEpoch: ("FENCED_MEMBER_EPOCH", false)
        case .unreleasedInstanceId: ("UNRELEASED_INSTANCE_ID", false)
        case .unsupportedAssignor: ("UNSUPPORTED_ASSIGNOR", false)
        case .staleMemberEpoch: ("STALE_MEMBER_EPOCH", false)
        case .mismatchedEndpointType: ("MISMATCHED_ENDPOINT_TYPE", false)
        case .unsupportedEndpointType: ("UNSUPPORTED_ENDPOINT_TYPE", false)
        case .unknownControllerId: ("UNKNOWN_CONTROLLER_ID", false)
        case .unknownSubscriptionId: ("UNKNOWN_SUBSCRIPTION_ID", false)
        case .telemetryTooLarge: ("TELEMETRY_TOO_LARGE", false)
        case .invalidRegistration: ("INVALID_REGISTRATION", false)
        case .transactionAbortable: ("TRANSACTION_ABORTABLE", false)
        case .invalidRecordState: ("INVALID_RECORD_STATE", false)
        case .shareSessionNotFound: ("SHARE_SESSION_NOT_FOUND", true)
        case .invalidShareSessionEpoch: ("INVALID_SHARE_SESSION_EPOCH", true)
        case .fencedStateEpoch: ("FENCED_STATE_EPOCH", false)
        case .invalidVoterKey: ("INVALID_VOTER_KEY", false)
        case .duplicateVoter: ("DUPLICATE_VOTER", false)
        case .voterNotFound: ("VOTER_NOT_FOUND", false)
        case .invalidRegularExpression: ("INVALID_REGULAR_EXPRESSION", false)
        case .rebootstrapRequired: ("REBOOTSTRAP_REQUIRED", false)
        case .streamsInvalidTopology: ("STREAMS_INVALID_TOPOLOGY", false)
        case .streamsInvalidTopologyEpoch: ("STREAMS_INVALID_TOPOLOGY_EPOCH", false)
        case .streamsTopologyFenced: ("STREAMS_TOPOLOGY_FENCED", false)
        case .shareSessionLimitReached: ("SHARE_SESSION_LIMIT_REACHED", true)
        }
    }
}
