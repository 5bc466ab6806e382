/// Requests and responses as whole frames: size, header, message (Kafka's protocol guide).
///
/// - A request header is v2 (with a tagged-field section) when the request's version is
///   flexible, else v1: api_key int16, api_version int16, correlation_id int32, client_id
///   (nullable, always a classic int16-length string).
/// - A response header is v1 (correlation_id, tagged fields) when the response's version is
///   flexible, else v0 (correlation_id). Exception: ApiVersions responses always use v0, so a
///   client that does not yet know the broker's versions can read them.
extension Wire {
    public static let apiVersionsKey: Int16 = 18

    public static func requestHeaderVersion(apiKey: Int16, apiVersion: Int16) -> Int16 {
        guard let type = requestTypes[apiKey] else { return 1 }
        return type.isFlexible(apiVersion) ? 2 : 1
    }

    public static func responseHeaderVersion(apiKey: Int16, apiVersion: Int16) -> Int16 {
        guard apiKey != apiVersionsKey, let type = responseTypes[apiKey] else { return 0 }
        return type.isFlexible(apiVersion) ? 1 : 0
    }

    /// A decoded request frame.
    public struct RequestFrame: Sendable {
        public var header: RequestHeader
        /// The request; nil when its API or version is not one the codec knows, which the
        /// caller answers (ApiVersions with UNSUPPORTED_VERSION) or refuses.
        public var body: (any WireApiMessage)?
        /// Bytes left in the frame after the message.
        public var trailingBytes = 0
    }

    /// The header alone: api key, version and correlation id are at fixed places in every
    /// header version, so even a request the codec cannot decode can be answered or logged.
    public static func decodeRequestHeader(_ frame: [UInt8]) throws(ProtocolError) -> RequestHeader {
        try frame.withBytes { (buf) throws(ProtocolError) -> RequestHeader in
            var r = ByteReader(buf)
            var h = try RequestHeader(from: &r, version: 1)
            if requestHeaderVersion(apiKey: h.requestApiKey, apiVersion: h.requestApiVersion) == 2 {
                r = ByteReader(buf)
                h = try RequestHeader(from: &r, version: 2)
            }
            return h
        }
    }

    /// Decodes a request frame (the bytes after the size prefix). Bytes after the message are
    /// ignored, as Kafka's broker ignores them: librdkafka 2.16 sends Metadata v12 requests with
    /// three extra bytes (they are counted in `trailingBytes`).
    public static func decodeRequest(_ frame: [UInt8]) throws(ProtocolError) -> RequestFrame {
        try frame.withBytes { (buf) throws(ProtocolError) -> RequestFrame in
            var r = ByteReader(buf)
            var header = try RequestHeader(from: &r, version: 1)
            let key = header.requestApiKey, version = header.requestApiVersion
            guard let type = requestTypes[key], type.validVersions.contains(version) else {
                return RequestFrame(header: header, body: nil)
            }
            if type.isFlexible(version) {
                r = ByteReader(buf)
                header = try RequestHeader(from: &r, version: 2)
            }
            let body = try type.init(from: &r, version: version)
            return RequestFrame(header: header, body: body, trailingBytes: r.remaining)
        }
    }

    /// A request as a frame with its size prefix.
    public static func encodeRequest<M: WireApiMessage>(_ message: M, version: Int16, correlationId: Int32,
                                                        clientId: String?) throws(ProtocolError) -> [UInt8] {
        guard M.validVersions.contains(version) else { throw .unsupportedVersion(api: M.apiKey, version: version) }
        var w = ByteWriter()
        w.writeInt32(0)
        let header = RequestHeader(requestApiKey: M.apiKey, requestApiVersion: version, correlationId: correlationId, clientId: clientId)
        try header.write(to: &w, version: requestHeaderVersion(apiKey: M.apiKey, apiVersion: version))
        try message.write(to: &w, version: version)
        w.setInt32(Int32(w.count - 4), at: 0)
        return w.bytes
    }

    /// A response as a frame with its size prefix.
    public static func encodeResponse(_ message: any WireApiMessage, version: Int16, correlationId: Int32) throws(ProtocolError) -> [UInt8] {
        var w = ByteWriter()
        w.writeInt32(0)
        let key = type(of: message).apiKey
        try ResponseHeader(correlationId: correlationId).write(to: &w, version: responseHeaderVersion(apiKey: key, apiVersion: version))
        try message.write(to: &w, version: version)
        w.setInt32(Int32(w.count - 4), at: 0)
        return w.bytes
    }

    /// One piece of a response frame as it goes to the socket: bytes, or records that stay in
    /// their file until then (sendfile).
    public enum FramePart: Sendable, Equatable {
        case bytes([UInt8])
        case file(FileRecords)
    }

    /// A response frame (with its size prefix) whose `records` fields are, in the order the
    /// encoder writes them, `fileRecords` where an entry is set: the parts go to the socket one
    /// after another. With no file records it is one part, `encodeResponse`'s bytes.
    public static func encodeResponseParts(_ message: any WireApiMessage, version: Int16, correlationId: Int32,
                                           fileRecords: [FileRecords?]) throws(ProtocolError) -> [FramePart] {
        var w = ByteWriter()
        w.fileRecordsToSplice = fileRecords
        w.writeInt32(0)
        let key = type(of: message).apiKey
        try ResponseHeader(correlationId: correlationId).write(to: &w, version: responseHeaderVersion(apiKey: key, apiVersion: version))
        try message.write(to: &w, version: version)
        let size = w.count - 4 + w.splices.reduce(0) { $0 + $1.records.count }
        guard size <= Int(Int32.max) else { throw .invalidLength(field: "response size", value: Int64(size)) }
        w.setInt32(Int32(size), at: 0)
        var parts: [FramePart] = []
        var from = 0
        for (at, records) in w.splices {
            if at > from { parts.append(.bytes(Array(w.bytes[from ..< at]))) }
            parts.append(.file(records))
            from = at
        }
        if from < w.count || parts.isEmpty { parts.append(.bytes(Array(w.bytes[from...]))) }
        return parts
    }

    /// The correlation id of a response frame (the bytes after the size prefix), which comes
    /// first in every header version.
    public static func responseCorrelationId(_ frame: [UInt8]) throws(ProtocolError) -> Int32 {
        try frame.withBytes { (buf) throws(ProtocolError) -> Int32 in
            var r = ByteReader(buf)
            return try r.wireInt32()
        }
    }

    /// Decodes a response frame of a request sent as `M` in `version`.
    public static func decodeResponse<M: WireApiMessage>(_: M.Type, _ frame: [UInt8], version: Int16) throws(ProtocolError) -> (correlationId: Int32, message: M) {
        try frame.withBytes { (buf) throws(ProtocolError) -> (correlationId: Int32, message: M) in
            var r = ByteReader(buf)
            let header = try ResponseHeader(from: &r, version: responseHeaderVersion(apiKey: M.apiKey, apiVersion: version))
            let m = try M(from: &r, version: version)
            guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
            return (header.correlationId, m)
        }
    }
}
