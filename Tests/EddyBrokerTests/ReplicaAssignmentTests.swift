import Testing
@testable import EddyBroker

@Suite struct ReplicaAssignmentTests {
    @Test func matchesKafkasDocumentedExample() {
        // The table in Kafka's AdminUtils documentation (5 brokers, 10 partitions, 3 replicas).
        let a = ReplicaAssignment.rackUnaware(partitions: 10, replicationFactor: 3, brokers: [0, 1, 2, 3, 4])
        #expect(a == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
                      [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2]])
    }

    @Test func spreadsLeadersAndNeverRepeatsABrokerInAPartition() {
        for n in 1 ... 6 {
            let brokers = (0 ..< n).map { Int32($0 * 10) }
            for rf in 1 ... n {
                for start in 0 ..< n {
                    let a = ReplicaAssignment.rackUnaware(partitions: 3 * n, replicationFactor: rf, brokers: brokers,
                                                          startIndex: start, replicaShift: start)
                    for replicas in a { #expect(Set(replicas).count == rf && replicas.allSatisfy(brokers.contains)) }
                    var leaders: [Int32: Int] = [:]
                    for replicas in a { leaders[replicas[0], default: 0] += 1 }
                    #expect(leaders.count == n && leaders.values.allSatisfy { $0 == 3 }, "n=\(n) rf=\(rf) start=\(start)")
                }
            }
        }
    }

    @Test func singleBrokerGetsEverything() {
        #expect(ReplicaAssignment.rackUnaware(partitions: 3, replicationFactor: 1, brokers: [0]) == [[0], [0], [0]])
    }
}
