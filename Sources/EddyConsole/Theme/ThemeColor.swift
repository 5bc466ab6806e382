/// A colour in a theme: the terminal's own default, or an index in the xterm 256-colour palette
/// (0-7 the basic colours, 8-15 their bright forms, 16-231 a 6x6x6 cube, 232-255 greys).
public enum ThemeColor: Hashable, Sendable, CustomStringConvertible {
    case terminalDefault
    case indexed(UInt8)

    /// The basic colour names, indices 0-7; `bright-NAME` is the index plus 8.
    public static let basicNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Parses a theme-file colour: `default`, a basic name, `bright-NAME` (also `grey`/`gray`
    /// for bright-black), a number 0-255, or `#rrggbb` (mapped to the nearest cube or grey entry).
    /// Nil when the token is none of these.
    public init?(token: String) {
        let t = token.lowercased()
        if t == "default" { self = .terminalDefault; return }
        if t == "grey" || t == "gray" { self = .indexed(8); return }
        if let i = Self.basicNames.firstIndex(of: t) { self = .indexed(UInt8(i)); return }
        if t.hasPrefix("bright-"), let i = Self.basicNames.firstIndex(of: String(t.dropFirst(7))) {
            self = .indexed(UInt8(i + 8)); return
        }
        if t.allSatisfy(\.isASCII), t.allSatisfy(\.isNumber), t.count <= 3, let n = Int(t), n <= 255 {
            self = .indexed(UInt8(n)); return
        }
        if t.hasPrefix("#"), t.count == 7, let rgb = UInt32(t.dropFirst(), radix: 16) {
            self = .indexed(XtermPalette.nearestExtended(red: UInt8(rgb >> 16 & 0xFF), green: UInt8(rgb >> 8 & 0xFF), blue: UInt8(rgb & 0xFF)))
            return
        }
        return nil
    }

    /// The colour as it can be shown with only the 8 basic colours: indices 8-255 become the
    /// basic colour nearest in RGB (see `XtermPalette.nearestBasic`).
    public var basic: ThemeColor {
        switch self {
        case .terminalDefault: return self
        case .indexed(let i): return i < 8 ? self : .indexed(XtermPalette.nearestBasic(to: i))
        }
    }

    /// As written in a theme file.
    public var description: String {
        switch self {
        case .terminalDefault: return "default"
        case .indexed(let i) where i < 8: return Self.basicNames[Int(i)]
        case .indexed(let i) where i < 16: return "bright-" + Self.basicNames[Int(i) - 8]
        case .indexed(let i): return String(i)
        }
    }
}

/// The xterm 256-colour palette's standard RGB values, for mapping colours between capabilities.
public enum XtermPalette {
    /// xterm's default RGB for 0-15.
    static let system: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
    /// The cube's six levels per channel.
    static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// RGB of a palette index.
    public static func rgb(_ index: UInt8) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let i = Int(index)
        if i < 16 { return system[i] }
        if i < 232 {
            let c = i - 16
            return (cubeLevels[c / 36], cubeLevels[c / 6 % 6], cubeLevels[c % 6])
        }
        let grey = UInt8(8 + (i - 232) * 10)
        return (grey, grey, grey)
    }

    /// The basic colour (0-7) that best stands in for a palette index on an 8-colour terminal.
    /// Greys and near-greys (channels within 48 of each other) become black below a lightness
    /// of 100 and white from there (so a mid-grey muted text stays readable on black, and a
    /// dark grey background stays dark); other colours go to the nearest basic colour by
    /// squared RGB distance, ties to the lower index. Bright colours thus map to their basic
    /// form (bright-red to red).
    public static func nearestBasic(to index: UInt8) -> UInt8 {
        if index < 8 { return index }
        let target = rgb(index)
        let high = max(target.red, target.green, target.blue), low = min(target.red, target.green, target.blue)
        if high - low < 48 {
            return (Int(high) + Int(low)) / 2 < 100 ? 0 : 7
        }
        return nearest(target, among: 0..<8)
    }

    /// The cube or grey entry (16-255) nearest to an RGB value; these do not depend on the
    /// terminal's configured palette, unlike 0-15.
    public static func nearestExtended(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        nearest((red, green, blue), among: 16..<256)
    }

    private static func nearest(_ target: (red: UInt8, green: UInt8, blue: UInt8), among range: Range<Int>) -> UInt8 {
        var best = range.lowerBound
        var bestDistance = Int.max
        for candidate in range {
            let c = rgb(UInt8(candidate))
            let dr = Int(c.red) - Int(target.red), dg = Int(c.green) - Int(target.green), db = Int(c.blue) - Int(target.blue)
            let distance = dr * dr + dg * dg + db * db
            if distance < bestDistance {
                bestDistance = distance
                best = candidate
            }
        }
        return UInt8(best)
    }
}
