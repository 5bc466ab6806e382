import EddyClient
import EddyProtocol

/// What a key asks the app to do. Data, not behaviour: `ConsoleState.handle` returns effects
/// and `ConsoleApp` carries them out (through Admin, a producer, a consumer or `DemoControls`),
/// feeding each result back as an `EffectOutcome`.
public enum ConsoleEffect: Equatable, Sendable {
    case quit
    /// Load a theme by name or path and switch to it.
    case switchTheme(String)
    /// Plan an offset reset for the preview (answered by `EffectOutcome.resetPreview`).
    case previewReset(ResetRequest)
    /// Commit a previewed reset. With `replay`, the group's in-process consumers are paused
    /// around it (`DemoControls.withGroupPaused`) and the plan is made again once they left.
    case executeReset(ResetRequest, plan: OffsetResetPlan, replay: Bool)
    case produce(TestRecord)
    case createTopic(Admin.NewTopic)
    case demo(DemoCommand)
    /// Read a page of records (answered by `EffectOutcome.messages`).
    case loadMessages(MessagesQuery)
    /// Take a new sample now rather than at the next refresh.
    case refresh
    /// Repaint the whole screen (Ctrl-L).
    case redraw
    /// Leave this cluster for the named one of the clusters file (`:cluster NAME`): the
    /// console ends with `ConsoleExit.switchCluster` and its caller opens it on that one.
    case switchCluster(String)
    /// Abort a transaction from the Transactions view: an Ongoing one through its coordinator
    /// (`Admin.forceTerminateTransaction`), a hanging one with an ABORT marker in its partition
    /// (`Admin.abortTransaction`).
    case abortTransaction(TransactionSnapshot)
}

/// A demo or broker control (`DemoControls`).
public enum DemoCommand: Hashable, Sendable {
    case stopBroker(Int32)
    case killBroker(Int32)
    case startBroker(Int32)
    /// A controller-only node (separate mode).
    case stopController(Int32)
    case killController(Int32)
    case startController(Int32)
    case setPaused(worker: String, paused: Bool)
    case setRate(producer: String, recordsPerSecond: Double)
    case addMember(group: String)
    case removeMember(group: String)
}

extension DemoCommand {
    public enum NodeAction: Sendable { case stop, kill, start }

    /// Stopping, killing or starting node `id`: a broker (in combined mode with its controller),
    /// or a controller-only node.
    public static func node(_ action: NodeAction, _ id: Int32, role: BrokerSnapshot.Role) -> DemoCommand {
        switch (action, role) {
        case (.stop, .broker): .stopBroker(id)
        case (.kill, .broker): .killBroker(id)
        case (.start, .broker): .startBroker(id)
        case (.stop, .controller): .stopController(id)
        case (.kill, .controller): .killController(id)
        case (.start, .controller): .startController(id)
        }
    }
}

/// A reset as the dialog asks for it: Kafka's `--reset-offsets` options.
public struct ResetRequest: Equatable, Sendable {
    public var group: String
    public var scope: OffsetResetScope
    public var strategy: OffsetResetStrategy

    public init(group: String, scope: OffsetResetScope, strategy: OffsetResetStrategy) {
        self.group = group
        self.scope = scope
        self.strategy = strategy
    }
}

/// A test record from the produce dialog.
public struct TestRecord: Equatable, Sendable {
    public var topic: String
    /// nil: the default partitioner chooses (by key hash, or sticky without a key).
    public var partition: Int32?
    public var key: String?
    public var value: String
    public var headers: [RecordHeader]

    public init(topic: String, partition: Int32? = nil, key: String? = nil, value: String, headers: [RecordHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Where a page of the Messages view starts.
public enum MessagesStart: Hashable, Sendable {
    /// The first `limit` records from the log start.
    case earliest
    /// The last `limit` records below the high watermark.
    case latest
    case offset(Int64)
    /// The first record whose timestamp is >= this instant (ms since the epoch).
    case timestamp(Int64)
    /// Like `timestamp`, `milliseconds` before the time the page is loaded.
    case ago(milliseconds: Int64)
}

/// A page of records to read from one partition.
public struct MessagesQuery: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var start: MessagesStart
    public var limit: Int

    public init(topicPartition: TopicPartition, start: MessagesStart, limit: Int = MessagesQuery.defaultLimit) {
        self.topicPartition = topicPartition
        self.start = start
        self.limit = max(1, limit)
    }

    public static let defaultLimit = 100
}

/// The transaction a record belongs to, as the log tells (`PartitionTransactionLayout`).
public struct MessageTransaction: Hashable, Sendable {
    public var producerId: Int64
    public var fate: PartitionTransactionLayout.Fate

    public init(producerId: Int64, fate: PartitionTransactionLayout.Fate) {
        self.producerId = producerId
        self.fate = fate
    }
}

/// One record as the Messages view shows it, or one transaction marker (`marker` set, no key
/// or value).
public struct MessageRecord: Hashable, Sendable {
    public var offset: Int64
    public var timestamp: Int64
    public var isLogAppendTime: Bool
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    /// A COMMIT or ABORT marker's row.
    public var marker: PartitionTransactionLayout.Marker?
    /// A transactional record's transaction; nil for other records (and when the log could
    /// not be read for it).
    public var transaction: MessageTransaction?

    public init(offset: Int64, timestamp: Int64, isLogAppendTime: Bool = false, key: [UInt8]?, value: [UInt8]?,
                headers: [RecordHeader] = [], transaction: MessageTransaction? = nil) {
        self.transaction = transaction
        self.offset = offset
        self.timestamp = timestamp
        self.isLogAppendTime = isLogAppendTime
        self.key = key
        self.value = value
        self.headers = headers
    }
}

extension MessageRecord {
    /// A transaction marker's row.
    public init(marker: PartitionTransactionLayout.Marker) {
        self.init(offset: marker.offset, timestamp: marker.timestamp, key: nil, value: nil)
        self.marker = marker
    }

    /// Records of a transaction that was aborted: read_committed consumers never see them.
    public var isAborted: Bool { transaction?.fate == .aborted }
}

/// The records a `MessagesQuery` read, with the partition's bounds at the time.
public struct MessagesPage: Hashable, Sendable {
    public var query: MessagesQuery
    /// In offset order.
    public var records: [MessageRecord]
    public var logStartOffset: Int64
    public var highWatermark: Int64

    public init(query: MessagesQuery, records: [MessageRecord], logStartOffset: Int64, highWatermark: Int64) {
        self.query = query
        self.records = records
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
    }
}

/// What carrying out an effect produced, fed back through `ConsoleState.receive`.
public enum EffectOutcome: Equatable, Sendable {
    /// A one-line result (or error) for the status line.
    case status(StatusMessage)
    /// A plan to preview. `activeState` is the group's state when it is active (Kafka would
    /// refuse the reset): the plan is then what the reset would do once the group is stopped.
    case resetPreview(ResetRequest, OffsetResetPlan, activeState: String?)
    /// Planning the reset failed (the message says why and what to do).
    case previewFailed(ResetRequest, StatusMessage)
    /// A test record was written.
    case produced(TopicPartition, offset: Int64)
    case messages(MessagesPage)
    /// Reading a page failed.
    case messagesFailed(MessagesQuery, String)
    /// The theme was switched (the app already repainted).
    case themeSwitched(String)
}
