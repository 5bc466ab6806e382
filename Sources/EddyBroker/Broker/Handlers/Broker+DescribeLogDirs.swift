import EddyProtocol
import EddyStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Broker {
    /// DescribeLogDirs (API 35) on one broker: its one log directory (`broker-<id>`), every
    /// partition replica it holds there that the request names, with the size of its
    /// segments and Kafka's offset lag for a current log (its high watermark minus its log end,
    /// at least 0), and the volume's total and usable bytes (statvfs; -1 if that fails).
    /// A named partition the broker does not hold is left out, as Kafka does. Caller holds the lock.
    func handleDescribeLogDirs(_ request: DescribeLogDirsRequest) -> DescribeLogDirsResponse {
        var byTopic: [String: [DescribeLogDirsResponse.Partition]] = [:]
        for (tp, replica) in replicas where request.names(tp) {
            let log = replica.log
            byTopic[tp.topic, default: []].append(.init(partitionIndex: tp.partition, partitionSize: log.sizeInBytes,
                                                         offsetLag: max(0, log.highWatermark - log.logEndOffset)))
        }
        let topics = byTopic.sorted { $0.key < $1.key }.map { name, partitions in
            DescribeLogDirsResponse.Topic(name: name, partitions: partitions.sorted { $0.partitionIndex < $1.partitionIndex })
        }
        let directory = logManager.directory
        let volume = Self.volumeBytes(directory)
        return DescribeLogDirsResponse(results: [.init(logDir: directory, topics: topics, totalBytes: volume.total, usableBytes: volume.usable)])
    }

    /// The size of the volume holding `path`, and the bytes an unprivileged writer may still use.
    static func volumeBytes(_ path: String) -> (total: Int64, usable: Int64) {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return (-1, -1) }
        let unit = Int64(s.f_frsize)
        return (Int64(s.f_blocks) * unit, Int64(s.f_bavail) * unit)
    }
}
