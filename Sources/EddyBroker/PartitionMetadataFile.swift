import Foundation

/// `partition.metadata` in a partition directory: ties the directory to one incarnation of
/// its topic (Kafka's `PartitionMetadataFile`, KIP-516).
///
///     version: 0
///     topic_id: <22-character base64 Uuid>
///
/// A topic deleted and re-created under the same name gets a new ID, so a directory left
/// behind by an interrupted deletion is recognised as stale instead of being served as the new
/// topic's data.
enum PartitionMetadataFile {
    static let fileName = "partition.metadata"

    static func text(topicId: Uuid) -> String { "version: 0\ntopic_id: \(topicId)\n" }

    /// The topic ID in `text`, or nil if it is not a version-0 partition.metadata.
    static func parse(_ text: String) -> Uuid? {
        var version: String?, id: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "version" { version = parts[1] }
            if parts[0] == "topic_id" { id = parts[1] }
        }
        guard version == "0", let id else { return nil }
        return Uuid(id)
    }

    /// The topic ID recorded in `directory`, or nil if there is no readable file.
    static func read(directory: String) -> Uuid? {
        guard let bytes = try? Disk.readAll(Disk.join(directory, fileName)) else { return nil }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Writes the file atomically (temporary file, fsync, rename). Writers take turns: a log
    /// may be prepared without the cluster lock while the lock's holder applies the same topic.
    /// - Parameter ifAbsent: leave an existing file alone (checked in the same turn).
    static func write(directory: String, topicId: Uuid, ifAbsent: Bool = false) throws(BrokerError) {
        writing.lock()
        defer { writing.unlock() }
        let path = Disk.join(directory, fileName)
        if ifAbsent, Disk.exists(path) { return }
        try Disk.writeAtomically(path, Array(text(topicId: topicId).utf8))
    }

    private static let writing = NSLock()
}
