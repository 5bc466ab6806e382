extension CellGrid {
    /// The characters, one line per row, trailing spaces trimmed, continuation cells omitted
    /// (a wide character shows once). For snapshot tests and debugging; never for the terminal.
    public func plainText() -> String {
        var lines: [String] = []
        lines.reserveCapacity(height)
        for y in 0..<height {
            var line = ""
            for x in 0..<width {
                let cell = cells[y * width + x]
                if !cell.isContinuation { line.append(cell.character) }
            }
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// One character per cell naming its style, for asserting styles in snapshots: `.` for
    /// plain text (`Style.text`), then `a`, `b`, ... in order of first appearance (row by row).
    /// Trailing `.` are trimmed. `legend` lists each letter with its style, one per line, as
    /// `a = fg[/bg] [+attrs]` with role names as in theme files.
    public func styleMask() -> (mask: String, legend: String) {
        var letters: [Style: Character] = [:]
        var order: [Style] = []
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var lines: [String] = []
        for y in 0..<height {
            var line = ""
            for x in 0..<width {
                let style = cells[y * width + x].style
                if style == .text { line.append("."); continue }
                if let letter = letters[style] {
                    line.append(letter)
                } else {
                    let letter = order.count < alphabet.count ? alphabet[order.count] : "#"
                    letters[style] = letter
                    order.append(style)
                    line.append(letter)
                }
            }
            while line.last == "." { line.removeLast() }
            lines.append(line)
        }
        let legend = order.map { style in
            "\(letters[style]!) = \(Self.describe(style))"
        }
        return (lines.joined(separator: "\n"), legend.joined(separator: "\n"))
    }

    /// `fg`, or `fg/bg` when they differ, then `+attr` for each attribute.
    static func describe(_ style: Style) -> String {
        var text = style.foreground.rawValue
        if style.background != style.foreground { text += "/" + style.background.rawValue }
        for (name, attribute) in TextAttributes.names where style.attributes.contains(attribute) {
            text += " +" + name
        }
        return text
    }
}
