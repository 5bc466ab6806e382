import EddyBroker

extension ClusterOptions {
    /// What a command creates in a new data directory: `brokers` brokers and the controller
    /// quorum a small KRaft cluster runs, 3 voters in combined mode (brokers 0, 1 and 2 are
    /// controllers too), or 1 with fewer than 3 brokers. An existing directory keeps the
    /// layout its `meta.properties` records.
    static func forCommands(brokers: Int = 3) -> ClusterOptions {
        var options = ClusterOptions()
        options.initialBrokerCount = brokers
        options.controllerQuorum = ControllerQuorumOptions(count: brokers >= 3 ? 3 : 1, combined: true)
        return options
    }
}
