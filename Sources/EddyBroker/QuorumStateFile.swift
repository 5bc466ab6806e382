import EddyRaft
import Foundation

/// `quorum-state`: a controller's election state (`ElectionState`), in Kafka's format (its
/// `FileQuorumStateStore`), beside the metadata log it belongs to. One line of JSON:
///
///     {"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":0},{"voterId":1},{"voterId":2}],"data_version":0}
///
/// - `leaderEpoch`: the newest epoch this node took part in; `leaderId` its leader, -1 if none
///   known; `votedId` the candidate it voted for in it, -1 if none;
/// - `currentVoters`: the static voter set (`controller.quorum.voters`) it was written with;
/// - `clusterId` and `appliedOffset` are written as Kafka does (empty, 0) and ignored on read;
/// - `data_version` 0 is written; version 1 (Kafka 3.8+, with `votedDirectoryId` and no
///   `currentVoters`) is read as well, so a file Kafka wrote is understood.
///
/// Written atomically (a temporary file, fsync, rename, fsync of the directory) before the
/// node acts on the state it records: a vote is durable before it is granted. A missing file is
/// a node that never took part in an election; an unreadable one is an error, not a fresh start
/// (which could vote twice in an epoch).
public enum QuorumStateFile {
    public static let fileName = "quorum-state"

    /// What the file holds.
    public struct Contents: Sendable, Equatable {
        public var election: ElectionState
        /// The voters it names (empty in a version 1 file).
        public var voters: [Int32]

        public init(election: ElectionState, voters: [Int32]) {
            self.election = election
            self.voters = voters
        }
    }

    public static func encode(_ contents: Contents) -> [UInt8] {
        let voters = contents.voters.sorted().map { "{\"voterId\":\($0)}" }.joined(separator: ",")
        let e = contents.election
        let text = "{\"clusterId\":\"\",\"leaderId\":\(e.leaderId ?? -1),\"leaderEpoch\":\(e.epoch),\"votedId\":\(e.votedId ?? -1),"
            + "\"appliedOffset\":0,\"currentVoters\":[\(voters)],\"data_version\":0}"
        return Array(text.utf8)
    }

    /// - Throws: `.corruptMetadata` naming what is wrong.
    public static func decode(_ bytes: [UInt8]) throws(BrokerError) -> Contents {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw BrokerError.corruptMetadata("\(fileName): not a JSON object")
            }
            object = parsed
        } catch let error as BrokerError {
            throw error
        } catch {
            throw .corruptMetadata("\(fileName): not JSON (\(error.localizedDescription))")
        }
        func int(_ key: String) throws(BrokerError) -> Int64 {
            guard let n = object[key] as? NSNumber, let value = Int64(exactly: n.doubleValue) else {
                throw .corruptMetadata("\(fileName): '\(key)' is missing or not an integer")
            }
            return value
        }
        let version = try int("data_version")
        guard version == 0 || version == 1 else { throw .corruptMetadata("\(fileName): unknown data_version \(version)") }
        let epoch = try int("leaderEpoch"), leader = try int("leaderId"), voted = try int("votedId")
        guard let epoch32 = Int32(exactly: epoch), epoch32 >= 0, let leader32 = Int32(exactly: leader), let voted32 = Int32(exactly: voted) else {
            throw .corruptMetadata("\(fileName): leaderEpoch, leaderId or votedId out of range")
        }
        var voters: [Int32] = []
        if let list = object["currentVoters"] as? [[String: Any]] {
            for entry in list {
                guard let n = entry["voterId"] as? NSNumber, let id = Int32(exactly: n.doubleValue) else {
                    throw .corruptMetadata("\(fileName): a currentVoters entry without an integer voterId")
                }
                voters.append(id)
            }
        }
        return Contents(election: ElectionState(epoch: epoch32, leaderId: leader32 < 0 ? nil : leader32, votedId: voted32 < 0 ? nil : voted32),
                        voters: voters.sorted())
    }

    /// The file in `directory`, or nil if there is none.
    public static func read(directory: String) throws(BrokerError) -> Contents? {
        let path = Disk.join(directory, fileName)
        guard Disk.exists(path) else { return nil }
        return try decode(Disk.readAll(path))
    }

    public static func write(_ contents: Contents, directory: String) throws(BrokerError) {
        let path = Disk.join(directory, fileName)
        try Disk.writeAtomically(path, encode(contents), temporaryPath: path + ".tmp")
    }
}
