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

        /// Kafka's `--offset-json-file`: `{"partitions": [{"topic", "partition", "offset"}], "version": 1}`.
        static func parse(offsetJson data: Data, path: String) throws -> [(TopicPartition, Int64)] {
            func bad(_ why: String) -> ValidationError { ValidationError("\(path): \(why)") }
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw bad("not a JSON object") }
            if let version = root["version"], (version as? Int) != 1 { throw bad("unsupported version \(version) (expected 1)") }
            guard let entries = root["partitions"] as? [[String: Any]], !entries.isEmpty else {
                throw bad("expected a non-empty \"partitions\" array")
            }
            var out: [(TopicPartition, Int64)] = []
            for (i, e) in entries.enumerated() {
                guard let topic = e["topic"] as? String, !topic.isEmpty, let p = e["partition"] as? Int, p >= 0, p <= Int(Int32.max),
                      let offset = (e["offset"] as? NSNumber)?.int64Value, offset >= -1 else {
                    throw bad("entry \(i + 1) needs a \"topic\", a \"partition\" (at least 0) and an \"offset\" (at least 0, or -1)")
                }
                let tp = TopicPartition(topic, Int32(p))
                if out.contains(where: { $0.0 == tp }) { throw bad("partition \(tp) is listed more than once") }
                out.append((tp, offset))
            }
            return out
        }

        func run() throws {
            let requested: [(TopicPartition, Int64)]?
            if let offsetJsonFile {
                guard let data = FileManager.default.contents(atPath: offsetJsonFile) else {
                    throw ValidationError("cannot read --offset-json-file \(offsetJsonFile)")
                }
                requested = try Self.parse(offsetJson: data, path: offsetJsonFile)
            } else {
                requested = nil
            }
            let topic = self.topic, partitions = partition, offset = self.offset ?? -1
            let results: [(TopicPartition, Result<Int64, any Error>)]
            if let servers = try common.remote() {
                results = try Remote.withAdmin(servers, clientId: "eddy-topics") { admin in
                    var targets = requested ?? []
                    if let topic {
                        let ids = partitions.isEmpty ? try await admin.describeTopic(topic).partitions.map(\.partition) : partitions
                        targets = ids.map { (TopicPartition(topic, $0), offset) }
                    }
                    var out: [(TopicPartition, Result<Int64, any Error>)] = []
                    for (tp, before) in targets {
                        do {
                            let low = try await admin.deleteRecords([tp: before == -1 ? DeleteRecordsRequest.highWatermark : before])
                            out.append((tp, .success(low[tp] ?? -1)))
                        } catch let error as ClientError where ErrorMapping.kafkaError(error) == .offsetOutOfRange {
                            out.append((tp, .failure(EddyError(kafka: "OFFSET_OUT_OF_RANGE",
                                                               "offset \(before) of \(tp) is above its high watermark: records can only be deleted below it"))))
                        } catch {
                            out.append((tp, .failure(error)))
                        }
                    }
                    return out
                }
            } else {
                let local = try Session.with(common.dataDirectory, create: false) { cluster in
                    var targets = requested ?? []
                    if let topic {
                        let ids = partitions.isEmpty ? try cluster.describeTopic(topic).partitions.map(\.partition) : partitions
                        targets = ids.map { (TopicPartition(topic, $0), offset) }
                    }
                    return targets.map { tp, before in
                        (tp, Result<Int64, any Error> { try cluster.deleteRecords(tp, before: before == -1 ? DeleteRecordsRequest.highWatermark : before) })
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
