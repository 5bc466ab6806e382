/// Heartbeat (API key 12): a classic group member tells its coordinator it is alive; the
/// answer says whether a rebalance started (REBALANCE_IN_PROGRESS). Fields follow Kafka's
/// `HeartbeatRequest.json` / `HeartbeatResponse.json` (v4).
public struct HeartbeatRequest: Sendable, Equatable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }

    /// Kafka's `HeartbeatRequest.getErrorResponse`: just `error`.
    public func errorResponse(_ error: ErrorCode) -> HeartbeatResponse {
        HeartbeatResponse(errorCode: error)
    }
}

public struct HeartbeatResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }
}
