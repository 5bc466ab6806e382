import EddyProtocol

/// Topic and cluster IDs: Kafka's 128-bit UUIDs, shown in Kafka's 22-character base64url form.
/// The type lives in EddyProtocol (`KafkaUuid`), where the wire messages carry it too.
public typealias Uuid = KafkaUuid
