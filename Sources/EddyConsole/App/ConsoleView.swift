import EddyClient
import EddyProtocol

/// The console's screens. `cluster`, `topics`, `groups` and `transactions` are the roots; the
/// others show one subject and are reached by Enter from their parent (or by `3`, `5`, `6` and
/// `:` commands).
public enum ConsoleView: Hashable, Sendable {
    case cluster
    case topics
    case topic(String)
    case groups
    case group(String)
    case messages(TopicPartition)
    case transactions

    /// The header tab the view belongs to (0-based), which is also its number key minus one.
    public var tabIndex: Int {
        switch self {
        case .cluster: 0
        case .topics: 1
        case .topic: 2
        case .groups: 3
        case .group: 4
        case .messages: 5
        case .transactions: 6
        }
    }

    public static let tabs: [TabBar.Tab] = [
        .init(key: "1", title: "Cluster"), .init(key: "2", title: "Topics"), .init(key: "3", title: "Topic"),
        .init(key: "4", title: "Groups"), .init(key: "5", title: "Group"), .init(key: "6", title: "Messages"),
        .init(key: "7", title: "Txns"),
    ]

    /// Where the view sits: the views Esc walks back through, then the view.
    public var path: [ConsoleView] {
        switch self {
        case .cluster, .topics, .groups, .transactions: [self]
        case .topic: [.topics, self]
        case .group: [.groups, self]
        case let .messages(tp): [.topics, .topic(tp.topic), self]
        }
    }

    /// The header's context: the subject the view shows.
    public var context: String {
        switch self {
        case .cluster, .topics, .groups, .transactions: ""
        case let .topic(name): name
        case let .group(id): id
        case let .messages(tp): tp.description
        }
    }
}

/// A table view's state between frames: selection and scroll, sort, and `/` filter.
public struct ViewState: Hashable, Sendable {
    public var selection: TableSelection
    public var sort: TableSort?
    /// Case-insensitive substring kept rows must contain; empty keeps every row.
    public var filter: String
    /// The Groups view keeps only groups with this status (`:status WARN`); nil keeps all.
    public var status: LagStatus?

    public init(selection: TableSelection = TableSelection(), sort: TableSort? = nil, filter: String = "", status: LagStatus? = nil) {
        self.selection = selection
        self.sort = sort
        self.filter = filter
        self.status = status
    }
}

/// The text line above the status line while typing a `:` command or a `/` filter.
public enum InputLine: Hashable, Sendable {
    case command(TextField)
    case filter(TextField)

    public var field: TextField {
        switch self {
        case let .command(f), let .filter(f): f
        }
    }
}

/// How the Messages view shows keys and values.
public enum ValueFormat: String, CaseIterable, Hashable, Sendable {
    case utf8 = "UTF-8"
    case json = "JSON"
    case hex

    public var next: ValueFormat {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// The size of the terminal in cells.
public struct ScreenSize: Hashable, Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}
