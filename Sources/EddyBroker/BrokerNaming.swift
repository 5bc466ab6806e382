import EddyProtocol

/// Names and IDs shared by the cluster's brokers. (What remains of the single-node `Broker`
/// facade, which `Cluster` replaced.)
enum Broker {
    /// A broker's log directory inside the data directory: `broker-<id>`.
    static func logDirectoryName(nodeId: Int32) -> String { "broker-\(nodeId)" }

    /// A fresh ID: from the seeded generator when there is one (tests and simulations),
    /// else from the system generator.
    static func newUuid(_ seeded: inout SplitMix64?) -> Uuid {
        guard var generator = seeded else { return Uuid.random() }
        defer { seeded = generator }
        return Uuid.random(using: &generator)
    }
}
