/// A run of text in one style: the unit of styled text in table cells, status lines and legends.
public struct Span: Hashable, Sendable {
    public var text: String
    public var style: Style

    public init(_ text: String, _ style: Style = .text) {
        self.text = text
        self.style = style
    }

    public init(_ text: String, role: ThemeRole) {
        self.init(text, Style(role))
    }

    /// Columns the text takes.
    public var width: Int { DisplayWidth.of(text) }
}

extension Array where Element == Span {
    /// Columns all spans take together.
    public var width: Int { reduce(0) { $0 + $1.width } }
}
