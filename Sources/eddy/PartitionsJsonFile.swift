import ArgumentParser
import EddyProtocol
import Foundation

/// The JSON files Kafka's partition tools read (kafka-delete-records' `--offset-json-file`,
/// kafka-leader-election's `--path-to-json-file`): `{"partitions": [{"topic": "t",
/// "partition": 0, ...}], ...}`, each partition once.
enum PartitionsJsonFile {
    /// Each entry's partition and its other fields, in file order; a usage error naming `path`
    /// (read for `flag`) for an unreadable file, a `"version"` other than `version` (when one is
    /// expected and given), a missing or empty list, an entry without a topic or a partition (at
    /// least 0), or a partition listed twice.
    static func entries(_ path: String, flag: String, version: Int? = nil) throws -> [(TopicPartition, [String: Any])] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(flag) \(path)") }
        func bad(_ why: String) -> ValidationError { ValidationError("\(path): \(why)") }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["partitions"] as? [[String: Any]], !list.isEmpty else {
            throw bad("expected an object with a non-empty \"partitions\" array")
        }
        if let version, let given = root["version"], (given as? Int) != version {
            throw bad("unsupported version \(given) (expected \(version))")
        }
        var out: [(TopicPartition, [String: Any])] = []
        var seen = Set<TopicPartition>()
        for (i, e) in list.enumerated() {
            guard let topic = e["topic"] as? String, !topic.isEmpty, let p = e["partition"] as? Int, p >= 0, p <= Int(Int32.max) else {
                throw bad("entry \(i + 1) needs a \"topic\" and a \"partition\" (at least 0)")
            }
            let tp = TopicPartition(topic, Int32(p))
            guard seen.insert(tp).inserted else { throw bad("partition \(topic)-\(p) is listed more than once") }
            out.append((tp, e))
        }
        return out
    }
}
