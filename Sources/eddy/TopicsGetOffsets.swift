import ArgumentParser
import EddyClient
import EddyProtocol

extension Topics {
    struct GetOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get-offsets",
            abstract: "Print partitions' offsets, latest or at a time, as kafka-get-offsets does.",
            discussion: """
                One topic:partition:offset line per partition, in Kafka's order (by topic-partition \
                name as text). --time picks the offset: latest (-1, the default: the high watermark), \
                earliest (-2: the log start offset), max-timestamp (-3: the record with the largest \
                timestamp), earliest-local (-4), latest-tiered (-5: none without tiered storage), or a \
                timestamp in ms since the epoch (the first record at or after it). A partition with no \
                such offset (a timestamp after every record's) prints no line. The partitions: \
                --topic (a regular expression the whole name must match; every topic when absent) \
                with --partitions, or --topic-partitions rules such as 'orders:0-3,audit,:5' (topic \
                regex, then N, N-M with M excluded, N- or -M); internal topics are included unless \
                --exclude-internal-topics. A partition whose leader cannot answer is skipped with a \
                line on standard error; none matching is an error.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("Topics whose whole name matches this regular expression (commas separate alternatives).",
                                   valueName: "regex"))
        var topic: String?

        @Option(help: ArgumentHelp("Comma-separated partition ids of those topics (all when absent).", valueName: "ids"))
        var partitions: String?

        @Option(help: ArgumentHelp("Comma-separated rules TOPIC-REGEX[:N|N-M|N-|-M], instead of --topic and --partitions.",
                                   valueName: "rules"))
        var topicPartitions: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("latest (-1), earliest (-2), max-timestamp (-3), earliest-local (-4), latest-tiered (-5) or a timestamp in ms.",
                                   valueName: "time"))
        var time = "latest"

        @Flag(help: "Leave out internal topics (__consumer_offsets, __transaction_state).")
        var excludeInternalTopics = false

        func validate() throws {
            if topicPartitions != nil, topic != nil || partitions != nil {
                throw ValidationError("--topic-partitions cannot be used with --topic or --partitions")
            }
            _ = try filter()
            _ = try Self.offsetSpec(time)
        }

        func filter() throws -> TopicPartitionFilter {
            do {
                if let topicPartitions { return try TopicPartitionFilter(topicPartitions: topicPartitions) }
                return try TopicPartitionFilter(topic: topic, partitions: partitions)
            } catch {
                throw ValidationError(error.description)
            }
        }

        /// Kafka's `--time` values, names and numbers.
        static func offsetSpec(_ time: String) throws -> Admin.OffsetSpec {
            switch time {
            case "latest", "-1": return .latest
            case "earliest", "-2": return .earliest
            case "max-timestamp", "-3": return .maxTimestamp
            case "earliest-local", "-4": return .earliestLocal
            case "latest-tiered", "-5": return .latestTiered
            default:
                guard let ms = Int64(time), ms >= 0 else {
                    throw ValidationError("--time must be latest (-1), earliest (-2), max-timestamp (-3), earliest-local (-4), "
                        + "latest-tiered (-5) or a timestamp in ms since the epoch, not '\(time)'")
                }
                return .forTimestamp(ms)
            }
        }

        func run() throws {
            let filter = try self.filter(), spec = try Self.offsetSpec(time), listInternal = !excludeInternalTopics
            let (selected, results) = try Groups.withExistingAdmin(common, clientId: "eddy-get-offsets") { admin in
                let names = filter.allowedTopics(try await admin.listTopics(listInternal: listInternal).map(\.name))
                let described = names.isEmpty ? [:] : try await admin.describeTopics(names)
                let selected = filter.select(described.mapValues { $0.partitions.map(\.partition) })
                guard !selected.isEmpty else { return (selected, [TopicPartition: Result<Admin.ListOffsetsResultInfo, ClientError>]()) }
                let results = try await admin.listOffsetsByPartition(Dictionary(uniqueKeysWithValues: selected.map { ($0, spec) }))
                return (selected, results)
            }
            guard !selected.isEmpty else { throw EddyError("could not match any topic-partitions with the specified filters; see eddy topics list and eddy topics describe") }
            for tp in selected {
                switch results[tp] {
                case let .success(info)?:
                    // No record at or after the time (or nothing tiered): no line, as Kafka's tool.
                    if info.offset >= 0 { print("\(tp.topic):\(tp.partition):\(info.offset)") }
                case let .failure(error)?:
                    printNotice("Skip getting offsets for topic-partition \(tp.topic)-\(tp.partition) due to error: "
                        + (ErrorMapping.message(for: error) ?? "\(error)"))
                case nil:
                    printNotice("Skip getting offsets for topic-partition \(tp.topic)-\(tp.partition): no answer")
                }
            }
        }
    }
}
