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
        let image = cluster.metadataLog.image
        let brokers = image.brokers.keys.sorted().filter { cluster.nodes[$0] != nil }.map { id in
            let endpoint = cluster.advertisedEndpoint(id, listener: listener)
            return DescribeClusterResponse.Broker(brokerId: id, host: endpoint.host, port: endpoint.port)
        }
        return DescribeClusterResponse(clusterId: cluster.clusterId, controllerId: Cluster.controllerId, brokers: brokers)
    }
}
