/// Kafka's API keys: the first field of every request header, naming which request it is.
/// Codes and names follow Kafka's `ApiKeys` (each message schema's `"apiKey"` value, e.g.
/// `ProduceRequest.json`; the name is the schema's name without `Request`).
///
/// Only the APIs eddy serves or plans to serve are listed; `allCases` is that set, in code order.
public enum ApiKey: Int16, Sendable, CaseIterable, CustomStringConvertible {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case saslHandshake = 17
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case deleteRecords = 21
    case initProducerId = 22
    case offsetForLeaderEpoch = 23
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case writeTxnMarkers = 27
    case txnOffsetCommit = 28
    case describeConfigs = 32
    case alterConfigs = 33
    case describeLogDirs = 35
    case saslAuthenticate = 36
    case createPartitions = 37
    case electLeaders = 43
    case deleteGroups = 42
    case incrementalAlterConfigs = 44
    case offsetDelete = 47
    case describeUserScramCredentials = 50
    case alterUserScramCredentials = 51
    case describeQuorum = 55
    case alterPartition = 56
    case describeCluster = 60
    case describeProducers = 61
    case describeTransactions = 65
    case listTransactions = 66
    /// eddy's own admin extension (see `EddyBrokerControlRequest`), far outside Kafka's keys.
    case eddyBrokerControl = 32000
    /// eddy's own: consumers' latest fetch offsets (see `EddyFetchPositionsRequest`).
    case eddyFetchPositions = 32001

    /// The wire value.
    @inlinable public var code: Int16 { rawValue }

    /// Kafka's name, as `kafka-broker-api-versions` prints it, e.g. `OffsetForLeaderEpoch`.
    public var name: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .listOffsets: "ListOffsets"
        case .metadata: "Metadata"
        case .offsetCommit: "OffsetCommit"
        case .offsetFetch: "OffsetFetch"
        case .findCoordinator: "FindCoordinator"
        case .joinGroup: "JoinGroup"
        case .heartbeat: "Heartbeat"
        case .leaveGroup: "LeaveGroup"
        case .syncGroup: "SyncGroup"
        case .describeGroups: "DescribeGroups"
        case .listGroups: "ListGroups"
        case .saslHandshake: "SaslHandshake"
        case .saslAuthenticate: "SaslAuthenticate"
        case .describeUserScramCredentials: "DescribeUserScramCredentials"
        case .alterUserScramCredentials: "AlterUserScramCredentials"
        case .apiVersions: "ApiVersions"
        case .createTopics: "CreateTopics"
        case .deleteTopics: "DeleteTopics"
        case .createPartitions: "CreatePartitions"
        case .electLeaders: "ElectLeaders"
        case .deleteRecords: "DeleteRecords"
        case .initProducerId: "InitProducerId"
        case .offsetForLeaderEpoch: "OffsetForLeaderEpoch"
        case .describeConfigs: "DescribeConfigs"
        case .alterConfigs: "AlterConfigs"
        case .deleteGroups: "DeleteGroups"
        case .writeTxnMarkers: "WriteTxnMarkers"
        case .txnOffsetCommit: "TxnOffsetCommit"
        case .addPartitionsToTxn: "AddPartitionsToTxn"
        case .addOffsetsToTxn: "AddOffsetsToTxn"
        case .endTxn: "EndTxn"
        case .describeTransactions: "DescribeTransactions"
        case .listTransactions: "ListTransactions"
        case .describeLogDirs: "DescribeLogDirs"
        case .incrementalAlterConfigs: "IncrementalAlterConfigs"
        case .offsetDelete: "OffsetDelete"
        case .alterPartition: "AlterPartition"
        case .describeQuorum: "DescribeQuorum"
        case .describeProducers: "DescribeProducers"
        case .describeCluster: "DescribeCluster"
        case .eddyBrokerControl: "EddyBrokerControl"
        case .eddyFetchPositions: "EddyFetchPositions"
        }
    }

    public var description: String { "\(name)(\(rawValue))" }
}
