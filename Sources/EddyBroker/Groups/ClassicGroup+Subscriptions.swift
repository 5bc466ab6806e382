import EddyProtocol

extension ClassicGroup {
    /// The topics the members subscribe to (Kafka's `GroupMetadata.subscribedTopics`): known only
    /// for protocol type `consumer` when every member's metadata for the selected protocol (or,
    /// before one is selected, its first) parses as a ConsumerProtocolSubscription; nil otherwise,
    /// which callers treat as "every topic".
    public var subscribedTopics: Set<String>? {
        guard protocolType == "consumer" else { return nil }
        var topics: Set<String> = []
        for member in members.values {
            let metadata = protocolName.map { member.metadata(for: $0) } ?? member.protocols.first?.metadata ?? []
            guard let subscribed = ClassicGroup.subscriptionTopics(metadata) else { return nil }
            topics.formUnion(subscribed)
        }
        return topics
    }

    /// The topic list of a ConsumerProtocolSubscription (any version: int16 version, then an
    /// array of int16-length strings, int32 count; the fields after it are ignored), or nil if
    /// the bytes are not one.
    static func subscriptionTopics(_ bytes: [UInt8]) -> [String]? {
        bytes.withUnsafeBytes { b -> [String]? in
            var r = ByteReader(b)
            do throws(RecordBatchError) {
                guard try r.readInt16() >= 0 else { return nil }
                let count = try r.readInt32()
                guard count >= 0, Int(count) <= r.remaining / 2 else { return nil }
                var topics: [String] = []
                for _ in 0 ..< count {
                    let length = try r.readInt16()
                    guard length >= 0 else { return nil }
                    guard let name = String(validating: try r.readSlice(Int(length)), as: UTF8.self) else { return nil }
                    topics.append(name)
                }
                return topics
            } catch {
                return nil
            }
        }
    }
}
