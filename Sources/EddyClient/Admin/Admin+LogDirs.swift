import EddyProtocol

extension Admin {
    /// DescribeLogDirs (Kafka's `Admin.describeLogDirs`): every broker in `brokers` (default:
    /// every broker the metadata lists) is asked at once for the replicas of `topics` (nil:
    /// all) in its log directories. Each broker's answer stands alone: one that fails (it does
    /// not answer, or answers with an error) is a failure in the result, not for the call. Not
    /// retried: a sample of sizes that misses a broker is taken again later.
    public func describeLogDirs(brokers: [Int32]? = nil, topics: [DescribeLogDirsRequest.Topic]? = nil)
        async throws(ClientError) -> [Int32: Result<DescribeLogDirsResponse, ClientError>] {
        let nodes: [Int32]
        if let brokers {
            nodes = brokers
        } else {
            nodes = try await client.refreshMetadata(topics: []).brokers.keys.sorted()
        }
        let request = KafkaRequest.describeLogDirs(DescribeLogDirsRequest(topics: topics))
        let client = client, timeout = config.defaultApiTimeoutMs
        return await withTaskGroup(of: (Int32, Result<DescribeLogDirsResponse, ClientError>).self) { group in
            for node in nodes {
                group.addTask {
                    do throws(ClientError) {
                        let response = try await client.send(request, to: node, timeoutMs: min(timeout, client.requestTimeoutMs))
                        guard case let .describeLogDirs(r) = response else { throw Self.unexpected(response, expected: "DescribeLogDirs") }
                        guard r.errorCode == .none else { throw .broker(r.errorCode, message: "DescribeLogDirs on broker \(node)") }
                        return (node, .success(r))
                    } catch {
                        return (node, .failure(error))
                    }
                }
            }
            var out: [Int32: Result<DescribeLogDirsResponse, ClientError>] = [:]
            for await (node, result) in group { out[node] = result }
            return out
        }
    }

    /// The size in bytes of each partition's leader replica (`leaders`: partition → leader, as
    /// in the metadata), from DescribeLogDirs on those leaders. Partitions whose leader did not
    /// answer, or does not hold them, are left out.
    public func leaderReplicaSizes(_ leaders: [TopicPartition: Int32]) async throws(ClientError) -> [TopicPartition: Int64] {
        guard !leaders.isEmpty else { return [:] }
        let answers = try await describeLogDirs(brokers: Array(Set(leaders.values)).sorted())
        let sizes = answers.compactMapValues { try? $0.get().partitionSizes }
        var out: [TopicPartition: Int64] = [:]
        for (tp, leader) in leaders {
            if let size = sizes[leader]?[tp] { out[tp] = size }
        }
        return out
    }
}
