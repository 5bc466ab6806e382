/// One role's look as a theme file writes it.
public struct RoleStyle: Hashable, Sendable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var attributes: TextAttributes

    public init(foreground: ThemeColor = .terminalDefault, background: ThemeColor = .terminalDefault, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// True when the role looks different only through its colours being set.
    var usesColor: Bool { foreground != .terminalDefault || background != .terminalDefault }
}

/// A `Style` resolved to what the terminal is asked to show.
public struct ResolvedStyle: Hashable, Sendable {
    public var foreground: ThemeColor
    public var background: ThemeColor
    public var attributes: TextAttributes
}

/// A complete mapping from every `ThemeRole` to colours and attributes.
///
/// `default` colours: in the `text` role they mean the terminal's own colours; in every other
/// role they mean the `text` role's colour, so a theme that paints its own background keeps it
/// under every role.
public struct Theme: Hashable, Sendable {
    /// The theme's name (its file name without `.theme`, or the path it was loaded from).
    public var name: String
    /// Every role's look. Complete: roles a file leaves out are filled in when parsing.
    public private(set) var roles: [ThemeRole: RoleStyle]
    /// The roles the theme's file defined itself.
    public let definedRoles: Set<ThemeRole>

    public init(name: String, roles: [ThemeRole: RoleStyle], definedRoles: Set<ThemeRole>? = nil) {
        self.name = name
        var complete = roles
        for role in ThemeRole.allCases where complete[role] == nil { complete[role] = RoleStyle() }
        self.roles = complete
        self.definedRoles = definedRoles ?? Set(roles.keys)
    }

    public subscript(role: ThemeRole) -> RoleStyle { roles[role] ?? RoleStyle() }

    /// The colours and attributes a cell in `style` gets (see `Style`).
    public func resolve(_ style: Style) -> ResolvedStyle {
        let fg = self[style.foreground], bg = self[style.background], text = self[.text]
        let foreground = fg.foreground == .terminalDefault ? text.foreground : fg.foreground
        let background = bg.background == .terminalDefault ? text.background : bg.background
        return ResolvedStyle(
            foreground: foreground, background: background,
            attributes: fg.attributes.union(bg.attributes).union(style.attributes))
    }

    /// This theme as a terminal with `capability` can show it:
    /// - `colors256`: unchanged;
    /// - `colors8`: every colour mapped to the nearest basic colour (`ThemeColor.basic`); a role
    ///   whose colours differed from the text role's but map to the same basic colours also
    ///   gets `monochrome`'s attributes for that role, so it still stands out;
    /// - `none`: no colours; a role that used colour gets `monochrome`'s attributes for that
    ///   role instead of its own (colour was how it stood out), other roles keep theirs.
    public func adapted(to capability: ColorCapability, monochrome: Theme = BundledThemes.monochrome) -> Theme {
        switch capability {
        case .colors256:
            return self
        case .colors8:
            var mapped = roles
            for (role, style) in roles {
                mapped[role] = RoleStyle(foreground: style.foreground.basic, background: style.background.basic, attributes: style.attributes)
            }
            let basic = Theme(name: name, roles: mapped, definedRoles: definedRoles)
            let text = resolve(.text), basicText = basic.resolve(.text)
            for role in ThemeRole.allCases where role != .text {
                let before = resolve(Style(role)), after = basic.resolve(Style(role))
                let differed = (before.foreground, before.background) != (text.foreground, text.background)
                let merged = (after.foreground, after.background) == (basicText.foreground, basicText.background)
                if differed && merged { mapped[role]!.attributes.formUnion(monochrome[role].attributes) }
            }
            return Theme(name: name, roles: mapped, definedRoles: definedRoles)
        case .none:
            var mapped = roles
            for (role, style) in roles {
                let attributes = style.usesColor ? monochrome[role].attributes : style.attributes
                mapped[role] = RoleStyle(attributes: attributes)
            }
            return Theme(name: name, roles: mapped, definedRoles: definedRoles)
        }
    }
}
