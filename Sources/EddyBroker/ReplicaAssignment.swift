/// Kafka's rack-unaware replica placement (`AdminUtils.assignReplicasToBrokersRackUnaware`).
///
/// The first replica of partition p goes to broker `(p + startIndex) % n`, which spreads
/// leaders round-robin. Later replicas follow at a shift from the first one; the shift grows
/// by one after every n partitions, so the followers of one broker's partitions are spread over
/// the others too. With 5 brokers, 10 partitions, 3 replicas and both starts 0:
///
///     broker   0   1   2   3   4
///     first    p0  p1  p2  p3  p4
///              p5  p6  p7  p8  p9
///     second   p4  p0  p1  p2  p3
///              p8  p9  p5  p6  p7
///     third    p3  p4  p0  p1  p2
///              p7  p8  p9  p5  p6
///
/// Kafka picks both starts at random; eddy takes them as arguments so placement is reproducible.
public enum ReplicaAssignment {
    /// Replica lists for partitions 0..<partitions, in preference order.
    /// - Precondition: 1 <= replicationFactor <= brokers.count; brokers are distinct.
    public static func rackUnaware(partitions: Int, replicationFactor: Int, brokers: [Int32],
                                   startIndex: Int = 0, replicaShift: Int = 0) -> [[Int32]] {
        precondition(replicationFactor >= 1 && replicationFactor <= brokers.count, "replication factor out of range")
        let n = brokers.count
        var shift = replicaShift
        var out: [[Int32]] = []
        out.reserveCapacity(partitions)
        for p in 0 ..< partitions {
            if p > 0, p % n == 0 { shift += 1 }
            let first = (p + startIndex) % n
            var replicas = [brokers[first]]
            for j in 0 ..< replicationFactor - 1 {
                let offset = 1 + (shift + j) % (n - 1)
                replicas.append(brokers[(first + offset) % n])
            }
            out.append(replicas)
        }
        return out
    }
}
