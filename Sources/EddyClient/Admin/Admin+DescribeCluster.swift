import EddyProtocol

extension Admin {
    /// The cluster as DescribeCluster tells it (Kafka's `Admin.describeCluster`), where some
    /// broker offers it; nil where none does (older clusters, Tansu): Metadata says the same.
    public func describeCluster() async throws(ClientError) -> DescribeClusterResponse? {
        guard offered(.describeCluster) else { return nil }
        let response = try await client.sendToAnyBroker(.describeCluster(DescribeClusterRequest()), timeoutMs: config.defaultApiTimeoutMs).response
        guard case let .describeCluster(r) = response else { throw Self.unexpected(response, expected: "DescribeCluster") }
        guard r.errorCode == .none else { throw .broker(r.errorCode, message: r.errorMessage ?? "DescribeCluster") }
        return r
    }

    /// The KRaft metadata quorum (DescribeQuorum, KIP-595), as `kafka-metadata-quorum describe`
    /// shows it, where the cluster offers it; nil where it does not (eddy's own clusters, which
    /// have one controller; ZooKeeper-era and foreign clusters).
    public func describeQuorum() async throws(ClientError) -> DescribeQuorumResponse.Quorum? {
        guard offered(.describeQuorum) else { return nil }
        let response = try await client.sendToAnyBroker(.describeQuorum(DescribeQuorumRequest()), timeoutMs: config.defaultApiTimeoutMs).response
        guard case let .describeQuorum(r) = response else { throw Self.unexpected(response, expected: "DescribeQuorum") }
        guard r.errorCode == .none else { throw .broker(r.errorCode, message: r.errorMessage ?? "DescribeQuorum") }
        guard let q = r.partition else { return nil }
        guard q.errorCode == .none else { throw .broker(q.errorCode, message: "DescribeQuorum of \(DescribeQuorumRequest.metadataTopic)") }
        return q
    }

    /// Whether a broker this client has negotiated with advertises `api` (Kafka's clients ask
    /// only brokers that do).
    func offered(_ api: ApiKey) -> Bool {
        client.candidateNodes().contains { client.transport.advertisedVersions(of: $0)?[api] != nil }
    }
}
