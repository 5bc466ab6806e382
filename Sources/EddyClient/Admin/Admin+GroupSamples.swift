import EddyProtocol

extension Admin {
    /// One group as a monitoring sample reads it: its description and committed offsets.
    public struct GroupSample: Sendable, Equatable {
        public var description: ConsumerGroupDescription
        public var committed: [TopicPartition: Int64]
    }

    /// Every group's description and committed offsets with a number of requests bounded by the
    /// coordinators, not the groups (what a console watching thousands of groups needs):
    /// FindCoordinator for the groups whose coordinator the client does not know yet (cached
    /// after), then for each coordinator at once one DescribeGroups naming all its groups and
    /// one OffsetFetch for all of them (v8+, KIP-709; one per group from brokers older than
    /// that). A group that fails (its coordinator moved, the request failed) fails alone, and
    /// its coordinator is looked up again next time.
    public func groupSamples(_ groupIds: [String]) async -> [String: Result<GroupSample, ClientError>] {
        guard !groupIds.isEmpty else { return [:] }
        let client = client, timeout = min(config.defaultApiTimeoutMs, client.requestTimeoutMs)
        var out: [String: Result<GroupSample, ClientError>] = [:]
        // Coordinators, at most 32 lookups in flight.
        var byCoordinator: [Int32: [String]] = [:]
        for start in stride(from: 0, to: groupIds.count, by: 32) {
            let chunk = groupIds[start ..< min(groupIds.count, start + 32)]
            let found = await withTaskGroup(of: (String, Result<Int32, ClientError>).self) { group in
                for id in chunk {
                    group.addTask {
                        // The awaited value is bound before the tuple is built: Swift 6.3.1's
                        // optimiser loses a child's `return (id, try await ...)` from inside a
                        // do/catch (the group then yields nothing; scripts/release-smoke checks).
                        do throws(ClientError) {
                            let node = try await client.coordinator(forGroup: id, timeoutMs: timeout)
                            return (id, .success(node))
                        } catch {
                            return (id, .failure(error))
                        }
                    }
                }
                var all: [(String, Result<Int32, ClientError>)] = []
                for await r in group { all.append(r) }
                return all
            }
            for (id, result) in found {
                switch result {
                case let .success(node): byCoordinator[node, default: []].append(id)
                case let .failure(error): out[id] = .failure(error)
                }
            }
        }
        let perCoordinator = await withTaskGroup(of: [String: Result<GroupSample, ClientError>].self) { group in
            for (node, ids) in byCoordinator {
                group.addTask { await Self.sampleGroups(ids.sorted(), at: node, client: client, timeoutMs: timeout) }
            }
            var all: [String: Result<GroupSample, ClientError>] = [:]
            for await part in group { all.merge(part) { a, _ in a } }
            return all
        }
        out.merge(perCoordinator) { a, _ in a }
        return out
    }

    /// One DescribeGroups and one OffsetFetch (or one per group before v8) to `node`.
    static func sampleGroups(_ ids: [String], at node: Int32, client: KafkaClient,
                             timeoutMs: Int64) async -> [String: Result<GroupSample, ClientError>] {
        var out: [String: Result<GroupSample, ClientError>] = [:]
        func failAll(_ error: ClientError) -> [String: Result<GroupSample, ClientError>] {
            if coordinatorMoved(error) { for id in ids { client.coordinatorFailed(forGroup: id) } }
            return Dictionary(uniqueKeysWithValues: ids.map { ($0, .failure(error)) })
        }
        // Descriptions.
        var descriptions: [String: ConsumerGroupDescription] = [:]
        do throws(ClientError) {
            let response = try await client.send(.describeGroups(DescribeGroupsRequest(groups: ids)), to: node, timeoutMs: timeoutMs)
            guard case let .describeGroups(r) = response else { throw unexpected(response, expected: "DescribeGroups") }
            for id in ids {
                guard let g = r.group(id) else {
                    out[id] = .failure(.broker(.unknownServerError, message: "no DescribeGroups result for group \(id)"))
                    continue
                }
                if g.errorCode == .groupIdNotFound {
                    descriptions[id] = ConsumerGroupDescription(groupId: id, isSimpleConsumerGroup: true, members: [], partitionAssignor: "",
                                                                state: .dead, coordinator: node)
                    continue
                }
                do throws(ClientError) {
                    try check(g.errorCode, g.errorMessage ?? "group \(id)")
                    descriptions[id] = try description(of: g, coordinator: node)
                } catch {
                    if coordinatorMoved(error) { client.coordinatorFailed(forGroup: id) }
                    out[id] = .failure(error)
                }
            }
        } catch {
            return failAll(error)
        }
        // Committed offsets: all groups in one request where the broker reads the group form.
        let described = ids.filter { descriptions[$0] != nil }
        let batched = (client.transport.advertisedVersions(of: node)?[.offsetFetch]?.upperBound ?? SupportedApis.versions[.offsetFetch]!.upperBound) >= 8
        var committed: [String: Result<[TopicPartition: Int64], ClientError>] = [:]
        let requests: [OffsetFetchRequest] = batched
            ? (described.isEmpty ? [] : [OffsetFetchRequest(groups: described.map { .init(groupId: $0, topics: nil) })])
            : described.map { OffsetFetchRequest(groupId: $0, topics: nil) }
        for request in requests {
            do throws(ClientError) {
                let response = try await client.send(.offsetFetch(request), to: node, timeoutMs: timeoutMs)
                guard case let .offsetFetch(r) = response else { throw unexpected(response, expected: "OffsetFetch") }
                for id in request.isBatched ? request.groups.map(\.groupId) : [request.groupId] {
                    let (code, topics) = r.group(id).map { ($0.errorCode, $0.topics) } ?? (r.errorCode, r.topics)
                    if code == .groupIdNotFound { committed[id] = .success([:]); continue }
                    guard code == .none else {
                        let error = ClientError.broker(code, message: "group \(id)")
                        if coordinatorMoved(error) { client.coordinatorFailed(forGroup: id) }
                        committed[id] = .failure(error)
                        continue
                    }
                    var offsets: [TopicPartition: Int64] = [:]
                    for t in topics {
                        for p in t.partitions where p.errorCode == .none && p.committedOffset >= 0 {
                            offsets[TopicPartition(t.name, p.partitionIndex)] = p.committedOffset
                        }
                    }
                    committed[id] = .success(offsets)
                }
            } catch {
                let ids = request.isBatched ? request.groups.map(\.groupId) : [request.groupId]
                for id in ids { committed[id] = .failure(error) }
                if coordinatorMoved(error) { for id in ids { client.coordinatorFailed(forGroup: id) } }
            }
        }
        for id in described {
            switch committed[id] {
            case let .success(offsets)?: out[id] = .success(GroupSample(description: descriptions[id]!, committed: offsets))
            case let .failure(error)?: out[id] = .failure(error)
            case nil: out[id] = .failure(.broker(.unknownServerError, message: "no OffsetFetch result for group \(id)"))
            }
        }
        return out
    }
}
