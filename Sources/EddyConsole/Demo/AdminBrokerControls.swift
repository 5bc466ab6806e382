import EddyClient
import EddyProtocol

/// Broker controls over the network (`eddy console --bootstrap-server`): the console's `x`, `X`
/// and `u` keys sent as eddy's EddyBrokerControl request (for brokers and controller-only nodes). A cluster that does not list that API
/// in ApiVersions (Apache Kafka) answers every key with a one-line error saying so; nothing is
/// changed there.
public struct AdminBrokerControls: BrokerControls {
    public let admin: Admin

    public init(admin: Admin) { self.admin = admin }

    public func stopBroker(_ id: Int32) async throws(ClientError) -> String {
        try await control(id, .stop, done: "broker \(id) stopped (controlled shutdown): its leaders moved to other in-sync replicas",
                          already: "broker \(id) is already stopped")
    }

    public func killBroker(_ id: Int32) async throws(ClientError) -> String {
        try await control(id, .kill, done: "broker \(id) killed: unflushed writes lost; the controller fenced it and its leaders moved",
                          already: "broker \(id) is not running")
    }

    public func startBroker(_ id: Int32) async throws(ClientError) -> String {
        try await control(id, .start, done: "broker \(id) started: it recovers, catches up with the leaders and rejoins the ISR",
                          already: "broker \(id) is already running")
    }

    // A controller-only node's id goes in the same request: eddy's server acts on its controller.

    public func stopController(_ id: Int32) async throws(ClientError) -> String {
        try await control(id, .stop, done: "controller \(id) stopped: it left the quorum (resigning first if it was the active one)",
                          already: "controller \(id) is already stopped")
    }

    public func killController(_ id: Int32) async throws(ClientError) -> String {
        try await control(id, .kill, done: "controller \(id) killed: its unflushed metadata is lost; if it was the active one, the others elect one",
                          already: "controller \(id) is not running")
    }

    public func startController(_ id: Int32) async throws(ClientError) -> String {
        try await control(id, .start, done: "controller \(id) started: it catches up with the active controller's metadata log",
                          already: "controller \(id) is already running")
    }

    /// Sends the request; `done` when it changed the node, `already` when the node was so.
    private func control(_ id: Int32, _ action: EddyBrokerControlRequest.Action, done: String, already: String) async throws(ClientError) -> String {
        try await admin.controlBroker(EddyBrokerControlRequest(brokerId: id, action: action)).changed ? done : already
    }
}
