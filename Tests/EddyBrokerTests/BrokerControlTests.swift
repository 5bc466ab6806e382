import EddyProtocol
import Testing
@testable import EddyBroker

/// EddyBrokerControl, eddy's admin extension, as `eddy broker ... --bootstrap-server` sends it.
@Suite struct BrokerControlTests {
    func control(_ s: ServedCluster, _ action: EddyBrokerControlRequest.Action, broker: Int32, via node: Int32) throws -> EddyBrokerControlResponse {
        guard case let .eddyBrokerControl(r) = try s.call(.eddyBrokerControl(EddyBrokerControlRequest(brokerId: broker, action: action)), to: node) else {
            throw TestFailure("not an EddyBrokerControl response")
        }
        return r
    }

    /// Found by the kill -9 campaign (scripts/stress-serve seed 5077): once every broker was
    /// stopped, no listener took the request that would start one, so the server could never
    /// serve again (and after a restart the brokers stayed stopped).
    @Test func aStoppedBrokersListenerStillTakesTheRequestThatStartsOne() throws {
        let s = try ServedCluster()
        defer { s.close() }
        for id: Int32 in [2, 1, 0] {
            #expect(try control(s, .stop, broker: id, via: id).changed == true)
        }
        #expect(s.cluster.runningBrokers.isEmpty)
        // Through broker 1's listener, itself stopped.
        #expect(try control(s, .start, broker: 0, via: 1).changed == true)
        #expect(s.cluster.runningBrokers == [0])
        #expect(try control(s, .start, broker: 1, via: 2).changed == true)
        #expect(s.cluster.runningBrokers == [0, 1])
    }
}
