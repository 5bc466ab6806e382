import EddyProtocol

/// The fetching half of the consumer (Kafka's `Fetcher`): Fetch requests to partition leaders,
/// decoded in the task that receives the response, buffered until `poll` hands them out.
extension Consumer {
    /// One Fetch to send: the broker, the request, and the position each partition was fetched from.
    struct PlannedFetch {
        let node: Int32
        let request: FetchRequest
        let positions: [TopicPartition: Int64]
    }

    /// Sends a Fetch to every leader of fetchable partitions that has none in flight and is not
    /// backing off. A partition is fetchable when it is assigned, has a position, is not
    /// paused, and has no fetched data waiting in the buffer.
    func sendFetches() {
        let metadata = client.metadata
        let now = ClientTime.monotonicMs()
        let planned: [PlannedFetch] = lock.withLock {
            guard !state.closing else { return [] }
            var perNode: [Int32: [(TopicPartition, Int64, Int32)]] = [:]
            for tp in state.subscriptions.fetchable where !state.buffer.contains(tp) {
                guard let p = metadata.partition(tp), p.leader >= 0 else {
                    state.metadataRefreshNeeded = true
                    continue
                }
                if state.fetchesInFlight.contains(p.leader) { continue }
                if let until = state.fetchBackoffUntil[p.leader], until > now { continue }
                perNode[p.leader, default: []].append((tp, state.subscriptions.position(tp)!, p.leaderEpoch))
            }
            return perNode.keys.sorted().map { node in
                let partitions = perNode[node]!
                var topics: [FetchRequest.FetchTopic] = []
                var index: [String: Int] = [:]
                for (tp, position, epoch) in partitions {
                    let fp = FetchRequest.FetchPartition(partition: tp.partition, currentLeaderEpoch: epoch, fetchOffset: position,
                                                         partitionMaxBytes: config.maxPartitionFetchBytes)
                    if let i = index[tp.topic] {
                        topics[i].partitions.append(fp)
                    } else {
                        index[tp.topic] = topics.count
                        topics.append(FetchRequest.FetchTopic(topic: tp.topic, partitions: [fp]))
                    }
                }
                state.fetchesInFlight.insert(node)
                state.fetchBackoffUntil[node] = nil
                let request = FetchRequest(maxWaitMs: config.fetchMaxWaitMs, minBytes: config.fetchMinBytes,
                                           maxBytes: config.fetchMaxBytes, isolationLevel: config.isolationLevel, topics: topics)
                return PlannedFetch(node: node, request: request,
                                    positions: Dictionary(uniqueKeysWithValues: partitions.map { ($0.0, $0.1) }))
            }
        }
        for fetch in planned {
            Task { await self.runFetch(fetch) }
        }
    }

    /// Sends one Fetch, decodes what comes back (off the consumer's lock, in parallel with the
    /// application), and buffers it.
    private func runFetch(_ fetch: PlannedFetch) async {
        let started = ClientTime.monotonicMs()
        var completed: [CompletedFetch] = []
        var failed = false
        var anyRecords = false
        do {
            let response = try await client.send(.fetch(fetch.request), to: fetch.node,
                                                 timeoutMs: config.requestTimeoutMs + Int64(config.fetchMaxWaitMs))
            guard case let .fetch(r) = response else { throw ClientError.broker(.unknownServerError, message: "expected a Fetch response") }
            if r.errorCode != .none { failed = true }
            for topic in r.responses {
                // One shared String for every record of the topic.
                let name = fetch.request.topics.first { $0.topic == topic.topic }?.topic ?? topic.topic
                for p in topic.partitions {
                    let tp = TopicPartition(name, p.partitionIndex)
                    guard let position = fetch.positions[tp] else { continue }
                    completed.append(decode(p, tp, position: position))
                    anyRecords = anyRecords || !p.records.isEmpty
                }
            }
        } catch {
            failed = true
        }
        let now = ClientTime.monotonicMs()
        lock.withLock {
            state.fetchesInFlight.remove(fetch.node)
            if failed {
                state.fetchBackoffUntil[fetch.node] = now + config.retryBackoffMs
                state.metadataRefreshNeeded = true
            } else if !anyRecords, now - started < Int64(config.fetchMaxWaitMs) {
                // The broker answered at once with nothing: it does not hold fetches
                // (fetch.max.wait.ms), so don't spin on it.
                state.fetchBackoffUntil[fetch.node] = now + min(config.retryBackoffMs, Int64(config.fetchMaxWaitMs) - (now - started))
            }
            guard !state.closing else { return }
            for c in completed where state.subscriptions.position(c.topicPartition) == c.position {
                state.buffer.add(c)
            }
        }
        signal.notify()
    }

    private func decode(_ p: FetchResponse.PartitionData, _ tp: TopicPartition, position: Int64) -> CompletedFetch {
        guard p.errorCode == .none else {
            return CompletedFetch(topicPartition: tp, position: position, nextOffset: position, highWatermark: p.highWatermark,
                                  logStartOffset: p.logStartOffset, lastStableOffset: p.lastStableOffset, error: p.errorCode)
        }
        do {
            let decoded = try FetchDecoder.decode(p.records, topic: tp.topic, partition: tp.partition, fetchOffset: position,
                                                  checkCrcs: config.checkCrcs,
                                                  abortedTransactions: config.isolationLevel == .readCommitted ? p.abortedTransactions ?? [] : nil)
            return CompletedFetch(topicPartition: tp, position: position, records: decoded.records, nextOffset: decoded.nextOffset,
                                  highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, lastStableOffset: p.lastStableOffset)
        } catch {
            return CompletedFetch(topicPartition: tp, position: position, nextOffset: position, highWatermark: p.highWatermark,
                                  logStartOffset: p.logStartOffset, lastStableOffset: p.lastStableOffset, decodeError: error)
        }
    }

    /// Hands out buffered records (see `FetchBuffer.collect`).
    func collectFetched() throws(ClientError) -> [ConsumerRecord] {
        try withState { (s) throws(ClientError) -> [ConsumerRecord] in
            let collected = try s.buffer.collect(maxRecords: config.maxPollRecords, subscriptions: &s.subscriptions,
                                                 autoOffsetReset: config.autoOffsetReset)
            if collected.metadataRefreshNeeded { s.metadataRefreshNeeded = true }
            return collected.records
        }
    }
}
