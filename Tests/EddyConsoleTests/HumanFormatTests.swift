import Foundation
import Testing
@testable import EddyConsole

@Suite struct HumanFormatTests {
    @Test(arguments: [
        (Int64(0), "0"), (999, "999"), (1000, "1.0K"), (1234, "1.2K"), (9_949, "9.9K"), (9_950, "10K"),
        (12_345, "12K"), (999_499, "999K"), (999_500, "1.0M"), (3_400_000, "3.4M"), (-1500, "-1.5K"),
        (Int64.max, "9.2E"),
    ] as [(Int64, String)])
    func counts(value: Int64, text: String) {
        #expect(HumanFormat.count(value) == text)
    }

    @Test(arguments: [
        (Int64(0), "0 B"), (Int64(1023), "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (12 * 1024, "12 KiB"),
        (3_565_158, "3.4 MiB"), (Int64(1) << 30, "1.0 GiB"), (1_048_575, "1.0 MiB"),
    ] as [(Int64, String)])
    func bytes(value: Int64, text: String) {
        #expect(HumanFormat.bytes(value) == text)
    }

    @Test func rates() {
        #expect(HumanFormat.rate(0) == "0/s")
        #expect(HumanFormat.rate(0.5) == "0.5/s")
        #expect(HumanFormat.rate(12) == "12/s")
        #expect(HumanFormat.rate(12.4) == "12/s")
        #expect(HumanFormat.rate(1234) == "1.2K/s")
        #expect(HumanFormat.rate(.nan) == "-")
        #expect(HumanFormat.byteRate(512) == "512 B/s")
        #expect(HumanFormat.byteRate(1536) == "1.5 KiB/s")
        #expect(HumanFormat.byteRate(.infinity) == "-")
    }

    @Test(arguments: [
        (Int64(0), "0ms"), (450, "450ms"), (1000, "1s"), (3_250, "3.3s"), (42_000, "42s"), (302_000, "5m02s"),
        (11_040_000, "3h04m"), (183_600_000, "2d03h"), (-1500, "-1.5s"),
    ] as [(Int64, String)])
    func durations(ms: Int64, text: String) {
        #expect(HumanFormat.duration(ms: ms) == text)
    }

    @Test func timestampsInAGivenTimeZone() {
        let utc = TimeZone(identifier: "UTC")!
        #expect(HumanFormat.timestamp(epochMs: 0, timeZone: utc) == "1970-01-01 00:00:00.000")
        #expect(HumanFormat.timestamp(epochMs: 1_700_000_000_123, timeZone: utc) == "2023-11-14 22:13:20.123")
        #expect(HumanFormat.timestamp(epochMs: -1, timeZone: utc) == "1969-12-31 23:59:59.999")
        #expect(HumanFormat.timestamp(epochMs: 951_782_400_000, timeZone: utc) == "2000-02-29 00:00:00.000")
        let plus2 = TimeZone(secondsFromGMT: 7200)!
        #expect(HumanFormat.timeOfDay(epochMs: 1_700_000_000_123, timeZone: plus2) == "00:13:20")
    }

    /// The civil-date conversion agrees with Foundation's calendar over a spread of instants.
    @Test func civilDatesAgreeWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var ms: Int64 = -5_000_000_000_000
        while ms < 5_000_000_000_000 {
            let c = HumanFormat.civil(epochMs: ms, timeZone: calendar.timeZone)
            let d = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect([c.year, c.month, c.day, c.hour, c.minute, c.second] == [d.year, d.month, d.day, d.hour, d.minute, d.second].map { Int64($0!) }, "at \(ms)")
            ms += 86_399_999 * 37 + 12_345
        }
    }
}
