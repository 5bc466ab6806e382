import EddyProtocol

extension Admin {
    /// eddy's EddyBrokerControl extension: stop, start or kill a broker of an eddy cluster.
    /// A cluster that does not list the API in ApiVersions (Apache Kafka, another broker) fails
    /// with UNSUPPORTED_VERSION; a broker the cluster does not have, with
    /// BROKER_ID_NOT_REGISTERED.
    public func controlBroker(_ request: EddyBrokerControlRequest) async throws(ClientError) -> EddyBrokerControlResponse {
        let (_, response) = try await client.sendToAnyBroker(.eddyBrokerControl(request))
        guard case let .eddyBrokerControl(r) = response else { throw Self.unexpected(response, expected: "EddyBrokerControl") }
        if r.errorCode == .unsupportedVersion {
            throw .broker(.unsupportedVersion, message: "this cluster does not support eddy's broker control (EddyBrokerControl): it is not an eddy cluster")
        }
        guard r.errorCode == .none else { throw .broker(r.errorCode, message: r.errorMessage) }
        return r
    }
}
