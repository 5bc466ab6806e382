import Foundation
import Testing
@testable import EddyConsole

@Suite struct DemoEventsTests {
    /// Every value is a JSON object whose type belongs to its topic and whose key is inside it.
    @Test func valuesAreKeyedJSONOfTheRightType() throws {
        var events = DemoEvents(seed: 7)
        let types: [String: Set<String>] = [
            "orders": ["order.confirmed", "order.updated", "order.canceled"],
            "payments": ["payment.created", "payment.updated"],
            "customers": ["customer.login"],
        ]
        var seen: [String: Set<String>] = [:]
        for i in 0 ..< 600 {
            let topic = ["orders", "payments", "customers"][i % 3]
            let next = events.next(for: topic, at: 1_700_000_000_000 + Int64(i))
            let e = try #require(next)
            #expect(e.topic == topic)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(e.value.utf8)) as? [String: Any], "\(e.value)")
            let type = try #require(object["type"] as? String)
            #expect(types[topic]?.contains(type) == true, "\(e.value)")
            seen[topic, default: []].insert(type)
            let idField = ["orders": "order", "payments": "payment", "customers": "customer"][topic]!
            #expect(object[idField] as? String == e.key, "\(e.value)")
            #expect(object["at"] as? Int64 == 1_700_000_000_000 + Int64(i))
            #expect(e.headers == [DemoEvents.sourceHeader])
        }
        #expect(seen == types, "every event type shows up")
        #expect(events.next(for: "elsewhere", at: 0) == nil)
    }

    /// An update or cancel names an order confirmed earlier, so it lands on that order's
    /// partition (same key).
    @Test func updatesReferToConfirmedOrders() throws {
        var events = DemoEvents(seed: 3)
        var confirmed = Set<String>()
        for i in 0 ..< 500 {
            let e = events.order(at: Int64(i))
            if e.value.contains("\"order.confirmed\"") {
                #expect(confirmed.insert(e.key).inserted, "a confirmation is for a new order: \(e.key)")
            } else {
                #expect(confirmed.contains(e.key), "\(e.value)")
            }
        }
    }

    @Test func sameSeedSameEvents() {
        var a = DemoEvents(seed: 11), b = DemoEvents(seed: 11), c = DemoEvents(seed: 12)
        let first = (0 ..< 50).map { a.payment(at: Int64($0)) }
        #expect(first == (0 ..< 50).map { b.payment(at: Int64($0)) })
        #expect(first != (0 ..< 50).map { c.payment(at: Int64($0)) })
    }

    @Test func moneyHasTwoDecimals() {
        #expect(DemoEvents.money(5990) == "59.90")
        #expect(DemoEvents.money(1005) == "10.05")
        #expect(DemoEvents.money(7) == "0.07")
    }
}
