import Dispatch
import EddyProtocol

extension Cluster {
    /// EddyBrokerControl (eddy's admin extension): stops, starts or kills a broker on a
    /// client's request, as `eddy broker ...` does on a data directory. Runs on its own queue,
    /// outside the cluster lock (a broker's shutdown and start take it themselves), and answers
    /// once the change is made. It is the cluster's to answer, not a broker's: the listener it
    /// came through may belong to a stopped broker (the one to start again, or every broker),
    /// else a server whose brokers were all stopped could never start one.
    func controlBroker(_ request: EddyBrokerControlRequest, via node: Int32,
                       completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard lock.withLock({ !isShutDown }) else { return completion(.failure(.brokerUnavailable(node))) }
        DispatchQueue.global().async {
            completion(.success(.eddyBrokerControl(self.performBrokerControl(request))))
        }
    }

    func performBrokerControl(_ request: EddyBrokerControlRequest) -> EddyBrokerControlResponse {
        guard let action = request.action else {
            return EddyBrokerControlResponse(errorCode: .invalidRequest, errorMessage: "unknown broker action")
        }
        if !controllerQuorum.combined, controllerIds.contains(request.brokerId) { return performControllerControl(request.brokerId, action) }
        let brokers = describeCluster().brokers
        guard let broker = brokers.first(where: { $0.id == request.brokerId }) else {
            let ids = brokers.map { String($0.id) }.joined(separator: ",")
            let controllers = controllerQuorum.combined ? "" : "; its controllers are \(controllerIds.map(String.init).joined(separator: ","))"
            return EddyBrokerControlResponse(errorCode: .brokerIdNotRegistered,
                                             errorMessage: "Broker \(request.brokerId) is not part of this cluster; its brokers are \(ids)\(controllers).")
        }
        let already = action == .start ? broker.state == .running : broker.state == .stopped
        guard !already else { return EddyBrokerControlResponse(changed: false) }
        do throws(BrokerError) {
            switch action {
            case .stop: try stopBroker(request.brokerId)
            case .start: try startBroker(request.brokerId)
            case .kill: try killBroker(request.brokerId, fenceNow: true)
            }
            return EddyBrokerControlResponse(changed: true)
        } catch {
            return EddyBrokerControlResponse(errorCode: error.errorCode, errorMessage: error.description)
        }
    }

    /// The same for a separate controller node.
    func performControllerControl(_ id: Int32, _ action: EddyBrokerControlRequest.Action) -> EddyBrokerControlResponse {
        guard (action == .start) != isControllerRunning(id) else { return EddyBrokerControlResponse(changed: false) }
        do throws(BrokerError) {
            switch action {
            case .stop: try stopController(id)
            case .start: try startController(id)
            case .kill: try killController(id)
            }
            return EddyBrokerControlResponse(changed: true)
        } catch {
            return EddyBrokerControlResponse(errorCode: error.errorCode, errorMessage: error.description)
        }
    }
}
