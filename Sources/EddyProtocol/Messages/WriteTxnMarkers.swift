/// WriteTxnMarkers (API key 27): a transaction coordinator asks partition leaders to write the
/// COMMIT or ABORT markers that end a transaction. Fields follow Kafka's
/// `WriteTxnMarkersRequest.json` / `WriteTxnMarkersResponse.json` (v0-1; v1 is flexible).
public struct WriteTxnMarkersRequest: Sendable, Equatable {
    public var markers: [WritableTxnMarker]

    public init(markers: [WritableTxnMarker]) { self.markers = markers }

    /// One transaction's markers: for `producerId` at `producerEpoch`, in every partition named.
    public struct WritableTxnMarker: Sendable, Equatable {
        public var producerId: Int64
        public var producerEpoch: Int16
        /// true: COMMIT; false: ABORT.
        public var committed: Bool
        public var topics: [WritableTxnMarkerTopic]
        /// The epoch of the coordinator's `__transaction_state` partition: markers from an older
        /// coordinator are fenced (TRANSACTION_COORDINATOR_FENCED).
        public var coordinatorEpoch: Int32

        public init(producerId: Int64, producerEpoch: Int16, committed: Bool, topics: [WritableTxnMarkerTopic], coordinatorEpoch: Int32) {
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.committed = committed
            self.topics = topics
            self.coordinatorEpoch = coordinatorEpoch
        }

        /// Every partition named, in request order.
        public var topicPartitions: [TopicPartition] {
            topics.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } }
        }
    }

    public struct WritableTxnMarkerTopic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]

        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    /// `partitions` grouped by topic, topics in first-seen order.
    public static func grouped(_ partitions: [TopicPartition]) -> [(topic: String, partitions: [Int32])] {
        var order: [String] = []
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions {
            if byTopic[tp.topic] == nil { order.append(tp.topic) }
            byTopic[tp.topic, default: []].append(tp.partition)
        }
        return order.map { ($0, byTopic[$0]!) }
    }

    /// `error` for every partition of every marker.
    public func errorResponse(_ error: ErrorCode) -> WriteTxnMarkersResponse {
        WriteTxnMarkersResponse(markers: markers.map { m in
            .init(producerId: m.producerId, topics: m.topics.map { t in
                .init(name: t.name, partitions: t.partitionIndexes.map { .init(partitionIndex: $0, errorCode: error) })
            })
        })
    }
}

public struct WriteTxnMarkersResponse: Sendable, Equatable {
    public var markers: [WritableTxnMarkerResult]

    public init(markers: [WritableTxnMarkerResult]) { self.markers = markers }

    public struct WritableTxnMarkerResult: Sendable, Equatable {
        public var producerId: Int64
        public var topics: [WritableTxnMarkerTopicResult]

        public init(producerId: Int64, topics: [WritableTxnMarkerTopicResult]) {
            self.producerId = producerId
            self.topics = topics
        }
    }

    public struct WritableTxnMarkerTopicResult: Sendable, Equatable {
        public var name: String
        public var partitions: [WritableTxnMarkerPartitionResult]

        public init(name: String, partitions: [WritableTxnMarkerPartitionResult]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct WritableTxnMarkerPartitionResult: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    /// Every partition's error, for the marker of `producerId` (the first such marker).
    public func errors(producerId: Int64) -> [TopicPartition: ErrorCode] {
        guard let m = markers.first(where: { $0.producerId == producerId }) else { return [:] }
        var out: [TopicPartition: ErrorCode] = [:]
        for t in m.topics { for p in t.partitions { out[TopicPartition(t.name, p.partitionIndex)] = p.errorCode } }
        return out
    }
}
