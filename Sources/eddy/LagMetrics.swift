import EddyClient
import Prometheus

/// A `LagReport` in Prometheus' text exposition format, through swift-prometheus: gauges per
/// group and partition, named as kafka-lag-exporter names them where it has them, so existing
/// dashboards and alerts apply, and `eddy_` for the rest. Every series carries kafka-lag-exporter's
/// `cluster_name` label first (the dashboards filter on it). A fresh registry per report, so
/// partitions and groups that went away leave no stale series.
///
/// | metric | labels | value |
/// | --- | --- | --- |
/// | `kafka_partition_earliest_offset` | topic, partition | log start offset |
/// | `kafka_partition_latest_offset` | topic, partition | high watermark |
/// | `eddy_partition_log_end_offset` | topic, partition | log-end offset |
/// | `kafka_consumergroup_group_offset` | group, topic, partition | committed offset |
/// | `kafka_consumergroup_group_lag` | group, topic, partition | lag |
/// | `kafka_consumergroup_group_lag_seconds` | group, topic, partition | time lag |
/// | `eddy_consumergroup_position` | group, topic, partition | a member's fetch position |
/// | `eddy_consumergroup_position_lag` | group, topic, partition | position lag |
/// | `eddy_consumergroup_lost_records` | group, topic, partition | records deleted unread |
/// | `eddy_consumergroup_partition_status` | group, topic, partition, status | Burrow status: 1 OK, 2 WARN, 3 STOP, 4 STALL, 5 REWIND |
/// | `eddy_consumergroup_status` | group, status | the group's worst status, same codes |
enum LagMetrics {
    static func render(_ report: LagReport, clusterName: String) -> String {
        let registry = PrometheusCollectorRegistry()
        var partitions = Set<String>()
        // The whole name in metricName; an empty unit adds nothing to it.
        func set(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help),
                               labels: [("cluster_name", clusterName)] + labels).set(value)
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Int64?) {
            guard let value else { return }
            set(name, help, labels, Double(value))
        }
        for group in report.groups {
            if let status = group.status, let code = LagStatus(name: status)?.rawValue {
                gauge("eddy_consumergroup_status", "The group's worst partition status (1 OK, 2 WARN, 3 STOP, 4 STALL, 5 REWIND).",
                      [("group", group.group), ("status", status)], Int64(code))
            }
            for p in group.partitions {
                let tp = [("topic", p.topic), ("partition", "\(p.partition)")]
                if partitions.insert("\(p.topic)\u{0}\(p.partition)").inserted {
                    gauge("kafka_partition_earliest_offset", "The partition's log start offset.", tp, p.logStartOffset)
                    gauge("kafka_partition_latest_offset", "The partition's high watermark.", tp, p.highWatermark)
                    gauge("eddy_partition_log_end_offset", "The partition's log-end offset (the leader's, replicated or not).", tp, p.logEndOffset)
                }
                let labels = [("group", group.group)] + tp
                gauge("kafka_consumergroup_group_offset", "The group's committed offset.", labels, p.committedOffset)
                gauge("kafka_consumergroup_group_lag", "High watermark minus the committed offset (records that still exist).", labels, p.lag)
                if let ms = p.timeLagMs {
                    set("kafka_consumergroup_group_lag_seconds", "Age of the record at the committed offset.", labels, Double(ms) / 1000)
                }
                gauge("eddy_consumergroup_position", "A member's fetch position.", labels, p.position)
                gauge("eddy_consumergroup_position_lag", "High watermark minus the fetch position.", labels, p.positionLag)
                gauge("eddy_consumergroup_lost_records", "Records deleted before the group read them.", labels, p.lost)
                if let status = p.status, let code = LagStatus(name: status)?.rawValue {
                    gauge("eddy_consumergroup_partition_status", "Burrow's status (1 OK, 2 WARN, 3 STOP, 4 STALL, 5 REWIND).",
                          labels + [("status", status)], Int64(code))
                }
            }
        }
        return registry.emitToString()
    }
}
