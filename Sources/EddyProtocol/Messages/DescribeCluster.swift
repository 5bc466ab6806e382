/// DescribeCluster (API key 60, KIP-700): the cluster id, the controller and the brokers with
/// their endpoints on the listener asked (what Kafka's `Admin.describeCluster` and
/// `kafka-cluster.sh` read). Fields follow Kafka's schemas (v0-1). A broker answers endpoint
/// type 1 (brokers); type 2 (controllers) is for controllers, so a broker refuses it with
/// UNSUPPORTED_ENDPOINT_TYPE, as Kafka's brokers do.
public struct DescribeClusterRequest: Sendable, Equatable {
    public var includeClusterAuthorizedOperations: Bool
    /// 1 brokers, 2 controllers (v1+).
    public var endpointType: Int8

    public init(includeClusterAuthorizedOperations: Bool = false, endpointType: Int8 = 1) {
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.endpointType = endpointType
    }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DescribeClusterResponse {
        DescribeClusterResponse(errorCode: error, errorMessage: message, clusterId: "", controllerId: -1, brokers: [])
    }
}

public struct DescribeClusterResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var endpointType: Int8
    public var clusterId: String
    public var controllerId: Int32
    public var brokers: [Broker]
    /// Kafka's "not asked" value, Int32.min, unless the request asked.
    public var clusterAuthorizedOperations: Int32

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, errorMessage: String? = nil, endpointType: Int8 = 1,
                clusterId: String, controllerId: Int32, brokers: [Broker], clusterAuthorizedOperations: Int32 = Int32.min) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.endpointType = endpointType
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public struct Broker: Sendable, Equatable {
        public var brokerId: Int32
        public var host: String
        public var port: Int32
        public var rack: String?

        public init(brokerId: Int32, host: String, port: Int32, rack: String? = nil) {
            self.brokerId = brokerId
            self.host = host
            self.port = port
            self.rack = rack
        }
    }
}
