import EddyClient
import EddyProtocol

extension DemoWorkload {
    /// Starts one more member of `group` (`<group>-<n+1>`): the group rebalances to give it
    /// partitions (none, if the group already has a member per partition).
    public func addMember(group: String) async throws(ClientError) -> String {
        let spec = try groupSpec(group)
        let name: String = try locked { () throws(ClientError) -> String in
            try checkAvailable(group)
            let highest = consumers.filter { $0.group == group }.compactMap { Self.memberNumber($0.name) }.max() ?? 0
            return "\(group)-\(highest + 1)"
        }
        let worker = try makeConsumer(name: name, spec: spec)
        let count: Int = try locked { () throws(ClientError) -> Int in
            try checkAvailable(group)
            consumers.append(worker)
            return consumers.filter { $0.group == group }.count
        }
        worker.start()
        return "\(name) joins group \(group) (\(count) member\(count == 1 ? "" : "s")): watch its partitions rebalance"
    }

    /// Stops the newest member of `group`: it commits, leaves the group, and the others take
    /// over its partitions.
    public func removeMember(group: String) async throws(ClientError) -> String {
        _ = try groupSpec(group)
        let (worker, left): (DemoConsumerWorker, Int) = try locked { () throws(ClientError) -> (DemoConsumerWorker, Int) in
            try checkAvailable(group)
            let members = consumers.filter { $0.group == group }.sorted(by: Self.memberOrder)
            guard let newest = members.last else {
                throw .illegalState("group \(group) has no demo member left to remove; add one first")
            }
            consumers.removeAll { $0 === newest }
            return (newest, members.count - 1)
        }
        await worker.stop(timeoutMs: 5_000)
        return "\(worker.name) left group \(group) (\(left) member\(left == 1 ? "" : "s") left)"
            + (left == 0 ? ": the group is empty" : ": watch its partitions rebalance")
    }

    /// Takes every member of `group` out of the group (each commits its position and leaves, so
    /// the group becomes Empty and Kafka allows a reset), runs `body`, then starts the same
    /// members again: they join and consume from the committed offsets `body` set. A group with
    /// no member in this process just runs `body`. The members come back whether or not `body`
    /// succeeds; its error is rethrown after. Returns `body`'s result.
    public func withGroupPaused(_ group: String, _ body: @Sendable () async throws(ClientError) -> String) async throws(ClientError) -> String {
        let members: [DemoConsumerWorker] = try locked { () throws(ClientError) -> [DemoConsumerWorker] in
            if heldGroups.contains(group) { throw Self.busy(group) }
            let members = consumers.filter { $0.group == group }.sorted(by: Self.memberOrder)
            guard !members.isEmpty else { return [] }
            heldGroups.insert(group)
            consumers.removeAll { $0.group == group }
            return members
        }
        guard let spec = settings.group(group), !members.isEmpty else { return try await body() }
        await withTaskGroup(of: Void.self) { tasks in
            for m in members { tasks.addTask { await m.stop(timeoutMs: 5_000) } }
        }
        await waitUntilInactive(group, timeoutMs: 15_000)
        let outcome: Result<String, ClientError>
        do throws(ClientError) {
            let value = try await body()
            outcome = .success(value)
        } catch {
            outcome = .failure(error)
        }
        var restarted: [DemoConsumerWorker] = []
        var restartError: ClientError?
        for m in members {
            do throws(ClientError) {
                restarted.append(try makeConsumer(name: m.name, spec: spec))
            } catch {
                restartError = error
            }
        }
        let keep: Bool = lock.withLock {
            heldGroups.remove(group)
            guard !stopped else { return false }
            consumers.append(contentsOf: restarted)
            return true
        }
        if keep { for r in restarted { r.start() } }
        let result = try outcome.get()
        if let restartError { throw restartError }
        return result
    }

    /// Waits until `group` has no members (Empty or Dead), at most `timeoutMs`; a reset then
    /// fails with Kafka's own message if it still has some.
    func waitUntilInactive(_ group: String, timeoutMs: Int64) async {
        let deadline = ClientTime.monotonicMs() + timeoutMs
        while ClientTime.monotonicMs() < deadline {
            if let d = try? await admin.describeConsumerGroup(group), d.members.isEmpty, d.state == .empty || d.state == .dead {
                return
            }
            await ClientTime.sleep(ms: 50)
        }
    }

    func groupSpec(_ group: String) throws(ClientError) -> DemoSettings.GroupSpec {
        guard let spec = settings.group(group) else {
            throw .illegalState("\(group) is not a demo group; demo groups: \(settings.groups.map(\.group).joined(separator: ", "))")
        }
        return spec
    }

    /// Runs `body` under `lock`, keeping its typed error.
    func locked<R>(_ body: () throws(ClientError) -> R) throws(ClientError) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Caller holds `lock`.
    func checkAvailable(_ group: String) throws(ClientError) {
        if stopped { throw .closed("the demo workload has stopped") }
        if heldGroups.contains(group) { throw Self.busy(group) }
    }

    static func busy(_ group: String) -> ClientError {
        .illegalState("group \(group) is paused for an offset reset; try again in a moment")
    }
}
