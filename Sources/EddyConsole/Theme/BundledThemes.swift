/// The themes shipped in `themes/`, also compiled into the binary so `eddy` finds them when run
/// from anywhere. Files found on disk (`ThemeLocator`) take precedence, so an edited theme
/// file wins over the compiled copy.
public enum BundledThemes {
    /// The bundled theme names, the default first.
    public static let names = ["default", "dark", "light", "high-contrast", "monochrome"]

    /// The built-in default theme; every role defined. Other themes fall back to it.
    public static let `default`: Theme = builtIn("default", fallback: nil)

    /// The built-in monochrome theme, used for coloured roles when colour is off.
    public static let monochrome: Theme = builtIn("monochrome", fallback: nil)

    /// A bundled theme by name, from the compiled-in copy; nil for other names.
    public static func theme(named name: String) -> Theme? {
        guard names.contains(name) else { return nil }
        return builtIn(name, fallback: BundledThemes.default)
    }

    private static func builtIn(_ name: String, fallback: Theme?) -> Theme {
        guard let text = texts[name] else { preconditionFailure("no built-in theme text for \(name)") }
        do {
            return try ThemeParser.parse(text, name: name, source: "<built-in \(name).theme>", fallback: fallback)
        } catch {
            // The bundled texts are tested; a failure here is a build defect, not user input.
            preconditionFailure("built-in theme \(name) does not parse: \(error)")
        }
    }
}
