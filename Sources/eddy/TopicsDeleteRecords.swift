import ArgumentParser
import EddyClient
import EddyProtocol
import Foundation

extension Topics {
    struct DeleteRecords: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-records",
            abstract: "Delete a partition's records below an offset, as kafka-delete-records does.",
            discussion: """
                Moves each partition's log start offset (its low watermark) up to the given \
                offset: records below it are deleted and no consumer reads them again (DeleteRecords). \
                The partitions come from --offset-json-file, in kafka-delete-records' format \
                ({"partitions": [{"topic": "t", "partition": 0, "offset": 3}], "version": 1}), or \
                from --topic with --offset (every partition of the topic, or each --partition). An \
                offset of -1 means the high watermark: everything consumers can read now. Prints \
                each partition's new low watermark, or its error (OFFSET_OUT_OF_RANGE above the high \
                watermark); exits 1 if any partition failed.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("A JSON file of partitions and offsets, kafka-delete-records' --offset-json-file.", valueName: "file"))
        var offsetJsonFile: String?

        @Option(help: ArgumentHelp("The topic (instead of --offset-json-file).", valueName: "name"))
        var topic: String?

        @Option(help: ArgumentHelp("Only this partition of --topic (repeatable; default: every partition).", valueName: "n"))
        var partition: [Int32] = []

        @Option(parsing: .unconditional,
                help: ArgumentHelp("With --topic: delete the records below this offset (-1: the high watermark).", valueName: "offset"))
        var offset: Int64?

        func validate() throws {
            if offsetJsonFile != nil {
                guard topic == nil, partition.isEmpty, offset == nil else {
                    throw ValidationError("--offset-json-file cannot be combined with --topic, --partition or --offset")
                }
            } else {
                guard topic != nil, let offset else { throw ValidationError("give --offset-json-file FILE, or --topic TOPIC with --offset OFFSET") }
                guard offset >= -1 else { throw ValidationError("--offset must be at least 0, or -1 for the high watermark") }
                if partition.contains(where: { $0 < 0 }) { throw ValidationError("--partition must not be negative") }
            }
        }

        /// Kafka's `--offset-json-file`: each partition with its `"offset"` (at least 0, or -1),
        /// and `"version": 1` when a version is given.
        static func offsets(inFile path: String) throws -> [(TopicPartition, Int64)] {
            try PartitionsJsonFile.entries(path, flag: "--offset-json-file", version: 1).enumerated().map { i, entry in
                guard let offset = (entry.1["offset"] as? NSNumber)?.int64Value, offset >= -1 else {
                    throw ValidationError("\(path): entry \(i + 1) needs an \"offset\" (at least 0, or -1)")
                }
                return (entry.0, offset)
            }
        }

        func run() throws {
            let requested = try offsetJsonFile.map { try Self.offsets(inFile: $0) }
            let topic = self.topic, partitions = partition, offset = self.offset ?? -1
            let results: [(TopicPartition, Result<Int64, any Error>)]
            if let servers = try common.remote() {
                results = try Remote.withAdmin(servers, clientId: "eddy-topics") { admin in
                    var targets = requested ?? []
                    if let topic {
                        let ids = partitions.isEmpty ? try await admin.describeTopic(topic).partitions.map(\.partition) : partitions
                        targets = ids.map { (TopicPartition(topic, $0), offset) }
                    }
                    // -1 is DeleteRecordsRequest.highWatermark, as in Kafka's file.
                    let answers = try await admin.deleteRecordsByPartition(Dictionary(targets, uniquingKeysWith: { a, _ in a }))
                    return targets.map { tp, before in
                        switch answers[tp] {
                        case let .success(low)?: (tp, .success(low))
                        case .failure(.broker(.offsetOutOfRange, _))?:
                            (tp, .failure(EddyError(kafka: "OFFSET_OUT_OF_RANGE",
                                                    "offset \(before) of \(tp) is above its high watermark: records can only be deleted below it")))
                        case let .failure(error)?: (tp, .failure(error))
                        case nil: (tp, .failure(EddyError("no answer for \(tp)")))
                        }
                    }
                }
            } else {
                let local = try Session.with(common.dataDirectory, create: false) { cluster in
                    var targets = requested ?? []
                    if let topic {
                        let ids = partitions.isEmpty ? try cluster.describeTopic(topic).partitions.map(\.partition) : partitions
                        targets = ids.map { (TopicPartition(topic, $0), offset) }
                    }
                    return targets.map { tp, before in
                        (tp, Result<Int64, any Error> { try cluster.deleteRecords(tp, before: before) })
                    }
                }
                guard let local else { throw EddyError.unknownTopic(topic ?? requested?.first?.0.topic ?? "") }
                results = local
            }
            print("Executing records delete operation")
            print("Records delete operation completed:")
            var failed = false
            for (tp, result) in results {
                switch result {
                case let .success(low): print("partition: \(tp.topic)-\(tp.partition)\tlow_watermark: \(low)")
                case let .failure(error):
                    failed = true
                    print("partition: \(tp.topic)-\(tp.partition)\terror: \(ErrorMapping.message(for: error) ?? "\(error)")")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
