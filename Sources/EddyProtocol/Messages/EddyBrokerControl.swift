/// EddyBrokerControl (API key 32000, eddy's own): stop, start or kill a broker of an eddy
/// cluster from a client, as `eddy broker stop|start|kill --bootstrap-server` and the console's
/// broker keys do. The schema is `schemas/EddyBrokerControlRequest.json`; only eddy's brokers
/// list the API in ApiVersions.
public struct EddyBrokerControlRequest: Sendable, Equatable {
    public enum Action: Int8, Sendable, CaseIterable, CustomStringConvertible {
        /// A controlled shutdown: leadership moves away first, then the broker is fenced.
        case stop = 0
        /// Start a stopped or killed broker: it recovers, catches up and rejoins the ISR.
        case start = 1
        /// A crash: unflushed records are lost; the controller fences the broker at once.
        case kill = 2

        public var description: String {
            switch self {
            case .stop: "stop"
            case .start: "start"
            case .kill: "kill"
            }
        }
    }

    public var brokerId: Int32
    /// nil when the wire carried an action code eddy does not know (INVALID_REQUEST).
    public var action: Action?

    public init(brokerId: Int32, action: Action?) {
        self.brokerId = brokerId
        self.action = action
    }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> EddyBrokerControlResponse {
        EddyBrokerControlResponse(errorCode: error, errorMessage: message)
    }
}

public struct EddyBrokerControlResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var errorMessage: String?
    /// False when the broker was already in the state asked for.
    public var changed: Bool

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, errorMessage: String? = nil, changed: Bool = false) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.changed = changed
    }
}
