/// Who sent a request: the request header's `client_id` and `correlation_id` (for logging,
/// and quotas later). The correlation id is the client's, echoed in the response header.
public struct RequestContext: Sendable, Equatable {
    public var clientId: String
    public var correlationId: Int32
    /// Where the request came from, as Kafka shows hosts (`/127.0.0.1`); empty in process.
    public var clientHost: String
    /// Whether a Fetch answer may carry its records as `FileRecords` (the network server sends
    /// them with sendfile); in process, and by default, they are bytes.
    public var acceptsFileRecords: Bool
    /// The listener the request arrived on (Kafka's listener name, `PLAINTEXT`, `SSL`, ...):
    /// Metadata and FindCoordinator answer with the brokers' addresses on that listener. Empty
    /// in process.
    public var listenerName: String

    public init(clientId: String = "", correlationId: Int32 = 0, clientHost: String = "", acceptsFileRecords: Bool = false,
                listenerName: String = "") {
        self.clientId = clientId
        self.correlationId = correlationId
        self.clientHost = clientHost
        self.acceptsFileRecords = acceptsFileRecords
        self.listenerName = listenerName
    }
}
