import EddyProtocol

extension Broker {
    /// DescribeQuorum (KIP-595): the metadata quorum (`Cluster.describeQuorum`) for
    /// `__cluster_metadata` partition 0; any other partition is UNKNOWN_TOPIC_OR_PARTITION, as
    /// from Kafka. While the quorum has no active controller: NOT_LEADER_OR_FOLLOWER (the
    /// partition's error code), as Kafka's brokers answer it. Caller holds the cluster lock.
    func handleDescribeQuorum(_ request: DescribeQuorumRequest) -> DescribeQuorumResponse {
        guard request.topic == DescribeQuorumRequest.metadataTopic, request.partition == 0 else {
            return request.errorResponse(.unknownTopicOrPartition, message: "The quorum describes \(DescribeQuorumRequest.metadataTopic)-0 only.")
        }
        return DescribeQuorumResponse(partition: cluster.describeQuorumLocked())
    }
}
