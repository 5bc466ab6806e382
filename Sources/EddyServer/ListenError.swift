#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A listener that could not bind: where, and the system's reason in its own words
/// ("Address already in use"), not the socket call's error dump.
public struct ListenError: Error, CustomStringConvertible, Sendable {
    public let host: String
    public let port: Int
    /// The listener's name (`PLAINTEXT`) and broker, when a Kafka listener failed.
    public let listener: String?
    public let node: Int32?
    public let reason: String

    init(host: String, port: Int, listener: String? = nil, node: Int32? = nil, underlying error: any Error) {
        self.host = host
        self.port = port
        self.listener = listener
        self.node = node
        if let io = error as? IOError {
            reason = String(cString: strerror(io.errnoCode))
        } else {
            reason = "\(error)"
        }
    }

    /// `PLAINTEXT://127.0.0.1:9093 (broker 1)`, or `127.0.0.1:9090`.
    public var address: String {
        (listener.map { $0 + "://" } ?? "") + "\(host):\(port)" + (node.map { " (broker \($0))" } ?? "")
    }

    public var description: String { "\(address): \(reason)" }
}
