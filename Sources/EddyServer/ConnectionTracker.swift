import NIOCore
import Synchronization

/// The server's open connections, so that shutdown can drain and close them, and whether its
/// event loops still run.
final class ConnectionTracker: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let loopsRunning = Mutex(true)

    /// Runs `task` on `loop` unless the event loops are stopping: an answer that comes back
    /// after that (a request that waited past the drain at shutdown, answered as the cluster
    /// shuts down) is dropped, its connection being closed already.
    func execute(on loop: any EventLoop, _ task: @escaping @Sendable () -> Void) {
        loopsRunning.withLock { running in if running { loop.execute(task) } }
    }

    /// From now on `execute` drops its tasks (before the event loops shut down).
    func stopLoops() {
        loopsRunning.withLock { $0 = false }
    }

    func opened(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
    }

    func closed(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var open: [any Channel] { channels.withLock { Array($0.values) } }
}
