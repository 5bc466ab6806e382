import EddyBroker
import EddyProtocol
import EddyStorage
import Foundation
import Testing

/// `SimulatedTransport` on its own, against a fake broker that answers every request at once.
@Suite struct SimulationTransportTests {
    /// What the fake broker saw and what requesters got back.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var _delivered: [(node: Int32, correlationId: Int32, atMs: Int64)] = []
        private var _completed: [Int32: Result<KafkaResponse, TransportError>] = [:]

        func deliver(_ node: Int32, _ id: Int32, _ at: Int64) { lock.withLock { _delivered.append((node, id, at)) } }
        func complete(_ id: Int32, _ r: Result<KafkaResponse, TransportError>) {
            lock.withLock {
                precondition(_completed[id] == nil, "request \(id) completed twice")
                _completed[id] = r
            }
        }
        var delivered: [(node: Int32, correlationId: Int32, atMs: Int64)] { lock.withLock { _delivered } }
        var completed: [Int32: Result<KafkaResponse, TransportError>] { lock.withLock { _completed } }
    }

    func make(seed: UInt64 = 1, faults: SimulatedTransport.Faults = .none, maxInFlight: Int = 10_000)
        -> (SimulatedTransport, ManualClock, Log) {
        let clock = ManualClock()
        let log = Log()
        let t = SimulatedTransport(seed: seed, clock: clock, faults: faults, maxInFlight: maxInFlight)
        t.attach { request, node, context, completion in
            log.deliver(node, context.correlationId, clock.nowMs())
            completion(.success(request.errorResponse(.none)))
        }
        return (t, clock, log)
    }

    func produce(_ t: SimulatedTransport, id: Int32, to node: Int32, log: Log) {
        let request = ProduceRequest(topic: "t", partition: 0, records: [], acks: -1)
        t.send(.produce(request), to: node, context: RequestContext(clientId: "c", correlationId: id)) { log.complete(id, $0) }
    }

    func fetch(_ t: SimulatedTransport, id: Int32, from follower: Int32, to node: Int32, log: Log) {
        let request = FetchRequest(replicaId: follower, replicaEpoch: 1, maxWaitMs: 0, minBytes: 0, topics: [])
        t.send(.fetch(request), to: node, context: RequestContext(clientId: "f", correlationId: id)) { log.complete(id, $0) }
    }

    func drain(_ t: SimulatedTransport, _ clock: ManualClock, stepMs: Int64 = 1, maxMs: Int64 = 100_000) {
        var waited: Int64 = 0
        while t.inFlightCount > 0, waited <= maxMs {
            if t.deliverNext() == nil {
                clock.advance(ms: stepMs)
                waited += stepMs
            }
        }
    }

    @Test func messagesArriveOnlyOnceDueWithinTheDelayBound() {
        var faults = SimulatedTransport.Faults.none
        faults.maxDelayMs = 40
        let (t, clock, log) = make(faults: faults)
        let start = clock.nowMs()
        for i: Int32 in 0 ..< 30 { produce(t, id: i, to: i % 3, log: log) }
        var sawWaiting = false
        while t.inFlightCount > 0 {
            if t.dueCount == 0 {
                sawWaiting = true
                #expect(t.deliverNext() == nil)
                #expect(t.nextDueMs! > clock.nowMs())
                clock.advance(ms: 1)
            } else {
                #expect(t.deliverNext() != nil)
            }
        }
        #expect(sawWaiting)
        #expect(log.delivered.count == 30)
        // A request waits at most maxDelayMs, its answer at most maxDelayMs more.
        #expect(log.delivered.allSatisfy { $0.atMs - start <= 40 })
        #expect(clock.nowMs() - start <= 80)
        #expect(log.completed.count == 30)
        #expect(log.completed.values.allSatisfy { if case .success = $0 { true } else { false } })
    }

    @Test func eachLinkIsFirstInFirstOut() {
        var faults = SimulatedTransport.Faults.none
        faults.maxDelayMs = 25
        faults.slowProbability = 0.1
        faults.slowDelayMs = 300
        let (t, clock, log) = make(seed: 9, faults: faults)
        for i: Int32 in 0 ..< 60 { produce(t, id: i, to: i % 2, log: log) }
        drain(t, clock)
        for node: Int32 in 0 ..< 2 {
            let ids = log.delivered.filter { $0.node == node }.map(\.correlationId)
            #expect(ids == ids.sorted(), "node \(node)")
            #expect(ids.count == 30)
        }
        // Across links the order is mixed.
        #expect(log.delivered.map(\.correlationId) != log.delivered.map(\.correlationId).sorted())
    }

    @Test func aCutLinkLosesMessagesAndTheRequesterLearnsAfterTheLossDetectionTime() {
        var faults = SimulatedTransport.Faults.none
        faults.lossDetectionMs = 300
        let (t, clock, log) = make(faults: faults)
        t.cut(SimulatedTransport.clientNode, 0)
        #expect(t.cutLinkList == [SimulatedTransport.Link(-1, 0)])
        produce(t, id: 1, to: 0, log: log)
        produce(t, id: 2, to: 1, log: log) // another link: unaffected
        while t.deliverNext() != nil {}
        #expect(log.delivered.map(\.correlationId) == [2])
        #expect(log.completed[1] == nil)
        clock.advance(ms: 299)
        #expect(t.deliverNext() == nil)
        clock.advance(ms: 1)
        #expect(t.deliverNext() != nil)
        #expect(log.completed[1] == .failure(.timedOut(0)))
        #expect(t.statistics.lostToPartitions == 1)
        // Healed: messages go through again.
        t.healAll()
        produce(t, id: 3, to: 0, log: log)
        drain(t, clock)
        #expect(log.delivered.map(\.correlationId) == [2, 3])
    }

    @Test func anAnswerIsAMessageAndCanBeLostOnTheWayBack() {
        let (t, clock, log) = make()
        produce(t, id: 1, to: 0, log: log)
        #expect(t.deliverNext() != nil) // the request
        #expect(log.delivered.count == 1 && log.completed.isEmpty)
        t.cut(0, SimulatedTransport.clientNode)
        #expect(t.deliverNext()?.hasPrefix("lost") == true) // the answer
        drain(t, clock)
        #expect(log.completed[1] == .failure(.timedOut(0)))
    }

    @Test func aRestartLosesWhatWasInFlight() {
        let (t, clock, log) = make()
        produce(t, id: 1, to: 0, log: log)
        fetch(t, id: 2, from: 0, to: 1, log: log)
        t.resetConnections(of: 0)
        drain(t, clock)
        #expect(log.delivered.isEmpty)
        #expect(log.completed[1] == .failure(.timedOut(0)))
        #expect(log.completed[2] == .failure(.timedOut(1)))
        #expect(t.statistics.lostToCrashes == 2)
        // The new run's messages get through.
        produce(t, id: 3, to: 0, log: log)
        drain(t, clock)
        #expect(log.delivered.map(\.correlationId) == [3])
    }

    @Test func aFollowerHasOneFetchInFlightPerLeader() {
        let (t, clock, log) = make()
        fetch(t, id: 1, from: 1, to: 0, log: log)
        fetch(t, id: 2, from: 1, to: 0, log: log) // refused: 1 still waits on 0
        fetch(t, id: 3, from: 1, to: 2, log: log) // another leader: sent
        fetch(t, id: 4, from: 2, to: 0, log: log) // another follower: sent
        #expect(log.completed[2] == .failure(.brokerUnavailable(0)))
        #expect(t.statistics.fetchesNotSent == 1)
        drain(t, clock)
        #expect(Set(log.delivered.map(\.correlationId)) == [1, 3, 4])
        fetch(t, id: 5, from: 1, to: 0, log: log) // answered: may fetch again
        drain(t, clock)
        #expect(log.delivered.last?.correlationId == 5)
        // A restart forgets the fetch in flight of the previous run.
        fetch(t, id: 6, from: 1, to: 0, log: log)
        t.resetConnections(of: 1)
        fetch(t, id: 7, from: 1, to: 0, log: log)
        #expect(log.completed[7] == nil)
    }

    @Test func randomLossAndTheQueueLimit() {
        var faults = SimulatedTransport.Faults.none
        faults.lossProbability = 1
        let (t, clock, log) = make(faults: faults)
        for i: Int32 in 0 ..< 5 { produce(t, id: i, to: 0, log: log) }
        drain(t, clock)
        #expect(log.delivered.isEmpty)
        #expect(log.completed.count == 5)
        #expect(t.statistics.lostAtRandom == 5)

        let (bounded, clock2, log2) = make(maxInFlight: 3)
        for i: Int32 in 0 ..< 4 { produce(bounded, id: i, to: 0, log: log2) }
        #expect(bounded.statistics.lostAtRandom == 1)
        drain(bounded, clock2)
        #expect(log2.delivered.map(\.correlationId) == [0, 1, 2])
        #expect(log2.completed[3] == .failure(.timedOut(0)))
    }

    @Test func aSeedIsASchedule() {
        var faults = SimulatedTransport.Faults()
        faults.maxDelayMs = 20
        faults.lossProbability = 0.1
        func order(_ seed: UInt64) -> [Int32] {
            let (t, clock, log) = make(seed: seed, faults: faults)
            for i: Int32 in 0 ..< 40 { produce(t, id: i, to: i % 3, log: log) }
            drain(t, clock)
            return log.delivered.map(\.correlationId)
        }
        #expect(order(5) == order(5))
        #expect(Set((6 ... 9).map(order)).count > 1)
    }

    @Test func theObserverSeesRequestsAndAnswers() {
        let (t, clock, log) = make()
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var items: [String] = []
        }
        let seen = Seen()
        t.observer = { from, to, envelope in
            let kind = if case .request = envelope { "request" } else { "response" }
            seen.lock.withLock { seen.items.append("\(kind) \(from)→\(to)") }
        }
        produce(t, id: 1, to: 2, log: log)
        drain(t, clock)
        #expect(seen.lock.withLock { seen.items } == ["request -1→2", "response 2→-1"])
    }
}
