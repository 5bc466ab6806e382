import Foundation

extension HumanFormat {
    /// Wall-clock time of day `HH:MM:SS` for epoch milliseconds in `timeZone`.
    public static func timeOfDay(epochMs: Int64, timeZone: TimeZone) -> String {
        let c = civil(epochMs: epochMs, timeZone: timeZone)
        return "\(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second))"
    }

    /// `YYYY-MM-DD HH:MM:SS.mmm` for epoch milliseconds in `timeZone` (the Messages view's
    /// timestamp column).
    public static func timestamp(epochMs: Int64, timeZone: TimeZone) -> String {
        let c = civil(epochMs: epochMs, timeZone: timeZone)
        let year = c.year < 0 ? "-" + pad4(-c.year) : pad4(c.year)
        let millis = c.millis < 10 ? "00\(c.millis)" : c.millis < 100 ? "0\(c.millis)" : "\(c.millis)"
        return "\(year)-\(pad2(c.month))-\(pad2(c.day)) \(pad2(c.hour)):\(pad2(c.minute)):\(pad2(c.second)).\(millis)"
    }

    struct Civil { var year, month, day, hour, minute, second, millis: Int64 }

    /// Calendar fields of an instant: the time zone's offset at that instant, then the proleptic
    /// Gregorian date of the shifted day number (days-from-civil inverted).
    static func civil(epochMs: Int64, timeZone: TimeZone) -> Civil {
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(epochMs) / 1000)))
        let local = epochMs + offset * 1000
        let days = floorDiv(local, 86_400_000)
        let msOfDay = local - days * 86_400_000
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Civil(
            year: year, month: month, day: day,
            hour: msOfDay / 3_600_000, minute: msOfDay / 60_000 % 60,
            second: msOfDay / 1000 % 60, millis: msOfDay % 1000)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func pad2(_ v: Int64) -> String { v < 10 ? "0\(v)" : String(v) }
    private static func pad4(_ v: Int64) -> String {
        let s = String(v)
        return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
    }
}
