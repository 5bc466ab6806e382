import Foundation

/// A broker's network address, as `--bootstrap-server` and Metadata give it.
public struct BrokerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses Kafka's `bootstrap.servers` form: comma-separated HOST:PORT, IPv6 hosts in
    /// brackets. nil if any entry is malformed.
    public static func list(_ text: String) -> [BrokerAddress]? {
        let entries = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !entries.isEmpty else { return nil }
        var out: [BrokerAddress] = []
        for e in entries {
            guard let colon = e.lastIndex(of: ":") else { return nil }
            var host = String(e[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, let port = Int(e[e.index(after: colon)...]), (1 ... 65535).contains(port) else { return nil }
            out.append(BrokerAddress(host: host, port: port))
        }
        return out
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
