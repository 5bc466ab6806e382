import EddyProtocol

/// Where one record goes, and why.
public enum PartitionChoice: Sendable, Equatable {
    /// The record named its partition.
    case explicit(Int32)
    /// `toPositive(murmur2(key)) % partitionCount`, as Kafka's Java client computes it.
    case keyed(Int32)
    /// The topic's current sticky partition (keyless record). Report the appended bytes with
    /// `Partitioner.recordAppended` so the partitioner knows when to move on.
    case sticky(Int32)

    public var partition: Int32 {
        switch self {
        case let .explicit(p), let .keyed(p), let .sticky(p): p
        }
    }
}

/// Kafka's built-in producer partitioner (`BuiltInPartitioner`, KIP-480 and KIP-794), for all
/// the topics of one producer.
///
/// Rules, in order:
/// 1. A record with an explicit partition goes there; it must be in 0..<partitionCount.
/// 2. A keyed record goes to `toPositive(murmur2(key)) % partitionCount`, counting every
///    partition whether or not it has a leader, so a key maps to the same partition in eddy as
///    in Kafka. With `ignoreKeys` (`partitioner.ignore.keys`) keys are not used.
/// 3. Any other record goes to the topic's sticky partition, so keyless records fill one batch
///    at a time. The sticky partition moves on once at least `batchSize` bytes (`batch.size`)
///    were appended to it and the caller reports that the partition's batch is ready (full or
///    closed), or once 2 × `batchSize` bytes were appended in any case. The next one is drawn
///    at random (64-bit draw modulo the count) from the available partitions (those with a
///    leader), or from all partitions when none is available; like Kafka, the draw may pick
///    the same partition again.
///    eddy does not weigh the draw by queue length (`partitioner.adaptive.partitioning.enable`).
///
/// A state machine with no I/O: the producer calls `partition(...)` for a record, appends it,
/// then calls `recordAppended(...)`. Not thread-safe: it belongs to one producer's accumulator.
public struct Partitioner: Sendable {
    /// Kafka's default `batch.size`.
    public static let defaultBatchSize = 16_384

    /// Bytes to append to a sticky partition before moving on (`batch.size`, at least 1).
    public let batchSize: Int
    /// `partitioner.ignore.keys`: place keyed records like keyless ones.
    public let ignoreKeys: Bool

    private var random: any RandomNumberGenerator & Sendable
    private var sticky: [String: StickyState] = [:]

    private struct StickyState: Sendable {
        var partition: Int32
        var producedBytes: Int
    }

    /// - Parameter random: source of the sticky draws; inject a seeded generator in tests.
    public init(batchSize: Int = Partitioner.defaultBatchSize, ignoreKeys: Bool = false,
                random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        // Kafka's producer also uses max(1, batch.size): batch.size=0 only disables batching.
        self.batchSize = max(1, batchSize)
        self.ignoreKeys = ignoreKeys
        self.random = random
    }

    /// Kafka's `BuiltInPartitioner.partitionForKey`.
    public static func partition(forKey key: [UInt8], partitionCount: Int) -> Int32 {
        precondition(partitionCount > 0, "partitionCount must be positive")
        return Int32(Murmur2.partition(forKey: key, partitions: partitionCount))
    }

    /// Chooses the partition of one record of `topic`.
    ///
    /// - Parameters:
    ///   - partitionCount: the topic's number of partitions.
    ///   - availablePartitions: partitions that currently have a leader (all when nil).
    public mutating func partition(topic: String, key: [UInt8]?, explicitPartition: Int32? = nil,
                                   partitionCount: Int, availablePartitions: [Int32]? = nil) throws(ClientError) -> PartitionChoice {
        guard partitionCount > 0 else { throw .noPartitions(topic: topic) }
        if let p = explicitPartition {
            guard p >= 0, Int(p) < partitionCount else {
                throw .invalidPartition(topic: topic, partition: p, partitionCount: partitionCount)
            }
            return .explicit(p)
        }
        if let key, !ignoreKeys {
            return .keyed(Partitioner.partition(forKey: key, partitionCount: partitionCount))
        }
        if let s = sticky[topic], Int(s.partition) < partitionCount {
            return .sticky(s.partition)
        }
        let p = nextPartition(partitionCount: partitionCount, available: availablePartitions)
        sticky[topic] = StickyState(partition: p, producedBytes: 0)
        return .sticky(p)
    }

    /// Reports that a record placed by `choice` was appended, taking `bytes`. Only sticky
    /// choices that are still current count; others are ignored.
    ///
    /// - Parameter batchIsReady: the partition's open batch is full or closed, so moving on now
    ///   does not leave a small batch behind (Kafka's `enableSwitch`).
    public mutating func recordAppended(topic: String, choice: PartitionChoice, bytes: Int, batchIsReady: Bool,
                                        partitionCount: Int, availablePartitions: [Int32]? = nil) {
        guard case let .sticky(p) = choice, var s = sticky[topic], s.partition == p else { return }
        s.producedBytes += max(0, bytes)
        if (s.producedBytes >= batchSize && batchIsReady) || s.producedBytes >= 2 * batchSize, partitionCount > 0 {
            s = StickyState(partition: nextPartition(partitionCount: partitionCount, available: availablePartitions),
                            producedBytes: 0)
        }
        sticky[topic] = s
    }

    /// The topic's current sticky partition, if one was chosen.
    public func stickyPartition(topic: String) -> Int32? { sticky[topic]?.partition }

    /// Kafka's `nextPartition` without load stats: `random % available.count` indexes the
    /// available partitions (in the order given), or `random % partitionCount` when none is.
    private mutating func nextPartition(partitionCount: Int, available: [Int32]?) -> Int32 {
        let draw = random.next()
        let candidates = (available ?? []).filter { $0 >= 0 && Int($0) < partitionCount }
        if candidates.isEmpty {
            return Int32(draw % UInt64(partitionCount))
        }
        return candidates[Int(draw % UInt64(candidates.count))]
    }
}
