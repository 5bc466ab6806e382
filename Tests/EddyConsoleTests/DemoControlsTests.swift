import EddyClient
import Foundation
import Testing
@testable import EddyConsole

/// `DemoConsoleControls` routes each control to the brokers, the workload or the scenario, and
/// says which is missing.
@Suite struct DemoControlsTests {
    final class FakeBrokers: BrokerControls, @unchecked Sendable {
        let lock = NSLock()
        var calls: [String] = []
        func stopBroker(_ id: Int32) async throws(ClientError) -> String { note("stop \(id)") }
        func killBroker(_ id: Int32) async throws(ClientError) -> String { note("kill \(id)") }
        func startBroker(_ id: Int32) async throws(ClientError) -> String {
            guard id < 3 else { throw .broker(.brokerIdNotRegistered, message: "broker \(id) is not part of this cluster") }
            return note("start \(id)")
        }
        func stopController(_ id: Int32) async throws(ClientError) -> String { note("stop controller \(id)") }
        func killController(_ id: Int32) async throws(ClientError) -> String { note("kill controller \(id)") }
        func startController(_ id: Int32) async throws(ClientError) -> String { note("start controller \(id)") }
        func note(_ call: String) -> String {
            lock.withLock { calls.append(call) }
            return "did \(call)"
        }
    }

    @Test func brokerControlsGoToTheBrokers() async throws {
        let brokers = FakeBrokers()
        let controls = DemoConsoleControls(brokers: brokers, workload: nil)
        #expect(try await controls.stopBroker(1) == "did stop 1")
        #expect(try await controls.killBroker(2) == "did kill 2")
        #expect(try await controls.startBroker(1) == "did start 1")
        await #expect(throws: ClientError.broker(.brokerIdNotRegistered, message: "broker 7 is not part of this cluster")) {
            try await controls.startBroker(7)
        }
        #expect(try await controls.stopController(3000) == "did stop controller 3000")
        #expect(try await controls.killController(3001) == "did kill controller 3001")
        #expect(try await controls.startController(3000) == "did start controller 3000")
        #expect(brokers.calls == ["stop 1", "kill 2", "start 1", "stop controller 3000", "kill controller 3001", "start controller 3000"])
    }

    @Test func withoutAWorkloadItsControlsSaySo() async throws {
        let controls = DemoConsoleControls(brokers: FakeBrokers(), workload: nil)
        #expect(controls.workloadStatus().isEmpty)
        #expect(controls.scenarioCaption() == nil)
        let advice = ClientError.illegalState("no demo workload runs here; start one with: eddy demo")
        await #expect(throws: advice) { try await controls.setPaused("orders-producer", true) }
        await #expect(throws: advice) { try await controls.setRate("orders-producer", recordsPerSecond: 5) }
        await #expect(throws: advice) { try await controls.addMember(group: "shipping") }
        await #expect(throws: advice) { try await controls.removeMember(group: "shipping") }
        // A reset still runs: there is nothing in this process to pause.
        #expect(try await controls.withGroupPaused("g") { () async throws(ClientError) -> String in "reset g" } == "reset g")
    }

    @Test func withoutBrokersBrokerControlsSaySo() async {
        let controls = DemoConsoleControls(brokers: nil, workload: nil)
        await #expect(throws: ClientError.self) { try await controls.stopBroker(0) }
        await #expect(throws: ClientError.illegalState("this console is not running the cluster, so it cannot stop or start brokers or controllers")) {
            try await controls.killController(3000)
        }
    }
}
