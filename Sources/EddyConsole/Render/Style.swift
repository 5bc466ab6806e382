/// Text attributes a cell can carry on top of its colours.
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let dim = TextAttributes(rawValue: 1 << 1)
    public static let underline = TextAttributes(rawValue: 1 << 2)
    public static let reverse = TextAttributes(rawValue: 1 << 3)

    /// Names as written in theme files, in a fixed order.
    public static let names: [(String, TextAttributes)] = [
        ("bold", .bold), ("dim", .dim), ("underline", .underline), ("reverse", .reverse),
    ]
}

/// How one cell looks, in theme terms: colours come from roles, resolved by the current `Theme`
/// only when painting, so a rendered grid is independent of the theme and the terminal.
///
/// The foreground colour is the `foreground` role's foreground; the background colour is the
/// `background` role's background; the attributes are both roles' attributes plus `attributes`.
public struct Style: Hashable, Sendable {
    public var foreground: ThemeRole
    public var background: ThemeRole
    public var attributes: TextAttributes

    public init(foreground: ThemeRole, background: ThemeRole, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// A role's own colours and attributes.
    public init(_ role: ThemeRole, attributes: TextAttributes = []) {
        self.init(foreground: role, background: role, attributes: attributes)
    }

    /// The default look: body text.
    public static let text = Style(.text)

    /// This style's foreground over another role's background (a highlighted span in a selected row).
    public func over(_ background: ThemeRole) -> Style {
        Style(foreground: foreground, background: background, attributes: attributes)
    }

    /// This style over `base`'s background when `base` is not plain text (a highlighted cell
    /// inside a dialog keeps the dialog's background).
    public func overPlain(_ base: Style) -> Style {
        base == .text ? self : over(base.background)
    }

    /// This style with extra attributes.
    public func adding(_ extra: TextAttributes) -> Style {
        Style(foreground: foreground, background: background, attributes: attributes.union(extra))
    }
}
