/// Short human renderings of quantities for table cells. All are pure and locale-independent
/// (a `.` decimal point), so snapshots are stable.
///
/// - counts: `999`, `1.2K`, `12K`, `123K`, `1.2M`, ... (K = 10^3; one decimal below 10 units)
/// - bytes: `512 B`, `1.5 KiB`, `12 KiB`, `3.4 MiB`, ... (KiB = 2^10)
/// - rates: a count or byte size followed by `/s`; rates below 10/s keep one decimal (`0.5/s`)
/// - durations: `450ms`, `1s`, `3.2s`, `42s`, `5m02s`, `3h04m`, `2d03h`
public enum HumanFormat {
    private static let countUnits = ["K", "M", "G", "T", "P", "E"]
    private static let byteUnits = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

    /// A count: exact below 1000, then scaled by 1000.
    public static func count(_ value: Int64) -> String {
        if value < 0 { return "-" + count(value == .min ? .max : -value) }
        if value < 1000 { return String(value) }
        return scaled(Double(value), base: 1000, units: countUnits, separator: "")
    }

    public static func count(_ value: Int) -> String { count(Int64(value)) }

    /// A size in bytes: exact below 1 KiB, then scaled by 1024.
    public static func bytes(_ value: Int64) -> String {
        if value < 0 { return "-" + bytes(value == .min ? .max : -value) }
        if value < 1024 { return "\(value) B" }
        return scaled(Double(value), base: 1024, units: byteUnits, separator: " ")
    }

    public static func bytes(_ value: Int) -> String { bytes(Int64(value)) }

    /// A count per second: `0/s`, `0.5/s`, `12/s`, `1.2K/s`. Non-finite rates show as `-`.
    public static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite else { return "-" }
        if perSecond < 0 { return "-" + rate(-perSecond) }
        if perSecond < 1000 {
            return smallNumber(perSecond) + "/s"
        }
        return scaled(perSecond, base: 1000, units: countUnits, separator: "") + "/s"
    }

    /// Bytes per second: `0 B/s`, `512 B/s`, `1.5 KiB/s`. Non-finite rates show as `-`.
    public static func byteRate(_ perSecond: Double) -> String {
        guard perSecond.isFinite else { return "-" }
        if perSecond < 0 { return "-" + byteRate(-perSecond) }
        if perSecond < 1024 { return "\(Int64(perSecond.rounded())) B/s" }
        return scaled(perSecond, base: 1024, units: byteUnits, separator: " ") + "/s"
    }

    /// A duration in milliseconds, at most two units.
    public static func duration(ms: Int64) -> String {
        if ms < 0 { return "-" + duration(ms: ms == .min ? .max : -ms) }
        if ms < 1000 { return "\(ms)ms" }
        if ms < 10_000 { return (ms % 1000 == 0 ? String(ms / 1000) : oneDecimal(Double(ms) / 1000)) + "s" }
        let seconds = ms / 1000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" + twoDigits(seconds % 60) + "s" }
        if seconds < 86_400 { return "\(seconds / 3600)h" + twoDigits(seconds / 60 % 60) + "m" }
        return "\(seconds / 86_400)d" + twoDigits(seconds / 3600 % 24) + "h"
    }

    /// `value` scaled to the largest unit that keeps it below `base`, with one decimal below 10.
    private static func scaled(_ value: Double, base: Double, units: [String], separator: String) -> String {
        var scaled = value / base
        var unit = 0
        while unit < units.count - 1 {
            // Decide on the rounded value so 999_999 becomes 1.0M, not 1000K.
            let shown = scaled < 10 ? (scaled * 10).rounded() / 10 : scaled.rounded()
            if shown < base { break }
            scaled /= base
            unit += 1
        }
        let text = scaled < 9.95 ? oneDecimal(scaled) : String(Int64(scaled.rounded()))
        return text + separator + units[unit]
    }

    /// A non-negative number below 1000: integers as such, others with one decimal below 10.
    private static func smallNumber(_ value: Double) -> String {
        if value == value.rounded() || value >= 9.95 { return String(Int64(value.rounded())) }
        return oneDecimal(value)
    }

    /// One decimal, rounded half up, without Foundation's locale.
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func twoDigits(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
