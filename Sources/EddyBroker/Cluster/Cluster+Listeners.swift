import EddyProtocol

extension Cluster {
    /// Where clients reach each broker: Kafka's `advertised.listeners`, as Metadata and
    /// FindCoordinator answer them. A network server sets them once its listeners are bound;
    /// without one, brokers are reachable only in process (host "in-process", port 0).
    public func setAdvertisedListeners(_ endpoints: [Int32: (host: String, port: Int32)]) {
        lock.withLock { advertisedListeners = endpoints }
    }

    /// Broker `id`'s advertised host and port. Caller holds the lock.
    func advertisedEndpoint(_ id: Int32) -> (host: String, port: Int32) {
        advertisedListeners[id] ?? (host: "in-process", port: 0)
    }
}
