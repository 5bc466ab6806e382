/// Parses `--to-datetime` values the way Kafka's `Utils.getDateTime` does, without Foundation's
/// locale-dependent formatters.
///
/// Accepted: `yyyy-MM-ddTHH:mm:ss.SSS` (exactly three fraction digits) followed by an optional
/// zone: nothing (meaning UTC, as Kafka appends `Z`), `Z`, `+HH`, `+HHMM` or `+HH:MM` (or `-`).
/// Examples: `2026-11-21T10:00:00.000`, `2026-11-21T10:00:00.000Z`,
/// `2026-11-21T10:00:00.000+0800`, `2026-11-21T10:00:00.000-05:30`.
/// Fields are checked strictly (Kafka's parser is non-lenient): month 1-12, day within the month
/// (leap years per the Gregorian calendar), hour 0-23, minute and second 0-59, zone hours 0-18.
public enum KafkaDateTime {
    /// Milliseconds since the Unix epoch for `text`.
    public static func parseMillis(_ text: String) throws -> Int64 {
        let b = Array(text.utf8)
        func fail(_ reason: String) -> OffsetResetError { .invalidDateTime(text, reason: reason) }
        guard b.contains(UInt8(ascii: "T")) else {
            throw fail("it does not contain a 'T' according to ISO8601 format")
        }
        // Fixed layout: yyyy-MM-ddTHH:mm:ss.SSS is 23 bytes.
        guard b.count >= 23 else { throw fail("expected yyyy-MM-ddTHH:mm:ss.SSS[zone]") }
        func number(_ from: Int, _ count: Int) throws -> Int64 {
            var v: Int64 = 0
            for i in from..<(from + count) {
                guard b[i] >= 48, b[i] <= 57 else { throw fail("expected a digit at position \(i + 1)") }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        func expect(_ at: Int, _ ch: Character) throws {
            guard b[at] == ch.asciiValue! else { throw fail("expected '\(ch)' at position \(at + 1)") }
        }
        let year = try number(0, 4)
        try expect(4, "-")
        let month = try number(5, 2)
        try expect(7, "-")
        let day = try number(8, 2)
        try expect(10, "T")
        let hour = try number(11, 2)
        try expect(13, ":")
        let minute = try number(14, 2)
        try expect(16, ":")
        let second = try number(17, 2)
        try expect(19, ".")
        let millis = try number(20, 3)
        guard (1...12).contains(month) else { throw fail("month \(month) out of range 1-12") }
        guard (1...daysIn(month: month, year: year)).contains(day) else {
            throw fail("day \(day) out of range for \(year)-\(month)")
        }
        guard hour <= 23 else { throw fail("hour \(hour) out of range 0-23") }
        guard minute <= 59 else { throw fail("minute \(minute) out of range 0-59") }
        guard second <= 59 else { throw fail("second \(second) out of range 0-59") }

        var zoneSeconds: Int64 = 0
        let zone = b[23...]
        if zone.isEmpty || (zone.count == 1 && zone.first == UInt8(ascii: "Z")) {
            zoneSeconds = 0
        } else {
            let sign: Int64
            switch zone.first {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            default: throw fail("expected a zone Z, +HH, +HHMM or +HH:MM after the milliseconds")
            }
            let zh: Int64, zm: Int64
            switch zone.count {
            case 3: zh = try number(24, 2); zm = 0
            case 5: zh = try number(24, 2); zm = try number(26, 2)
            case 6: zh = try number(24, 2); try expect(26, ":"); zm = try number(27, 2)
            default: throw fail("expected a zone Z, +HH, +HHMM or +HH:MM after the milliseconds")
            }
            guard zh <= 18, zm <= 59 else { throw fail("zone offset out of range") }
            zoneSeconds = sign * (zh * 3600 + zm * 60)
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - zoneSeconds
        return seconds * 1000 + millis
    }

    static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
