import EddyProtocol
@testable import EddyStorage
import Testing

/// The cleaner-offset-checkpoint file format.
@Suite struct CleanerCheckpointTests {
    @Test func encodesKafkasFormatSorted() {
        let text = CleanerOffsetCheckpoint.encode([TopicPartition("users", 3): 27, TopicPartition("orders", 0): 1500,
                                                   TopicPartition("orders", 10): 0])
        #expect(text == "0\n3\norders 0 1500\norders 10 0\nusers 3 27\n")
        #expect(CleanerOffsetCheckpoint.encode([:]) == "0\n0\n")
    }

    @Test func roundTrips() throws {
        let m = [TopicPartition("a.b_c-d", 0): Int64.max, TopicPartition("x", Int32.max): 0]
        #expect(try CleanerOffsetCheckpoint.decode(CleanerOffsetCheckpoint.encode(m)) == m)
        #expect(try CleanerOffsetCheckpoint.decode("") == [:])
        #expect(try CleanerOffsetCheckpoint.decode("0\n1\nt  2\t5\r\n") == [TopicPartition("t", 2): 5])
    }

    @Test func rejectsMalformedFiles() {
        for bad in ["1\n0\n", "x\n", "0\n", "0\n2\nt 0 1\n", "0\n1\nt 0 1\nu 0 2\n", "0\n1\nt 0\n", "0\n1\nt x 1\n",
                    "0\n1\nt 0 -1\n", "0\n1\nt -1 1\n", "0\n-1\n", "0\n1\nt 0 1 extra\n", "0\n2\nt 0 1\nt 0 2\n"] {
            #expect(throws: LogCleanerError.self, "\(bad.debugDescription)") { try CleanerOffsetCheckpoint.decode(bad) }
        }
    }
}
