import EddyProtocol

/// The demo's business events, as keyed JSON records: orders (confirmed, updated, canceled),
/// payments (created, updated) and customer logins. Deterministic for a seed, so tests can
/// check what a generator produces.
///
/// Keys: `order-<n>`, `payment-<n>`, `customer-<n>`; the key is also inside the value. Orders
/// and payments refer to recent orders, so an update or a cancel lands on the partition of the
/// order it changes (same key, same partition). Values are one-line JSON objects with a `type`
/// (`order.confirmed`, `order.updated`, `order.canceled`, `payment.created`, `payment.updated`,
/// `customer.login`) and an `at` timestamp (ms since the epoch). Every record has the header
/// `source: eddy-demo`.
public struct DemoEvents: Sendable {
    /// One event to send.
    public struct Event: Sendable, Equatable {
        public var topic: String
        public var key: String
        public var value: String
        public var headers: [RecordHeader]
    }

    /// The header every demo record carries.
    public static let sourceHeader = RecordHeader(key: "source", value: Array("eddy-demo".utf8))

    /// How many customers exist: the compacted `customers` topic keeps one login per customer.
    public static let customerCount = 200

    private var random: SplitMix64
    private var nextOrder = 1000
    private var nextPayment = 500
    /// Orders still open (confirmed, not canceled), oldest first, at most `openLimit`.
    private var openOrders: [(id: Int, total: Int)] = []
    private static let openLimit = 64
    /// Payments that may still change, oldest first.
    private var openPayments: [(id: Int, order: Int, amount: Int)] = []

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// The next order event: mostly confirmations of new orders, then updates and cancels of
    /// open ones.
    public mutating func order(at ms: Int64) -> Event {
        let roll = Int.random(in: 0 ..< 10, using: &random)
        if roll < 2, !openOrders.isEmpty {
            let index = Int.random(in: 0 ..< openOrders.count, using: &random)
            let order = openOrders.remove(at: index)
            return event("orders", "order-\(order.id)", """
                {"type":"order.canceled","order":"order-\(order.id)","reason":"\(pick(["customer request", "out of stock", "payment declined"]))","at":\(ms)}
                """)
        }
        if roll < 5, !openOrders.isEmpty {
            let index = Int.random(in: 0 ..< openOrders.count, using: &random)
            openOrders[index].total += Int.random(in: 100 ... 2_000, using: &random)
            let order = openOrders[index]
            return event("orders", "order-\(order.id)", """
                {"type":"order.updated","order":"order-\(order.id)","total":\(Self.money(order.total)),"status":"\(pick(["packed", "address changed", "item added"]))","at":\(ms)}
                """)
        }
        nextOrder += 1
        let id = nextOrder
        let items = Int.random(in: 1 ... 5, using: &random)
        let total = items * Int.random(in: 499 ... 9_999, using: &random)
        openOrders.append((id, total))
        if openOrders.count > Self.openLimit { openOrders.removeFirst() }
        return event("orders", "order-\(id)", """
            {"type":"order.confirmed","order":"order-\(id)","customer":"customer-\(customer())","items":\(items),"total":\(Self.money(total)),"at":\(ms)}
            """)
    }

    /// The next payment event: a payment for an open order, or a status change of a recent payment.
    public mutating func payment(at ms: Int64) -> Event {
        if Int.random(in: 0 ..< 10, using: &random) < 4, !openPayments.isEmpty {
            let p = openPayments.removeFirst()
            return event("payments", "payment-\(p.id)", """
                {"type":"payment.updated","payment":"payment-\(p.id)","order":"order-\(p.order)","status":"\(pick(["captured", "captured", "captured", "refunded", "failed"]))","at":\(ms)}
                """)
        }
        nextPayment += 1
        let order = openOrders.isEmpty ? nextOrder : openOrders[Int.random(in: 0 ..< openOrders.count, using: &random)].id
        let amount = openOrders.first(where: { $0.id == order })?.total ?? Int.random(in: 499 ... 9_999, using: &random)
        openPayments.append((nextPayment, order, amount))
        if openPayments.count > Self.openLimit { openPayments.removeFirst() }
        return event("payments", "payment-\(nextPayment)", """
            {"type":"payment.created","payment":"payment-\(nextPayment)","order":"order-\(order)","amount":\(Self.money(amount)),"method":"\(pick(["card", "card", "paypal", "bank transfer"]))","at":\(ms)}
            """)
    }

    /// A customer logging in (the compacted topic keeps each customer's last login).
    public mutating func login(at ms: Int64) -> Event {
        let id = customer()
        return event("customers", "customer-\(id)", """
            {"type":"customer.login","customer":"customer-\(id)","device":"\(pick(["ios", "android", "web", "web"]))","ip":"10.0.\(Int.random(in: 0 ... 15, using: &random)).\(Int.random(in: 1 ... 254, using: &random))","at":\(ms)}
            """)
    }

    /// The next event for `topic` (one of the demo topics), nil for another topic.
    public mutating func next(for topic: String, at ms: Int64) -> Event? {
        switch topic {
        case "orders": order(at: ms)
        case "payments": payment(at: ms)
        case "customers": login(at: ms)
        default: nil
        }
    }

    private mutating func customer() -> Int { Int.random(in: 1 ... Self.customerCount, using: &random) }

    private mutating func pick(_ choices: [String]) -> String {
        choices[Int.random(in: 0 ..< choices.count, using: &random)]
    }

    private func event(_ topic: String, _ key: String, _ value: String) -> Event {
        Event(topic: topic, key: key, value: value, headers: [Self.sourceHeader])
    }

    /// Cents as a JSON number with two decimals.
    static func money(_ cents: Int) -> String {
        let fraction = cents % 100
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
