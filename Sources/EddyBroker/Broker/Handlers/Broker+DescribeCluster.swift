import EddyProtocol

extension Broker {
    /// DescribeCluster: the cluster id, the controller and the live brokers with their
    /// endpoints on the request's listener (as Metadata gives them). Endpoint type 2
    /// (controllers) is UNSUPPORTED_ENDPOINT_TYPE, as from Kafka's brokers; authorized
    /// operations are not computed (there is no authorizer), so Kafka's "unknown" value is sent.
    /// Caller holds the cluster lock.
    func handleDescribeCluster(_ request: DescribeClusterRequest, listener: String) -> DescribeClusterResponse {
        guard request.endpointType == 1 else {
            var r = request.errorResponse(.unsupportedEndpointType, message: "The endpoint type \(request.endpointType) is not served by a broker.")
            r.endpointType = request.endpointType
            return r
        }
        let brokers = liveEndpoints(listener: listener).map { DescribeClusterResponse.Broker(brokerId: $0.id, host: $0.host, port: $0.port) }
        return DescribeClusterResponse(clusterId: cluster.clusterId, controllerId: cluster.controllerIdForClients, brokers: brokers)
    }
}
