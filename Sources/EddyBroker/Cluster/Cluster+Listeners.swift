import EddyProtocol

extension Cluster {
    /// Where clients reach each broker: Kafka's `advertised.listeners`, per listener name, as
    /// Metadata and FindCoordinator answer them (with the addresses on the listener the request
    /// came in on). A network server sets them once its listeners are bound; without one,
    /// brokers are reachable only in process (host "in-process", port 0).
    public func setAdvertisedListeners(_ endpoints: [String: [Int32: (host: String, port: Int32)]]) {
        lock.withLock { advertisedListeners = endpoints }
    }

    /// Broker `id`'s advertised host and port on `listener` (a request from in process, or
    /// from a listener with no advertised addresses, gets those of the first listener by
    /// name). Caller holds the lock.
    func advertisedEndpoint(_ id: Int32, listener: String) -> (host: String, port: Int32) {
        let endpoints = advertisedListeners[listener] ?? advertisedListeners.sorted { $0.key < $1.key }.first?.value
        return endpoints?[id] ?? (host: "in-process", port: 0)
    }
}
