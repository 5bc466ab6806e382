/// Horizontal placement of text in a column.
public enum Alignment: Hashable, Sendable {
    case left, right, center
}

/// Fitting text into a number of columns, by display width (see `DisplayWidth`).
public enum TextLayout {
    /// `text` cut to at most `width` columns. Text that is cut ends with `ellipsis`
    /// (one column in the Unicode glyph set, `~` in ASCII) unless the width is too small to
    /// hold it, in which case the text is cut hard. Never splits a wide character.
    public static func truncate(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if DisplayWidth.isPrintableASCII(text) {
            guard text.utf8.count > width else { return text }
            let ellipsisWidth = DisplayWidth.of(ellipsis)
            if ellipsisWidth >= width || ellipsis.isEmpty { return String(text.prefix(width)) }
            return String(text.prefix(width - ellipsisWidth)) + ellipsis
        }
        guard DisplayWidth.of(text) > width else { return text }
        let ellipsisWidth = DisplayWidth.of(ellipsis)
        let budget = ellipsisWidth < width ? width - ellipsisWidth : width
        var result = ""
        var used = 0
        for character in text {
            let w = DisplayWidth.of(character)
            if used + w > budget { break }
            result.append(character)
            used += w
        }
        return ellipsisWidth < width ? result + ellipsis : result
    }

    /// `text` cut from the left to at most `width` columns, starting with `ellipsis` when cut:
    /// keeps the end of long names where the end tells them apart.
    public static func truncateHead(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        guard DisplayWidth.of(text) > width else { return text }
        let ellipsisWidth = DisplayWidth.of(ellipsis)
        let budget = ellipsisWidth < width ? width - ellipsisWidth : width
        var kept: [Character] = []
        var used = 0
        for character in text.reversed() {
            let w = DisplayWidth.of(character)
            if used + w > budget { break }
            kept.append(character)
            used += w
        }
        let tail = String(kept.reversed())
        return ellipsisWidth < width ? ellipsis + tail : tail
    }

    /// `text` padded with spaces to exactly `width` columns (truncated first if longer).
    public static func pad(_ text: String, to width: Int, alignment: Alignment = .left, ellipsis: String = "…") -> String {
        let cut = truncate(text, to: width, ellipsis: ellipsis)
        let gap = width - DisplayWidth.of(cut)
        guard gap > 0 else { return cut }
        switch alignment {
        case .left: return cut + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + cut
        case .center:
            let left = gap / 2
            return String(repeating: " ", count: left) + cut + String(repeating: " ", count: gap - left)
        }
    }

    /// The column offset at which text of `textWidth` columns starts inside `width` columns.
    public static func offset(of textWidth: Int, in width: Int, alignment: Alignment) -> Int {
        let gap = max(0, width - textWidth)
        switch alignment {
        case .left: return 0
        case .right: return gap
        case .center: return gap / 2
        }
    }
}
