import NIOCore
import Synchronization

/// The server's open connections, so that shutdown can drain and close them.
final class ConnectionTracker: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func opened(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
    }

    func closed(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var open: [any Channel] { channels.withLock { Array($0.values) } }
}
