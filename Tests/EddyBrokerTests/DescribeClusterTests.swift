import EddyProtocol
import Testing
@testable import EddyBroker

/// DescribeCluster (API 60): the cluster id, the controller and the running brokers.
@Suite struct DescribeClusterTests {
    func describe(_ s: ServedCluster, _ request: DescribeClusterRequest = DescribeClusterRequest()) throws -> DescribeClusterResponse {
        guard case let .describeCluster(r) = try #require(s.send(.describeCluster(request), to: 1).response) else {
            throw TestFailure("not a DescribeCluster response")
        }
        return r
    }

    @Test func runningBrokersAndTheController() throws {
        let s = try ServedCluster()
        defer { s.close() }
        let all = try describe(s)
        #expect(all.errorCode == .none && all.clusterId == s.cluster.clusterId && all.controllerId == 0)
        #expect(all.brokers.map(\.brokerId) == s.cluster.runningBrokers)
        try s.cluster.killBroker(2, fenceNow: true)
        #expect(try describe(s).brokers.map(\.brokerId) == [0, 1])
        let controllers = try describe(s, DescribeClusterRequest(endpointType: 2))
        #expect(controllers.errorCode == .unsupportedEndpointType && controllers.brokers.isEmpty)
    }
}
