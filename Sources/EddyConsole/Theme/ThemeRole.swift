/// Every part of the console a theme can colour. This is the one list: theme files name roles by
/// their raw values, the parser rejects other names, and each bundled theme defines all of them.
///
/// A cell's `Style` takes its foreground from one role and its background from another, so a
/// highlighted span inside a selected row keeps the row's background.
public enum ThemeRole: String, CaseIterable, Hashable, Sendable {
    /// Body text. The base every view starts from.
    case text
    /// Secondary text: zero values, placeholders, hints, units.
    case muted
    /// The header bar across the top of every view.
    case header
    /// A view name in the header that is not the current view.
    case tab
    /// The current view's name in the header.
    case tabActive = "tab-active"
    /// Table column titles.
    case columnHeader = "column-header"
    /// The selected table row, list entry or focused button.
    case selected
    /// Box lines and separators.
    case border
    /// Titles of boxes, dialogs and overlays.
    case title
    /// Emphasis: keys in the help overlay and in hints, the sort indicator.
    case accent
    /// Healthy state (broker running, group stable, partition fully replicated).
    case ok
    /// Degraded state (rebalancing, lag growing, under-replicated).
    case warning
    /// Failed state (broker stopped, partition offline) and error messages.
    case error
    /// The status line at the bottom of every view.
    case status
    /// The last action's result in the status line when it failed.
    case statusError = "status-error"
    /// The training scenario's caption line.
    case caption
    /// Sparkline blocks.
    case sparkline
    /// Offset ruler: the part of the log the consumer has already read.
    case rulerConsumed = "ruler-consumed"
    /// Offset ruler: records below the high watermark not yet read (the lag).
    case rulerLag = "ruler-lag"
    /// Offset ruler: records above the high watermark, not yet replicated to the whole ISR.
    case rulerUnreplicated = "ruler-unreplicated"
    /// Offset ruler mark `C`: the group's committed offset.
    case rulerCommitted = "ruler-committed"
    /// Offset ruler mark `P`: the consumer's position (next offset it will fetch).
    case rulerPosition = "ruler-position"
    /// Offset ruler mark `H`: the partition's high watermark.
    case rulerHighWatermark = "ruler-high-watermark"
    /// Offset ruler mark `S`: the last stable offset, where an open transaction holds
    /// read_committed consumers below the high watermark.
    case rulerLastStable = "ruler-last-stable"
    /// A replica that is not in the ISR, in replica lists.
    case outOfISR = "out-of-isr"
    /// The body of dialogs and overlays.
    case dialog
    /// Text fields in dialogs.
    case input
}
