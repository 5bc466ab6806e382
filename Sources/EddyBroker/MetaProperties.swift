import Foundation

/// `meta.properties`: the identity of a data directory, in Kafka's Java-properties format.
///
///     #eddy data directory identity; do not edit
///     version=1
///     cluster.id=<22-character base64 Uuid>
///     node.id=0
///     controller.quorum.voters=0,1,2          the controller quorum's voters (node ids)
///     process.roles=broker,controller         combined mode: voters are brokers too
///
/// The last two describe the whole in-process cluster rather than one node (eddy keeps every
/// node in one data directory). A file without them is from before the quorum: one separate
/// controller, `ControllerQuorumOptions.firstSeparateId`, in `__cluster_metadata-0`.
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
    /// `controller.quorum.voters` (nil: the file predates the quorum).
    public var voters: [Int32]?
    /// `process.roles=broker,controller`: the voters are brokers (combined mode).
    public var combined: Bool

    public init(version: Int = MetaProperties.currentVersion, clusterId: String, nodeId: Int32, voters: [Int32]? = nil, combined: Bool = false) {
        self.version = version
        self.clusterId = clusterId
        self.nodeId = nodeId
        self.voters = voters
        self.combined = combined
    }

    public var text: String {
        var text = "#eddy data directory identity; do not edit\nversion=\(version)\ncluster.id=\(clusterId)\nnode.id=\(nodeId)\n"
        if let voters {
            text += "controller.quorum.voters=\(voters.map(String.init).joined(separator: ","))\n"
            text += "process.roles=\(combined ? "broker,controller" : "controller")\n"
        }
        return text
    }

    /// The quorum this file describes (`ControllerQuorumOptions.legacy` for one without).
    public var quorum: ControllerQuorumOptions {
        guard let voters else { return .legacy }
        return ControllerQuorumOptions(voterIds: voters, combined: combined)
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
        var voters: [Int32]?
        if let text = values["controller.quorum.voters"] {
            let ids = text.split(separator: ",").map { Int32($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.allSatisfy({ ($0 ?? -1) >= 0 }), Set(ids).count == ids.count else {
                throw .invalidDataDirectory("\(MetaProperties.fileName): invalid controller.quorum.voters '\(text)'")
            }
            voters = ids.map { $0! }
        }
        let roles = values["process.roles"].map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        if let roles, roles != ["controller"], roles != ["broker", "controller"] {
            throw .invalidDataDirectory("\(MetaProperties.fileName): invalid process.roles '\(values["process.roles"]!)' (expected controller or broker,controller)")
        }
        self.init(version: version, clusterId: clusterId, nodeId: nodeId, voters: voters, combined: roles?.contains("broker") ?? false)
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
