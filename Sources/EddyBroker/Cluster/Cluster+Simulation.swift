import EddyStorage
import Logging

extension Cluster {
    /// A cluster for a seeded simulation: every message between brokers and clients goes
    /// through `transport` (attached here, so it can deliver to this cluster), time is `clock`,
    /// and nothing is logged (thousands of runs would drown the output; the simulation keeps
    /// its own history) unless `verbose`, which logs everything to standard error.
    public static func simulated(dataDirectory: String, clock: ManualClock, options: ClusterOptions,
                                 transport: SimulatedTransport, verbose: Bool = false) throws(BrokerError) -> Cluster {
        let logger = Logger(label: "eddy.simulation", factory: { label in
            guard verbose else { return SwiftLogNoOpLogHandler() }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        })
        let cluster = try Cluster(dataDirectory: dataDirectory, clock: clock, options: options, transport: transport, logger: logger)
        transport.attach(cluster)
        return cluster
    }
}
