/// One labelled control in a form.
public struct FormField: Hashable, Sendable {
    public enum Control: Hashable, Sendable {
        case text(TextField)
        case choice(ChoiceList)
    }

    /// How the view finds the field again (`FormDialog.text(_:)`).
    public var id: String
    public var label: String
    public var control: Control
    /// Hidden fields are neither drawn nor focused (e.g. the offset field while the strategy
    /// is `earliest`).
    public var isHidden: Bool

    public init(id: String, label: String, control: Control, isHidden: Bool = false) {
        self.id = id
        self.label = label
        self.control = control
        self.isHidden = isHidden
    }

    public static func text(_ id: String, _ label: String, _ field: TextField = TextField()) -> FormField {
        FormField(id: id, label: label, control: .text(field))
    }

    public static func choice(_ id: String, _ label: String, _ list: ChoiceList) -> FormField {
        FormField(id: id, label: label, control: .choice(list))
    }

    var height: Int {
        switch control {
        case .text: return 1
        case .choice(let list): return list.height
        }
    }
}

/// A modal form: labelled text fields and choice lists, one focused, and a message line for
/// validation errors. Pure state: keys in, `DialogOutcome` out; the view reads values after
/// `submitted`, validates them, and may set `message` and keep the form open.
///
/// Keys: Tab / Shift-Tab move the focus to the next / previous visible field (wrapping). Up and
/// Down change the choice in a vertical choice list, and otherwise (in a text field, a
/// horizontal list, or past a vertical list's first or last option) move the focus. Left and
/// Right edit a text field or change a horizontal choice. Enter submits; Esc cancels; other
/// keys go to the focused field.
public struct FormDialog: Hashable, Sendable {
    public var title: String
    public var fields: [FormField]
    /// Index in `fields` of the focused field (always a visible one when any is visible).
    public private(set) var focus: Int
    /// A line under the fields: a validation error or a note.
    public var message: StatusMessage?
    public var submitLabel: String
    /// Width of the controls column; the dialog grows for longer choices.
    public var controlWidth: Int

    public init(title: String, fields: [FormField], submitLabel: String = "OK", controlWidth: Int = 32, message: StatusMessage? = nil) {
        self.title = title
        self.fields = fields
        self.submitLabel = submitLabel
        self.controlWidth = controlWidth
        self.message = message
        focus = fields.firstIndex(where: { !$0.isHidden }) ?? 0
    }

    /// The text of a text field, nil for other ids.
    public func text(_ id: String) -> String? {
        guard let field = fields.first(where: { $0.id == id }), case .text(let t) = field.control else { return nil }
        return t.text
    }

    /// The selected index of a choice list, nil for other ids.
    public func choice(_ id: String) -> Int? {
        guard let field = fields.first(where: { $0.id == id }), case .choice(let c) = field.control else { return nil }
        return c.selected
    }

    /// The id of the focused field.
    public var focusedID: String? { fields.indices.contains(focus) ? fields[focus].id : nil }

    /// Shows or hides a field, moving the focus off it when hidden.
    public mutating func setHidden(_ id: String, _ hidden: Bool) {
        guard let i = fields.firstIndex(where: { $0.id == id }) else { return }
        fields[i].isHidden = hidden
        if hidden && i == focus { moveFocus(by: 1) }
    }

    /// Focuses a field by id (if visible).
    public mutating func focus(_ id: String) {
        if let i = fields.firstIndex(where: { $0.id == id && !$0.isHidden }) { focus = i }
    }

    public mutating func handle(_ key: Key) -> DialogOutcome {
        switch key {
        case .enter: return .submitted
        case .escape: return .cancelled
        case .tab: moveFocus(by: 1); return .continuing
        case .backTab: moveFocus(by: -1); return .continuing
        default: break
        }
        let index = focus
        guard fields.indices.contains(index), !fields[index].isHidden else { return .continuing }
        switch fields[index].control {
        case .text(var field):
            if key == .up { moveFocus(by: -1); return .continuing }
            if key == .down { moveFocus(by: 1); return .continuing }
            _ = field.handle(key)
            fields[index].control = .text(field)
        case .choice(var list):
            let changed = list.handle(key)
            fields[index].control = .choice(list)
            if !changed && key == .up { moveFocus(by: -1) }
            if !changed && key == .down { moveFocus(by: 1) }
        }
        return .continuing
    }

    private mutating func moveFocus(by step: Int) {
        let visible = fields.indices.filter { !fields[$0].isHidden }
        guard !visible.isEmpty else { return }
        let current = visible.firstIndex(of: focus) ?? (step > 0 ? visible.count - 1 : 0)
        focus = visible[((current + step) % visible.count + visible.count) % visible.count]
    }

    /// Draws the form centred in `area`: labels right-aligned in one column, controls in the
    /// next, the message under them, and the key hints in the bottom edge.
    public func render(into grid: inout CellGrid, area: Rect, glyphs: Glyphs) {
        let visible = fields.filter { !$0.isHidden }
        let labelWidth = visible.map { DisplayWidth.of($0.label) }.max() ?? 0
        let widest = visible.compactMap { field -> Int? in
            if case .choice(let list) = field.control { return list.naturalWidth }
            return nil
        }.max() ?? 0
        let contentWidth = labelWidth + 2 + max(controlWidth, widest)
        let messageLines = message == nil ? 0 : 2
        let contentHeight = visible.reduce(0) { $0 + $1.height } + max(0, visible.count - 1) + messageLines
        let footer = DialogFrame.hints([("Enter", submitLabel), ("Esc", "cancel"), ("Tab", "next")])
        let inner = DialogFrame.render(title: title, contentWidth: contentWidth, contentHeight: contentHeight, in: area, into: &grid, glyphs: glyphs, footer: footer)
        var y = inner.y
        for (index, field) in fields.enumerated() where !field.isHidden {
            guard y < inner.maxY else { break }
            let focused = index == focus
            let labelStyle = focused ? Style(foreground: .accent, background: .dialog, attributes: .bold) : Style(.dialog)
            grid.put([Span(field.label, labelStyle)], in: Rect(x: inner.x, y: y, width: min(labelWidth, inner.width), height: 1), alignment: .right, ellipsis: glyphs.ellipsis)
            let controlX = inner.x + labelWidth + 2
            let controlRect = Rect(x: controlX, y: y, width: inner.maxX - controlX, height: min(field.height, inner.maxY - y))
            switch field.control {
            case .text(let text): text.render(into: &grid, rect: controlRect, glyphs: glyphs, focused: focused)
            case .choice(let list): list.render(into: &grid, rect: controlRect, glyphs: glyphs, focused: focused)
            }
            y += field.height + 1
        }
        if let message {
            let style = message.kind == .error ? Style(foreground: .error, background: .dialog) : Style(.dialog)
            grid.put([Span(message.text, style)], in: Rect(x: inner.x, y: inner.maxY - 1, width: inner.width, height: 1), ellipsis: glyphs.ellipsis)
        }
    }
}
