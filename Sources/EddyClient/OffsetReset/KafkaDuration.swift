/// Parses `--by-duration` values as Java's `Duration.parse` (which Kafka uses) does.
///
/// Grammar (letters case-insensitive): `[+-]P[nD][T[nH][nM][n[.f]S]]`, each `n` an optional
/// sign and decimal digits, `f` up to nine fraction digits (`.` or `,`). At least one component
/// is required and `T` must be followed by at least one of H, M, S. A leading `-` negates the
/// whole duration. Fractions finer than a millisecond are truncated, as `toEpochMilli` does.
/// Examples: `PT5M`, `P1DT2H`, `PT0.5S`, `-PT1H`.
public enum KafkaDuration {
    /// The duration in milliseconds.
    public static func parseMillis(_ text: String) throws -> Int64 {
        func fail(_ reason: String) -> OffsetResetError { .invalidDuration(text, reason: reason) }
        let b = Array(text.uppercased().utf8)
        var i = 0
        var negate = false
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            negate = b[i] == UInt8(ascii: "-"); i += 1
        }
        guard i < b.count, b[i] == UInt8(ascii: "P") else { throw fail("expected the form PnDTnHnMnS") }
        i += 1
        var total: Int64 = 0
        var components = 0
        var inTime = false
        var timeComponents = 0
        var seen = Set<UInt8>()
        let order: [UInt8] = Array("DHMS".utf8)
        var lastUnit = -1

        func add(_ value: Int64, times unit: Int64) throws {
            let (product, o1) = value.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(product)
            guard !o1, !o2 else { throw fail("duration too large") }
            total = sum
        }

        while i < b.count {
            if b[i] == UInt8(ascii: "T") {
                guard !inTime else { throw fail("'T' appears twice") }
                inTime = true; i += 1
                guard i < b.count else { throw fail("'T' must be followed by hours, minutes or seconds") }
                continue
            }
            var sign: Int64 = 1
            if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                sign = b[i] == UInt8(ascii: "-") ? -1 : 1; i += 1
            }
            var whole: Int64 = 0
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(b[i] - 48))
                guard !o1, !o2 else { throw fail("number too large") }
                whole = s; digits += 1; i += 1
            }
            guard digits > 0 else { throw fail("expected a number at position \(i + 1)") }
            var fractionMillis: Int64 = 0
            var hasFraction = false
            if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                hasFraction = true; i += 1
                var fdigits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if fdigits < 3 { fractionMillis = fractionMillis * 10 + Int64(b[i] - 48) }
                    fdigits += 1; i += 1
                }
                guard fdigits <= 9 else { throw fail("at most nine fraction digits") }
                for _ in fdigits..<max(fdigits, 3) { fractionMillis *= 10 }
            }
            guard i < b.count else { throw fail("number at the end has no unit") }
            let unit = b[i]; i += 1
            guard let rank = order.firstIndex(of: unit) else {
                throw fail("unknown unit '\(Character(UnicodeScalar(unit)))'")
            }
            guard !seen.contains(unit), rank > lastUnit else { throw fail("units out of order or repeated") }
            guard (unit == UInt8(ascii: "D")) != inTime else {
                throw fail(inTime ? "days must come before 'T'" : "hours, minutes and seconds must follow 'T'")
            }
            guard !hasFraction || unit == UInt8(ascii: "S") else { throw fail("only seconds may have a fraction") }
            seen.insert(unit); lastUnit = rank
            components += 1
            if inTime { timeComponents += 1 }
            let unitMillis: Int64 = switch unit {
            case UInt8(ascii: "D"): 86_400_000
            case UInt8(ascii: "H"): 3_600_000
            case UInt8(ascii: "M"): 60_000
            default: 1000
            }
            try add(sign * whole, times: unitMillis)
            try add(sign * fractionMillis, times: 1)
        }
        guard components > 0 else { throw fail("no days, hours, minutes or seconds given") }
        guard !inTime || timeComponents > 0 else { throw fail("'T' must be followed by hours, minutes or seconds") }
        if negate {
            guard total != .min else { throw fail("duration too large") }
            total = -total
        }
        return total
    }
}
