/// Who sent a request: the request header's `client_id` and `correlation_id` (for logging,
/// and quotas later). The correlation id is the client's, echoed in the response header.
public struct RequestContext: Sendable, Equatable {
    public var clientId: String
    public var correlationId: Int32
    /// Where the request came from, as Kafka shows hosts (`/127.0.0.1`); empty in process.
    public var clientHost: String

    public init(clientId: String = "", correlationId: Int32 = 0, clientHost: String = "") {
        self.clientId = clientId
        self.correlationId = correlationId
        self.clientHost = clientHost
    }
}
