extension EddyBrokerControlRequest {
    /// The request as read off the wire in `version`; an unknown action code reads as nil.
    public init(wire: Wire.EddyBrokerControlRequest, version: Int16) {
        self.init(brokerId: wire.brokerId, action: Action(rawValue: wire.action))
    }

    /// The wire form of the request for `version` (nil action: -1).
    public func wire(version: Int16) -> Wire.EddyBrokerControlRequest {
        Wire.EddyBrokerControlRequest(brokerId: brokerId, action: action?.rawValue ?? -1)
    }
}

extension EddyBrokerControlResponse {
    public init(wire: Wire.EddyBrokerControlResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, errorMessage: wire.errorMessage, changed: wire.changed)
    }

    public func wire(version: Int16) -> Wire.EddyBrokerControlResponse {
        Wire.EddyBrokerControlResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode, errorMessage: errorMessage, changed: changed)
    }
}
