import EddyProtocol
import EddyStorage
import Synchronization

/// How a cluster's controller quorum is laid out: Kafka's `process.roles` and
/// `controller.quorum.voters`.
///
/// - Combined mode (`process.roles=broker,controller`): the voters are brokers `0 ..< count`,
///   and a voter runs, stops and crashes with its broker, as a small KRaft cluster runs.
/// - Separate controllers (`process.roles=controller`): voters are nodes of their own, numbered
///   from `firstSeparateId`; stopping or killing a broker leaves them running.
///
/// Where each voter keeps its replica of the metadata log and its `quorum-state`: with one
/// voter `<data-dir>/__cluster_metadata-0` (as before the quorum), with more
/// `<data-dir>/controller-<id>/__cluster_metadata-0`.
public struct ControllerQuorumOptions: Sendable, Equatable {
    /// The voters' node ids, ascending.
    public var voterIds: [Int32]
    public var combined: Bool
    /// `controller.quorum.*` timeouts.
    public var settings = MetadataQuorum.Settings()

    /// The first separate controller's node id (the next ones follow).
    public static let firstSeparateId: Int32 = 3000
    /// Voter counts `eddy cluster init --controllers` accepts.
    public static let allowedCounts = [1, 3, 5]

    public init(voterIds: [Int32], combined: Bool) {
        self.voterIds = voterIds.sorted()
        self.combined = combined
    }

    /// `count` voters, combined with brokers `0 ..< count` or separate.
    public init(count: Int, combined: Bool) {
        let first = combined ? 0 : Self.firstSeparateId
        self.init(voterIds: (0 ..< Int32(max(1, count))).map { first + $0 }, combined: combined)
    }

    /// One separate controller: the default of an in-process cluster (its tests), and the
    /// layout of a data directory from before the quorum.
    public static let legacy = ControllerQuorumOptions(count: 1, combined: false)

    /// Voter `id`'s metadata log directory in `dataDirectory`.
    func directory(of id: Int32, in dataDirectory: String) -> String {
        voterIds.count == 1 ? Disk.join(dataDirectory, MetadataLog.directoryName)
            : Disk.join(Disk.join(dataDirectory, "controller-\(id)"), MetadataLog.directoryName)
    }
}

/// The cluster's side of the controller quorum (`MetadataQuorum`): the metadata its brokers
/// applied (`image`, published only once the quorum committed it) and what the active
/// controller decides from (`latestImage`: everything it wrote, committed or not).
///
/// Guarded by the cluster lock, except `publishedImage`, which any thread reads.
final class ClusterMetadata {
    let quorum: MetadataQuorum
    /// The committed metadata the brokers applied (`publish`).
    private(set) var image = MetadataImage()
    private let imageCopy = Mutex(MetadataImage())
    /// The newest write made through this cluster.
    var lastWritten: MetadataQuorum.Written?
    /// Every write made through this cluster, counted (`Cluster.withLockThenCallbacks` tells
    /// whether its body wrote).
    private(set) var writes = 0

    init(quorum: MetadataQuorum) {
        self.quorum = quorum
    }

    /// `image`, readable from any thread without the cluster lock.
    var publishedImage: MetadataImage { imageCopy.withLock { $0 } }

    /// What the active controller decides from; without one, the committed image (a decision
    /// made on it fails to write with NOT_CONTROLLER).
    var latestImage: MetadataImage { (try? quorum.latestImage()) ?? image }

    /// The quorum's committed image.
    var committedImage: MetadataImage { quorum.committedImage }

    /// Appends `records` through the active controller (see `MetadataQuorum.write`).
    @discardableResult
    func write(_ records: [MetadataRecord]) throws(BrokerError) -> MetadataQuorum.Written {
        let written = try quorum.write(records)
        lastWritten = written
        writes += 1
        return written
    }

    /// Whether this cluster wrote records it has not published.
    var hasUnpublishedWrites: Bool { (lastWritten?.offsets.upperBound ?? -1) > image.offset }

    /// Makes `committed` the brokers' image (only ever forwards).
    func publish(_ committed: MetadataImage) {
        guard committed.offset > image.offset else { return }
        image = committed
        imageCopy.withLock { $0 = committed }
    }

    /// The active controller's replica of the metadata log (tests inject failures into it).
    var leaderLog: MetadataLog? { quorum.activeController.flatMap { quorum.replicaLog($0) } }
}
