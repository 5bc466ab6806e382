import EddyProtocol

extension Admin {
    /// A workaround for brokers whose ListOffsets "latest" answer lies below their high
    /// watermark. Tansu (the Kafka-compatible broker in Rust that eddy is tested against)
    /// answers it with the base offset of the partition's last batch plus one: a partition whose
    /// last batch holds offsets 1 to 50 is said to end at 2, not 51, so log-end offsets, lags and
    /// `--to-latest` resets would be wrong. Its Fetch answers carry the right high watermark.
    ///
    /// So for a leader that does not advertise eddy's admin extension (any cluster eddy did not
    /// make), the "latest" answers are checked with one Fetch to that leader, at those offsets,
    /// with fetch.min.bytes 0 and a 1-byte limit: on Kafka it reads nothing (a fetch at the high
    /// watermark is empty), returns at once, and costs one request per leader; the answer's high
    /// watermark, when higher, replaces the ListOffsets one. A Fetch that fails leaves the
    /// answers as they were. Its max wait is 1 ms, not 0: Tansu answers a Fetch with
    /// fetch.max.wait.ms 0 with no partitions at all.
    /// - Returns: `latest` with each offset raised to the Fetch's high watermark where that is
    ///   higher.
    static func checkedLatestOffsets(_ latest: [TopicPartition: Int64], leader: Int32, client: KafkaClient,
                                     timeoutMs: Int64) async -> [TopicPartition: Int64] {
        guard !latest.isEmpty, let advertised = client.transport.advertisedVersions(of: leader),
              advertised[.eddyBrokerControl] == nil else { return latest }
        let topics = Dictionary(grouping: latest.keys, by: \.topic).sorted { $0.key < $1.key }.map { topic, tps in
            FetchRequest.FetchTopic(topic: topic, partitions: tps.sorted().map {
                FetchRequest.FetchPartition(partition: $0.partition, fetchOffset: latest[$0]!, partitionMaxBytes: 1)
            })
        }
        let request = FetchRequest(maxWaitMs: 1, minBytes: 0, maxBytes: 1, isolationLevel: .readUncommitted, topics: topics)
        guard case let .fetch(response)? = try? await client.send(.fetch(request), to: leader, timeoutMs: timeoutMs) else { return latest }
        var checked = latest
        for topic in response.responses {
            for p in topic.partitions where p.errorCode == .none {
                let tp = TopicPartition(topic.topic, p.partitionIndex)
                if let answered = checked[tp], p.highWatermark > answered { checked[tp] = p.highWatermark }
            }
        }
        return checked
    }
}
