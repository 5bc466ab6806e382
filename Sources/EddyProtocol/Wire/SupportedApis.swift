/// The API versions eddy's brokers serve over the wire: what ApiVersions advertises. A range
/// is listed only where the broker implements the version's meaning and a test covers it (the
/// codec alone covers every version of Kafka 3.9's schemas; that is not a reason to list one).
///
/// Lower bounds: Produce starts at v3, the first that carries RecordBatch v2 (eddy stores
/// nothing older); ListOffsets at v1 (v0's list of old-style offsets is not served); Fetch at v4,
/// the first that returns RecordBatch v2 with an isolation level. Fetch v13+ names topics by id
/// only (the broker resolves them; an unknown id is UNKNOWN_TOPIC_ID); v15 moves the follower's
/// id into `ReplicaState`, v16 adds the leaders' endpoints (eddy sends none), v17 the replica's
/// directory id (ignored). eddy's own client stays below v13 (`clientVersions`). SaslHandshake v0
/// is followed by bare SASL tokens instead of SaslAuthenticate (librdkafka does not look for
/// SASL support unless v0 is listed); the connection handles both.
public enum SupportedApis {
    public static let versions: [ApiKey: ClosedRange<Int16>] = [
        .produce: 3 ... 11,
        .fetch: 4 ... 17,
        .listOffsets: 1 ... 9,
        .metadata: 0 ... 12,
        .offsetCommit: 0 ... 9,
        .offsetFetch: 0 ... 9,
        .findCoordinator: 0 ... 6,
        .joinGroup: 0 ... 9,
        .heartbeat: 0 ... 4,
        .leaveGroup: 0 ... 5,
        .syncGroup: 0 ... 5,
        .describeGroups: 0 ... 5,
        .listGroups: 0 ... 5,
        .apiVersions: 0 ... 4,
        .createTopics: 0 ... 7,
        .deleteTopics: 0 ... 6,
        .createPartitions: 0 ... 3,
        .electLeaders: 0 ... 2,
        .deleteRecords: 0 ... 2,
        .initProducerId: 0 ... 5,
        .offsetForLeaderEpoch: 0 ... 4,
        .writeTxnMarkers: 0 ... 1,
        .addPartitionsToTxn: 0 ... 3,
        .addOffsetsToTxn: 0 ... 3,
        .txnOffsetCommit: 0 ... 3,
        .endTxn: 0 ... 3,
        .describeTransactions: 0 ... 0,
        .listTransactions: 0 ... 1,
        .describeProducers: 0 ... 0,
        .describeConfigs: 0 ... 4,
        .deleteGroups: 0 ... 2,
        .describeLogDirs: 0 ... 4,
        .incrementalAlterConfigs: 0 ... 1,
        .offsetDelete: 0 ... 0,
        .saslHandshake: 0 ... 1,
        .saslAuthenticate: 0 ... 2,
        .describeUserScramCredentials: 0 ... 0,
        .alterUserScramCredentials: 0 ... 0,
        .describeCluster: 0 ... 1,
        .describeQuorum: 0 ... 2,
        .eddyBrokerControl: 0 ... 0,
        .eddyFetchPositions: 0 ... 0,
    ]

    /// The APIs a connection answers itself rather than handing to a broker: SASL's, which
    /// authenticate the connection (they have no `KafkaRequest`).
    public static let answeredByConnection: Set<ApiKey> = [.saslHandshake, .saslAuthenticate]

    /// What eddy's client sends (to eddy or to any Kafka broker): the served versions, except
    /// Fetch, which stops at v12: its consumer names topics, and v13+ would need their ids.
    public static let clientVersions: [ApiKey: ClosedRange<Int16>] = {
        var v = versions
        v[.fetch] = 4 ... 12
        return v
    }()

    /// Whether a request of `key` in `version` is served.
    public static func supports(_ key: Int16, _ version: Int16) -> Bool {
        guard let api = ApiKey(rawValue: key), let range = versions[api] else { return false }
        return range.contains(version)
    }

    /// The ApiVersions response body: every served API in key order. Its tagged fields
    /// (features, epochs) stay empty: librdkafka 2.0.2 misreads an ApiVersions v3 response
    /// whose tagged fields are not.
    public static func apiVersionsResponse(errorCode: ErrorCode = .none) -> Wire.ApiVersionsResponse {
        Wire.ApiVersionsResponse(errorCode: errorCode, apiKeys: versions.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            .init(apiKey: $0.key.rawValue, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound)
        })
    }
}
