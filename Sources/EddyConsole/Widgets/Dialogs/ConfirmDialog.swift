/// A confirmation: what is about to happen, an optional preview table (e.g. each partition's
/// old → new offset and lag change for an offset reset), and Confirm / Cancel buttons.
///
/// Keys: `y` confirms and `n` or Esc cancels at once; Left/Right/Tab move between the buttons
/// and Enter presses the focused one; Up/Down/PgUp/PgDn/Home/End move through the preview.
///
/// With `typedConfirmation` (a production cluster's offset reset), confirming needs that text
/// typed first: printable keys go into `typed` (Backspace deletes), `y` and `n` are letters
/// like any other, Enter on Confirm does nothing until `typed` matches, and Esc cancels.
public struct ConfirmDialog: Hashable, Sendable {
    public enum Button: Hashable, Sendable {
        case confirm, cancel
    }

    public var title: String
    public var message: [String]
    public var preview: Table?
    public var confirmLabel: String
    public var cancelLabel: String
    public var focused: Button
    /// Most preview rows shown at once.
    public var maxPreviewRows: Int
    /// What must be typed before Confirm does anything (nil: nothing).
    public var typedConfirmation: String?
    public var typed = ""

    public init(
        title: String, message: [String], preview: Table? = nil, confirmLabel: String = "Confirm",
        cancelLabel: String = "Cancel", focused: Button = .confirm, maxPreviewRows: Int = 12, typedConfirmation: String? = nil
    ) {
        self.title = title
        self.message = message
        self.preview = preview
        self.confirmLabel = confirmLabel
        self.cancelLabel = cancelLabel
        self.focused = focused
        self.maxPreviewRows = maxPreviewRows
        self.typedConfirmation = typedConfirmation
    }

    /// Whether Confirm may act: nothing has to be typed, or it has been.
    public var confirmable: Bool { typedConfirmation.map { typed == $0 } ?? true }

    public mutating func handle(_ key: Key) -> DialogOutcome {
        if typedConfirmation != nil {
            switch key {
            case let .character(c):
                typed.append(c)
                return .continuing
            case .backspace:
                if !typed.isEmpty { typed.removeLast() }
                return .continuing
            case .escape:
                return .cancelled
            case .enter:
                guard focused == .confirm else { return .cancelled }
                return confirmable ? .submitted : .continuing
            default:
                break
            }
        }
        switch key {
        case .character("y"), .character("Y"): return .submitted
        case .character("n"), .character("N"), .escape: return .cancelled
        case .enter: return focused == .confirm ? .submitted : .cancelled
        case .left, .right, .tab, .backTab:
            focused = focused == .confirm ? .cancel : .confirm
            return .continuing
        default:
            if var table = preview {
                _ = table.selection.handle(key, rowCount: table.rows.count, pageSize: maxPreviewRows)
                preview = table
            }
            return .continuing
        }
    }

    /// Draws the dialog centred in `area`.
    public func render(into grid: inout CellGrid, area: Rect, glyphs: Glyphs) {
        let buttons = buttonSpans()
        var contentWidth = max(40, buttons.width, message.map(DisplayWidth.of).max() ?? 0)
        var previewHeight = 0
        if let preview {
            contentWidth = max(contentWidth, preview.naturalWidth())
            previewHeight = 1 + min(maxPreviewRows, max(1, preview.rows.count))
        }
        contentWidth = min(contentWidth, max(0, area.width - 4))
        let prompt = typedConfirmation.map { "Type \($0) to confirm: \(typed)" }
        let contentHeight = message.count + (preview == nil ? 0 : previewHeight + 1) + 2 + (prompt == nil ? 0 : 2)
        let footer = prompt == nil ? DialogFrame.hints([("y", "confirm"), ("n", "cancel")]) : DialogFrame.hints([("Enter", "confirm"), ("Esc", "cancel")])
        let inner = DialogFrame.render(title: title, contentWidth: contentWidth, contentHeight: contentHeight, in: area, into: &grid, glyphs: glyphs, footer: footer)
        var y = inner.y
        for line in message where y < inner.maxY {
            grid.put([Span(line, Style(.dialog))], in: Rect(x: inner.x, y: y, width: inner.width, height: 1), ellipsis: glyphs.ellipsis)
            y += 1
        }
        if let preview {
            y += 1
            let height = min(previewHeight, inner.maxY - 2 - y)
            if height > 0 {
                var preview = preview
                preview.baseStyle = Style(.dialog)
                preview.render(into: &grid, rect: Rect(x: inner.x, y: y, width: inner.width, height: height), glyphs: glyphs)
            }
            y += max(0, height)
        }
        if let prompt, inner.maxY - 3 >= inner.y {
            let style = confirmable ? Style(.dialog, attributes: .bold) : Style(.warning)
            grid.put([Span(prompt, style)], in: Rect(x: inner.x, y: inner.maxY - 3, width: inner.width, height: 1), ellipsis: glyphs.ellipsis)
        }
        grid.put(buttons, in: Rect(x: inner.x, y: inner.maxY - 1, width: inner.width, height: 1), alignment: .center, ellipsis: glyphs.ellipsis)
    }

    private func buttonSpans() -> [Span] {
        func button(_ label: String, _ button: Button) -> Span {
            Span("[ \(label) ]", focused == button ? Style(.selected, attributes: .bold) : Style(.dialog))
        }
        return [button(confirmLabel, .confirm), Span("   ", Style(.dialog)), button(cancelLabel, .cancel)]
    }
}
