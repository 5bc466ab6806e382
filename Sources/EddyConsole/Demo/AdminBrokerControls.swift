import EddyClient
import EddyProtocol

/// Broker controls over the network (`eddy console --bootstrap-server`): the console's `x`, `X`
/// and `u` keys sent as eddy's EddyBrokerControl request. A cluster that does not list that API
/// in ApiVersions (Apache Kafka) answers every key with a one-line error saying so; nothing is
/// changed there.
public struct AdminBrokerControls: BrokerControls {
    public let admin: Admin

    public init(admin: Admin) { self.admin = admin }

    public func stopBroker(_ id: Int32) async throws(ClientError) -> String {
        let changed = try await admin.controlBroker(EddyBrokerControlRequest(brokerId: id, action: .stop)).changed
        return changed ? "broker \(id) stopped (controlled shutdown): its leaders moved to other in-sync replicas"
            : "broker \(id) is already stopped"
    }

    public func killBroker(_ id: Int32) async throws(ClientError) -> String {
        let changed = try await admin.controlBroker(EddyBrokerControlRequest(brokerId: id, action: .kill)).changed
        return changed ? "broker \(id) killed: unflushed writes lost; the controller fenced it and its leaders moved"
            : "broker \(id) is not running"
    }

    public func startBroker(_ id: Int32) async throws(ClientError) -> String {
        let changed = try await admin.controlBroker(EddyBrokerControlRequest(brokerId: id, action: .start)).changed
        return changed ? "broker \(id) started: it recovers, catches up with the leaders and rejoins the ISR"
            : "broker \(id) is already running"
    }
}
