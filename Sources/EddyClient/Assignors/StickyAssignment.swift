import EddyProtocol

/// The algorithm shared by "sticky" and "cooperative-sticky" (Kafka's `AbstractStickyAssignor`),
/// written as one pure computation.
///
/// 1. **Previous owners.** A member's claim on a partition (its `ownedPartitions`) counts only if
///    the partition exists and the member still subscribes to its topic. When several members claim
///    one partition the claim with the highest generation wins (nil counts as -1); a tie at the
///    highest generation invalidates every claim, as in Kafka.
/// 2. **Keep.** Every valid claim stays where it is.
/// 3. **Fill.** Unowned partitions, those with the fewest eligible members first, each go to the
///    eligible member with the fewest partitions.
/// 4. **Balance.** While some partition could move from a member with `c` partitions to an
///    eligible member with at most `c - 2`, the move with the largest gap is made (a partition the
///    member did not own before moves first). Each move strictly lowers the sum of squared counts,
///    so this ends; at the end no single move improves balance, which is Kafka's `isBalanced`.
///    With identical subscriptions that means max - min <= 1, reached with the fewest moves.
///
/// Ties are broken by member id and partition order, so every member computes the same result.
struct StickyAssignment {
    /// The new assignment, every member present, lists sorted.
    var assignment: [String: [TopicPartition]]
    /// Valid previous owner of each partition (step 1).
    var previousOwner: [TopicPartition: String]

    init(partitionsPerTopic: [String: Int], subscriptions: [String: Subscription]) {
        let members = subscriptions.keys.sorted()
        var eligible: [String: [String]] = [:]   // topic -> subscribed members, sorted
        for member in members {
            for topic in Set(subscriptions[member]!.topics) where (partitionsPerTopic[topic] ?? 0) > 0 {
                eligible[topic, default: []].append(member)
            }
        }
        let allPartitions = eligible.keys.sorted().flatMap { partitionsPerTopic.partitions(of: $0) }

        // 1. Previous owners.
        var claims: [TopicPartition: (generation: Int32, members: [String])] = [:]
        for member in members {
            let subscription = subscriptions[member]!
            let topics = Set(subscription.topics)
            let generation = subscription.generationId ?? -1
            for tp in Set(subscription.ownedPartitions)
            where topics.contains(tp.topic) && tp.partition >= 0
                && Int(tp.partition) < (partitionsPerTopic[tp.topic] ?? 0) {
                if let existing = claims[tp], existing.generation > generation { continue }
                if let existing = claims[tp], existing.generation == generation {
                    claims[tp]!.members.append(member)
                } else {
                    claims[tp] = (generation, [member])
                }
            }
        }
        let previous = claims.compactMapValues { $0.members.count == 1 ? $0.members[0] : nil }
        previousOwner = previous

        // 2. Keep.
        var owned: [String: Set<TopicPartition>] = Dictionary(uniqueKeysWithValues: members.map { ($0, []) })
        for (tp, member) in previous { owned[member]!.insert(tp) }

        // 3. Fill.
        let unowned = allPartitions.filter { previous[$0] == nil }
            .sorted { (eligible[$0.topic]!.count, $0) < (eligible[$1.topic]!.count, $1) }
        for tp in unowned {
            let target = eligible[tp.topic]!.min { (owned[$0]!.count, $0) < (owned[$1]!.count, $1) }!
            owned[target]!.insert(tp)
        }

        // 4. Balance.
        while true {
            var best: (gap: Int, fresh: Int, from: String, tp: TopicPartition, to: String)?
            let lowest = owned.values.map(\.count).min() ?? 0
            for from in members.sorted(by: { (owned[$1]!.count, $0) < (owned[$0]!.count, $1) }) {
                let count = owned[from]!.count
                if count - lowest < 2 || count - lowest < (best?.gap ?? 0) { break }
                for tp in owned[from]!.sorted() {
                    guard let to = eligible[tp.topic]!.lazy.filter({ $0 != from })
                        .min(by: { (owned[$0]!.count, $0) < (owned[$1]!.count, $1) }) else { continue }
                    let gap = count - owned[to]!.count
                    let fresh = previous[tp] == from ? 0 : 1
                    guard gap >= 2 else { continue }
                    if let b = best, (b.gap, b.fresh) >= (gap, fresh) { continue }
                    best = (gap, fresh, from, tp, to)
                }
            }
            guard let move = best else { break }
            owned[move.from]!.remove(move.tp)
            owned[move.to]!.insert(move.tp)
        }
        assignment = owned.mapValues { $0.sorted() }
    }
}
