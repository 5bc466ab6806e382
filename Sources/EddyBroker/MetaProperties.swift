import Foundation

/// `meta.properties`: the identity of a data directory, in Kafka's Java-properties format.
///
///     #eddy data directory identity; do not edit
///     version=1
///     cluster.id=<22-character base64 Uuid>
///     node.id=0
///
/// Written once, atomically, when the directory is first initialised, before anything else in
/// it; an existing file is never rewritten. Lines starting with '#' or '!' and blank lines are
/// ignored; keys and values are trimmed.
public struct MetaProperties: Sendable, Equatable {
    public static let fileName = "meta.properties"
    public static let currentVersion = 1

    public var version: Int
    public var clusterId: String
    public var nodeId: Int32

    public init(version: Int = MetaProperties.currentVersion, clusterId: String, nodeId: Int32) {
        self.version = version
        self.clusterId = clusterId
        self.nodeId = nodeId
    }

    public var text: String {
        "#eddy data directory identity; do not edit\nversion=\(version)\ncluster.id=\(clusterId)\nnode.id=\(nodeId)\n"
    }

    /// Parses the file's text.
    /// - Throws: `.invalidDataDirectory` for a missing or malformed key or an unknown version.
    public init(parsing text: String) throws(BrokerError) {
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw .invalidDataDirectory("\(MetaProperties.fileName): malformed line '\(line)'")
            }
            values[line[..<eq].trimmingCharacters(in: .whitespaces)] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        guard let v = values["version"], let version = Int(v) else {
            throw .invalidDataDirectory("\(MetaProperties.fileName): missing or invalid version")
        }
        guard version == MetaProperties.currentVersion else {
            throw .invalidDataDirectory("\(MetaProperties.fileName): unsupported version \(version)")
        }
        guard let clusterId = values["cluster.id"], !clusterId.isEmpty else {
            throw .invalidDataDirectory("\(MetaProperties.fileName): missing cluster.id")
        }
        guard let n = values["node.id"], let nodeId = Int32(n), nodeId >= 0 else {
            throw .invalidDataDirectory("\(MetaProperties.fileName): missing or invalid node.id")
        }
        self.init(version: version, clusterId: clusterId, nodeId: nodeId)
    }
}

extension MetaProperties {
    /// Reads `<directory>/meta.properties`, or nil if it does not exist.
    static func read(directory: String) throws(BrokerError) -> MetaProperties? {
        let path = Disk.join(directory, fileName)
        guard Disk.exists(path) else { return nil }
        return try MetaProperties(parsing: String(decoding: try Disk.readAll(path), as: UTF8.self))
    }

    func write(directory: String) throws(BrokerError) {
        try Disk.writeAtomically(Disk.join(directory, MetaProperties.fileName), Array(text.utf8))
    }
}
