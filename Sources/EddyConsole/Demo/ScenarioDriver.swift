import EddyClient
import EddyProtocol
import Foundation

/// A running training scenario: what the console's caption line says now. The guided lessons
/// (`DemoScenarioRunner`) advance as the user acts; the delivery experiments
/// (`IdempotenceDemo`, `ExactlyOnceDemo`) run by themselves and count what they show.
public protocol ScenarioDriver: Sendable {
    var caption: String { get }
    func start()
    func stop() async
}

extension DemoScenarioRunner: ScenarioDriver {}

/// `eddy demo --scenario NAME`.
public enum TrainingScenario: String, CaseIterable, Sendable {
    case failover, rebalance, replay, lag, idempotence
    case exactlyOnce = "exactly-once"
    case keys
    case controllerFailover = "controller-failover"
    case acks

    /// The guided lesson this is, nil for the delivery experiments.
    public var guided: DemoScenario.Name? { DemoScenario.Name(rawValue: rawValue) }

    /// The scenario's driver over the demo cluster reached through `transport`.
    /// `controllerHooks`: the quorum and its nodes, which controller-failover needs;
    /// `acksHooks`: the follower delay and the broker kill the acks lesson needs.
    public func driver(transport: any Transport, bootstrapNodes: [Int32], admin: Admin, workload: DemoWorkload?,
                       brokers: @escaping @Sendable () -> [BrokerInsight], controllerHooks: ControllerFailoverDemo.Hooks? = nil,
                       acksHooks: AcksDemo.Hooks? = nil) -> any ScenarioDriver {
        switch self {
        case .acks:
            let none = AcksDemo.Hooks(setFollowerInterval: { _, _ in }, kill: { _ in "" }, start: { _ in "" })
            return AcksDemo(transport: transport, bootstrapNodes: bootstrapNodes, hooks: acksHooks ?? none)
        case .controllerFailover:
            let noQuorum = ControllerFailoverDemo.Hooks(quorum: { nil }, events: { [] }, kill: { _ in "" }, start: { _ in "" })
            return ControllerFailoverDemo(hooks: controllerHooks ?? noQuorum, admin: admin)
        case .idempotence: return IdempotenceDemo(transport: transport, bootstrapNodes: bootstrapNodes)
        case .exactlyOnce: return ExactlyOnceDemo(transport: transport, bootstrapNodes: bootstrapNodes)
        case .keys: return KeysDemo(transport: transport, bootstrapNodes: bootstrapNodes)
        case .failover, .rebalance, .replay, .lag:
            return DemoScenarioRunner(scenario: DemoScenario(guided ?? .failover, keys: .console), admin: admin, workload: workload,
                                      brokers: brokers)
        }
    }
}

/// The values read from a topic so far and how often each came: what a downstream consumer
/// would count as duplicates. Pure.
public struct ValueTally: Sendable, Equatable {
    public private(set) var records = 0
    private var seen: [String: Int] = [:]

    public init() {}

    public mutating func add(_ value: String) {
        records += 1
        seen[value, default: 0] += 1
    }

    /// Distinct values.
    public var distinct: Int { seen.count }
    /// Records beyond the first of their value.
    public var duplicates: Int { records - seen.count }
}

/// A transport that loses some Produce acknowledgements: every `every`-th Produce request
/// reaches the broker, which appends it, but its answer is replaced by a lost connection, so
/// the producer cannot tell whether it was written and sends it again. (The idempotence
/// lesson: without sequence numbers that retry is a duplicate.)
public final class LossyTransport: Transport, @unchecked Sendable {
    let inner: any Transport
    let every: Int
    private let lock = NSLock()
    private var produces = 0
    private var lostCount = 0

    public init(_ inner: any Transport, losingEvery every: Int) {
        self.inner = inner
        self.every = max(1, every)
    }

    /// Acknowledgements lost so far.
    public var lost: Int { lock.withLock { lostCount } }

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard case .produce = request else { return inner.send(request, to: node, context: context, completion: completion) }
        let lose: Bool = lock.withLock {
            produces += 1
            guard produces % every == 0 else { return false }
            lostCount += 1
            return true
        }
        guard lose else { return inner.send(request, to: node, context: context, completion: completion) }
        inner.send(request, to: node, context: context) { _ in completion(.failure(.disconnected(node))) }
    }

    public var deliversOnCallingThread: Bool { inner.deliversOnCallingThread }

    public func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]? { inner.advertisedVersions(of: node) }

    public func requestTimedOut(to node: Int32) { inner.requestTimedOut(to: node) }
}
