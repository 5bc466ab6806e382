/// FindCoordinator (API key 10): which broker coordinates a consumer group or transactional id.
/// Fields follow Kafka's `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json` (v6).
/// Versions 0-3 ask for one `key` and answer in the top-level fields; versions 4+ ask for a
/// batch (`coordinatorKeys`) and answer in `coordinators`.
public struct FindCoordinatorRequest: Sendable, Equatable {
    /// The key to look up in the single-key form (v0-3); empty in the batch form.
    public var key: String
    public var keyType: CoordinatorType
    /// The keys to look up in the batch form (v4+); empty in the single-key form.
    public var coordinatorKeys: [String]

    public init(key: String = "", keyType: CoordinatorType = .group, coordinatorKeys: [String] = []) {
        self.key = key
        self.keyType = keyType
        self.coordinatorKeys = coordinatorKeys
    }

    /// Kafka's `CoordinatorType` (the wire `KeyType`).
    public enum CoordinatorType: Int8, Sendable, CaseIterable {
        /// `key` is a consumer group id.
        case group = 0
        /// `key` is a transactional id.
        case transaction = 1
        /// `key` is `groupId:topicId:partition` of a share group (KIP-932).
        case share = 2
    }

    /// True when the request uses the batch form (`coordinatorKeys`).
    public var isBatched: Bool { !coordinatorKeys.isEmpty }

    /// Kafka's `FindCoordinatorRequest.getErrorResponse`: in the batch form, `error` (and
    /// `message`) in a coordinator entry per key; otherwise in the top-level fields. Nodes are
    /// unknown (id -1, empty host, port -1).
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> FindCoordinatorResponse {
        if isBatched {
            return FindCoordinatorResponse(coordinators: coordinatorKeys.map { .init(key: $0, errorCode: error, errorMessage: message) })
        }
        return FindCoordinatorResponse(errorCode: error, errorMessage: message)
    }
}

public struct FindCoordinatorResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    /// Single-key form (v0-3) result fields.
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var nodeId: Int32
    public var host: String
    public var port: Int32
    /// Batch form (v4+): one entry per requested key.
    public var coordinators: [Coordinator]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, errorMessage: String? = nil, nodeId: Int32 = -1,
                host: String = "", port: Int32 = -1, coordinators: [Coordinator] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
        self.coordinators = coordinators
    }

    public struct Coordinator: Sendable, Equatable {
        public var key: String
        /// The coordinator's broker id, -1 on error.
        public var nodeId: Int32
        public var host: String
        public var port: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(key: String, nodeId: Int32 = -1, host: String = "", port: Int32 = -1, errorCode: ErrorCode = .none,
                    errorMessage: String? = nil) {
            self.key = key
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// The batch-form entry for `key`, nil if none.
    public func coordinator(for key: String) -> Coordinator? {
        coordinators.first { $0.key == key }
    }

    /// The answer for `key` in whichever form the broker used: its batch entry (v4+), else the
    /// top-level fields (v0-3). A single-key request sent in v4+ is answered in the batch form.
    public func result(for key: String) -> Coordinator {
        coordinator(for: key)
            ?? Coordinator(key: key, nodeId: nodeId, host: host, port: port, errorCode: errorCode, errorMessage: errorMessage)
    }
}
