extension DescribeLogDirsRequest {
    /// The request as read off the wire (every version carries the same fields).
    public init(wire: Wire.DescribeLogDirsRequest, version: Int16) {
        self.init(topics: wire.topics.map { $0.map { Topic(name: $0.topic, partitions: $0.partitions) } })
    }

    /// The wire form of the request for `version` (every version carries the same fields).
    public func wire(version: Int16) -> Wire.DescribeLogDirsRequest {
        Wire.DescribeLogDirsRequest(topics: topics.map { $0.map { .init(topic: $0.name, partitions: $0.partitions) } })
    }
}

extension DescribeLogDirsResponse {
    /// The response as read off the wire: the top-level error from v3, the volume's sizes
    /// from v4 (else none and -1).
    public init(wire: Wire.DescribeLogDirsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: version >= 3 ? wire.errorCode : .none, results: wire.results.map { d in
            LogDir(errorCode: d.errorCode, logDir: d.logDir, topics: d.topics.map { t in
                Topic(name: t.name, partitions: t.partitions.map {
                    Partition(partitionIndex: $0.partitionIndex, partitionSize: $0.partitionSize, offsetLag: $0.offsetLag, isFutureKey: $0.isFutureKey)
                })
            }, totalBytes: version >= 4 ? d.totalBytes : -1, usableBytes: version >= 4 ? d.usableBytes : -1)
        })
    }

    /// The wire form of the response for `version`. Before v3, which has no top-level error, an
    /// error for the whole request goes into a directory entry with an empty path, so that the
    /// client still sees it.
    public func wire(version: Int16) -> Wire.DescribeLogDirsResponse {
        var results = self.results.map { d in
            Wire.DescribeLogDirsResponse.DescribeLogDirsResult(errorCode: d.errorCode, logDir: d.logDir, topics: d.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, partitionSize: $0.partitionSize, offsetLag: $0.offsetLag, isFutureKey: $0.isFutureKey)
                })
            }, totalBytes: version >= 4 ? d.totalBytes : -1, usableBytes: version >= 4 ? d.usableBytes : -1)
        }
        if version < 3, errorCode != .none, results.isEmpty {
            results = [.init(errorCode: errorCode, logDir: "", topics: [])]
        }
        return Wire.DescribeLogDirsResponse(throttleTimeMs: throttleTimeMs, errorCode: version >= 3 ? errorCode : .none, results: results)
    }
}
