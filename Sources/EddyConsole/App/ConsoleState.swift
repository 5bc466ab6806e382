import EddyClient
import EddyProtocol
import Foundation

/// Everything the console remembers between frames besides the model: where the user is, what
/// is selected, what is being typed, the open dialog and the last action's result. Pure: keys
/// come in through `handle(_:model:)`, results of effects through `receive(_:model:)`, and both
/// return `ConsoleEffect`s for the app to carry out.
///
/// Invariant: `stack` is never empty; its last element is the view on screen.
public struct ConsoleState: Equatable, Sendable {
    /// The views Esc walks back through, the current one last.
    public internal(set) var stack: [ConsoleView]
    var viewStates: [ConsoleView: ViewState] = [:]
    /// The `:` or `/` line being typed, if any.
    public internal(set) var input: InputLine?
    /// The modal dialog on top, if any (keys go to it first).
    public internal(set) var dialog: ConsoleDialog?
    /// The last action's result, shown in the status line.
    public var status: StatusMessage?
    public internal(set) var themeName: String
    /// `--read-only`: every mutating action is refused with a message.
    public let readOnly: Bool
    /// Whether demo and broker controls exist (`eddy demo`, not a console attached by client).
    public let hasDemoControls: Bool
    /// Why they do not, when it is not that the console is attached through the client only.
    public var noControlsReason: String?
    /// Why the console is read-only when not for `--read-only` (see `ConsoleOptions`).
    public var readOnlyReason: String?
    /// Offset resets are confirmed by typing the group's name.
    public var typedResetConfirmation = false
    /// The named clusters `:cluster` offers.
    public var clusterNames: [String] = []
    /// The name the status line shows.
    public var clusterName: String
    public var refreshIntervalMs: Int64
    /// Unicode or ASCII, from the locale.
    public var glyphs: Glyphs
    /// For timestamps (the Messages view, the status line's refresh time).
    public var timeZone: TimeZone
    /// The terminal's size, for paging; the app updates it on resize.
    public var screen: ScreenSize
    public internal(set) var valueFormat: ValueFormat = .utf8
    /// The page the Messages view shows.
    public internal(set) var messages: MessagesPage?
    /// A page being read.
    public internal(set) var pendingMessages: MessagesQuery?
    /// A reset being planned for its preview.
    public internal(set) var pendingPreview: ResetRequest?
    /// The subjects `3`, `5` and `6` return to.
    public internal(set) var lastTopic: String?
    public internal(set) var lastGroup: String?
    public internal(set) var lastPartition: TopicPartition?

    public init(clusterName: String, themeName: String = "default", readOnly: Bool = false, hasDemoControls: Bool = false,
                refreshIntervalMs: Int64 = 1000, glyphs: Glyphs = .unicode, timeZone: TimeZone = .current,
                screen: ScreenSize = ScreenSize(width: 80, height: 24), view: ConsoleView = .cluster) {
        self.clusterName = clusterName
        self.themeName = themeName
        self.readOnly = readOnly
        self.hasDemoControls = hasDemoControls
        self.refreshIntervalMs = refreshIntervalMs
        self.glyphs = glyphs
        self.timeZone = timeZone
        self.screen = screen
        stack = view.path
        remember(view)
    }

    /// The view on screen.
    public var view: ConsoleView { stack.last ?? .cluster }

    /// A view's selection, sort and filter.
    public func viewState(_ view: ConsoleView) -> ViewState { viewStates[view] ?? ViewState() }

    mutating func updateViewState(_ view: ConsoleView, _ body: (inout ViewState) -> Void) {
        var s = viewStates[view] ?? ViewState()
        body(&s)
        viewStates[view] = s
    }

    /// Shows `view` with its usual parents under it (the number keys and `:` commands).
    mutating func show(_ view: ConsoleView) -> [ConsoleEffect] {
        stack = view.path
        return entered(view)
    }

    /// Shows `view` on top of the current one (Enter).
    mutating func push(_ view: ConsoleView) -> [ConsoleEffect] {
        if stack.last != view { stack.append(view) }
        return entered(view)
    }

    private mutating func entered(_ view: ConsoleView) -> [ConsoleEffect] {
        remember(view)
        if case let .messages(tp) = view, messages?.query.topicPartition != tp, pendingMessages?.topicPartition != tp {
            return loadMessages(MessagesQuery(topicPartition: tp, start: .latest))
        }
        return []
    }

    private mutating func remember(_ view: ConsoleView) {
        switch view {
        case let .topic(name): lastTopic = name
        case let .group(id): lastGroup = id
        case let .messages(tp):
            lastPartition = tp
            lastTopic = tp.topic
        default: break
        }
    }

    mutating func loadMessages(_ query: MessagesQuery) -> [ConsoleEffect] {
        pendingMessages = query
        return [.loadMessages(query)]
    }

    /// Sets an error status saying the action needs a writable console.
    mutating func refuseReadOnly(_ action: String) -> [ConsoleEffect] {
        status = .error("read-only: \(action) refused (\(readOnlyReason ?? "restart without --read-only to change the cluster"))")
        return []
    }

    /// Sets an error status saying the action needs the demo's controls.
    mutating func refuseNoControls(_ action: String) -> [ConsoleEffect] {
        if let noControlsReason {
            status = .error("\(action): \(noControlsReason)")
        } else {
            status = .error("\(action) needs the demo's controls: run `eddy demo` (this console is attached through the client only)")
        }
        return []
    }
}
