@testable import EddyBroker
import EddyRaft
import Foundation
import Testing

@Suite struct QuorumStateFileTests {
    @Test func itIsWrittenInKafkasFormatAndReadBack() throws {
        let contents = QuorumStateFile.Contents(election: ElectionState(epoch: 5, leaderId: 1, votedId: 2), voters: [2, 0, 1])
        let text = String(decoding: QuorumStateFile.encode(contents), as: UTF8.self)
        #expect(text == #"{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":2,"appliedOffset":0,"currentVoters":[{"voterId":0},{"voterId":1},{"voterId":2}],"data_version":0}"#)
        var expected = contents
        expected.voters = [0, 1, 2]
        #expect(try QuorumStateFile.decode(QuorumStateFile.encode(contents)) == expected)
        let none = QuorumStateFile.Contents(election: ElectionState(epoch: 0), voters: [3])
        #expect(try QuorumStateFile.decode(QuorumStateFile.encode(none)) == none)
    }

    /// A file Kafka 3.8+ wrote (data_version 1, with a voted directory id and no voters).
    @Test func aVersionOneFileFromKafkaIsRead() throws {
        let text = #"{"leaderId":-1,"leaderEpoch":12,"votedId":3,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1}"#
        let contents = try QuorumStateFile.decode(Array(text.utf8))
        #expect(contents.election == ElectionState(epoch: 12, leaderId: nil, votedId: 3) && contents.voters.isEmpty)
    }

    @Test func aDamagedFileIsAnErrorNotAFreshStart() {
        for text in ["", "{", "[]", #"{"leaderId":1,"leaderEpoch":5,"data_version":0}"#,
                     #"{"leaderId":1,"leaderEpoch":5,"votedId":-1,"data_version":7}"#,
                     #"{"leaderId":1,"leaderEpoch":"5","votedId":-1,"data_version":0}"#,
                     #"{"leaderId":1,"leaderEpoch":99999999999,"votedId":-1,"data_version":0}"#] {
            #expect(throws: BrokerError.self, "\(text)") { try QuorumStateFile.decode(Array(text.utf8)) }
        }
    }

    @Test func writeReplacesTheFileAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quorum-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try QuorumStateFile.read(directory: dir) == nil)
        for epoch: Int32 in 1 ... 3 {
            let contents = QuorumStateFile.Contents(election: ElectionState(epoch: epoch, leaderId: nil, votedId: epoch), voters: [0, 1, 2])
            try QuorumStateFile.write(contents, directory: dir)
            #expect(try QuorumStateFile.read(directory: dir) == contents)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [QuorumStateFile.fileName])
    }
}
