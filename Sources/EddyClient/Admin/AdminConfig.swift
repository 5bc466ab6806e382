/// The admin client's settings, Kafka's `AdminClientConfig` names and defaults. The request
/// layer's own settings (client.id, request.timeout.ms, retry.backoff.ms) belong to the
/// `KafkaClient` the admin runs on.
public struct AdminConfig: Sendable, Equatable {
    /// default.api.timeout.ms: how long one admin call may take in all, retries included
    /// (Kafka's default for calls given no explicit timeout).
    public var defaultApiTimeoutMs: Int64 = 60_000

    public init(defaultApiTimeoutMs: Int64 = 60_000) {
        self.defaultApiTimeoutMs = defaultApiTimeoutMs
    }

    /// Accepts Kafka's dotted names; an unknown key or a bad value is `.invalidConfig`.
    public init(properties: [String: String]) throws(ClientError) {
        self.init()
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "default.api.timeout.ms":
                guard let v = Int64(value), v >= 0 else {
                    throw .invalidConfig(key: key, value: value, reason: "expected a non-negative number of milliseconds")
                }
                defaultApiTimeoutMs = v
            default:
                throw .invalidConfig(key: key, value: value, reason: "unknown admin configuration")
            }
        }
    }
}
