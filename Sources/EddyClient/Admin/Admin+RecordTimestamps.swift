import EddyProtocol

extension Admin {
    /// The timestamp of the record at each given offset (time lag: how old the record a group
    /// would read next is): one Fetch per leader, at those offsets, with fetch.min.bytes 0 and
    /// `partitionMaxBytes` per partition, so the first batch at the offset is all that comes
    /// back (64 partitions a request at most). The record's own timestamp when its batch came whole; else the batch header's
    /// first timestamp (log-append time: the batch's). Partitions whose leader did not answer,
    /// or where nothing is stored at the offset (the high watermark, deleted records), are left
    /// out.
    public func recordTimestamps(at offsets: [TopicPartition: Int64], partitionMaxBytes: Int32 = 16_384) async -> [TopicPartition: Int64] {
        guard !offsets.isEmpty, let metadata = try? await client.refreshMetadata(topics: Array(Set(offsets.keys.map(\.topic))).sorted()) else {
            return [:]
        }
        var byLeader: [Int32: [TopicPartition]] = [:]
        for tp in offsets.keys { if let leader = metadata.leader(of: tp) { byLeader[leader, default: []].append(tp) } }
        // At most `perRequest` partitions a Fetch, so each gets its share of the response.
        let perRequest = 64
        var requests: [(Int32, [TopicPartition])] = []
        for (leader, tps) in byLeader {
            let sorted = tps.sorted()
            for start in stride(from: 0, to: sorted.count, by: perRequest) {
                requests.append((leader, Array(sorted[start ..< min(sorted.count, start + perRequest)])))
            }
        }
        let client = client, timeout = min(config.defaultApiTimeoutMs, client.requestTimeoutMs)
        return await withTaskGroup(of: [TopicPartition: Int64].self) { group in
            for (leader, tps) in requests {
                group.addTask {
                    let topics = Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map { topic, tps in
                        FetchRequest.FetchTopic(topic: topic, partitions: tps.sorted().map {
                            FetchRequest.FetchPartition(partition: $0.partition, fetchOffset: offsets[$0]!, partitionMaxBytes: partitionMaxBytes)
                        })
                    }
                    let request = FetchRequest(maxWaitMs: 1, minBytes: 0, maxBytes: partitionMaxBytes &* Int32(tps.count),
                                               isolationLevel: .readUncommitted, topics: topics)
                    guard case let .fetch(response)? = try? await client.send(.fetch(request), to: leader, timeoutMs: timeout) else { return [:] }
                    var found: [TopicPartition: Int64] = [:]
                    for topic in response.responses {
                        for p in topic.partitions where p.errorCode == .none {
                            let tp = TopicPartition(topic.topic, p.partitionIndex)
                            if let offset = offsets[tp], let ts = Self.timestamp(at: offset, in: p.records, tp: tp) { found[tp] = ts }
                        }
                    }
                    return found
                }
            }
            var all: [TopicPartition: Int64] = [:]
            for await part in group { all.merge(part) { a, _ in a } }
            return all
        }
    }

    /// The timestamp of the first record at or after `offset` in fetched `bytes`.
    static func timestamp(at offset: Int64, in bytes: [UInt8], tp: TopicPartition) -> Int64? {
        if let decoded = try? FetchDecoder.decode(bytes, topic: tp.topic, partition: tp.partition, fetchOffset: offset, checkCrcs: false),
           let first = decoded.records.first {
            return first.timestamp
        }
        // A batch larger than the limit came cut: its header still tells when it began.
        guard bytes.count >= RecordBatchHeader.size else { return nil }
        return bytes.withUnsafeBytes { buf -> Int64? in
            guard let header = try? RecordBatchHeader(parsing: buf),
                  header.baseOffset &+ Int64(header.lastOffsetDelta) >= offset else { return nil }
            return header.attributes.timestampType == .logAppendTime ? header.maxTimestamp : header.baseTimestamp
        }
    }
}
