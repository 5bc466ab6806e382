import EddyClient

/// Stopping, killing and starting brokers: what only the process running the cluster can do
/// (the executable implements it over EddyBroker's `Cluster`). Each returns a one-line result.
public protocol BrokerControls: Sendable {
    func stopBroker(_ id: Int32) async throws(ClientError) -> String
    func killBroker(_ id: Int32) async throws(ClientError) -> String
    func startBroker(_ id: Int32) async throws(ClientError) -> String
    /// Stopping (resigning first if it leads), killing and starting a controller-only node.
    func stopController(_ id: Int32) async throws(ClientError) -> String
    func killController(_ id: Int32) async throws(ClientError) -> String
    func startController(_ id: Int32) async throws(ClientError) -> String
}

/// The console's `DemoControls`: broker controls, the demo workload and the running scenario,
/// each optional. `eddy demo` has all three (the scenario when asked for); `eddy console` has
/// only the brokers, so workload controls say the demo workload is not running.
public struct DemoConsoleControls: DemoControls {
    public let brokers: (any BrokerControls)?
    public let workload: DemoWorkload?
    public let scenario: (any ScenarioDriver)?

    public init(brokers: (any BrokerControls)?, workload: DemoWorkload?, scenario: (any ScenarioDriver)? = nil) {
        self.brokers = brokers
        self.workload = workload
        self.scenario = scenario
    }

    public func stopBroker(_ id: Int32) async throws(ClientError) -> String {
        try await requireBrokers().stopBroker(id)
    }

    public func killBroker(_ id: Int32) async throws(ClientError) -> String {
        try await requireBrokers().killBroker(id)
    }

    public func startBroker(_ id: Int32) async throws(ClientError) -> String {
        try await requireBrokers().startBroker(id)
    }

    public func stopController(_ id: Int32) async throws(ClientError) -> String {
        try await requireBrokers().stopController(id)
    }

    public func killController(_ id: Int32) async throws(ClientError) -> String {
        try await requireBrokers().killController(id)
    }

    public func startController(_ id: Int32) async throws(ClientError) -> String {
        try await requireBrokers().startController(id)
    }

    public func workloadStatus() -> [DemoWorkerStatus] { workload?.status() ?? [] }

    public func setPaused(_ worker: String, _ paused: Bool) async throws(ClientError) -> String {
        try requireWorkload().setPaused(worker, paused)
    }

    public func setRate(_ producer: String, recordsPerSecond: Double) async throws(ClientError) -> String {
        try requireWorkload().setRate(producer, recordsPerSecond: recordsPerSecond)
    }

    public func addMember(group: String) async throws(ClientError) -> String {
        try await requireWorkload().addMember(group: group)
    }

    public func removeMember(group: String) async throws(ClientError) -> String {
        try await requireWorkload().removeMember(group: group)
    }

    /// Without a workload there is nothing in this process to pause: `body` runs as it is (and
    /// Kafka refuses it if the group has members elsewhere).
    public func withGroupPaused(_ group: String, _ body: @Sendable () async throws(ClientError) -> String) async throws(ClientError) -> String {
        guard let workload else { return try await body() }
        return try await workload.withGroupPaused(group, body)
    }

    public func scenarioCaption() -> String? { scenario?.caption }

    private func requireBrokers() throws(ClientError) -> any BrokerControls {
        guard let brokers else { throw .illegalState("this console is not running the cluster, so it cannot stop or start brokers or controllers") }
        return brokers
    }

    private func requireWorkload() throws(ClientError) -> DemoWorkload {
        guard let workload else {
            throw .illegalState("no demo workload runs here; start one with: eddy demo")
        }
        return workload
    }
}
