import EddyProtocol

/// What the network server hands decoded requests to: the broker with id `node`. The
/// in-process transport is one (it delivers to the cluster's brokers); the contract is
/// `Transport`'s: the completion is called exactly once, possibly on another thread.
public typealias RequestDispatcher = Transport

/// One request frame, decoded and classified, as the connection handler acts on it.
enum DecodedRequest {
    /// A request for the broker, answered in `version` with this header's correlation id.
    case request(KafkaRequest, header: Wire.RequestHeader)
    /// ApiVersions, answered by the server itself: the served versions, or UNSUPPORTED_VERSION
    /// in v0 for a version it does not know (the client then retries with one from the list).
    case apiVersions(header: Wire.RequestHeader, supported: Bool)
    /// An API or version eddy does not serve: Kafka closes the connection.
    case unsupported(header: Wire.RequestHeader)
    /// SaslHandshake or SaslAuthenticate, which the connection answers (see `SaslServerSession`).
    case sasl(SaslRequest, header: Wire.RequestHeader)

    enum SaslRequest {
        case handshake(Wire.SaslHandshakeRequest)
        case authenticate(Wire.SaslAuthenticateRequest)
        /// A bare token after a SaslHandshake v0.
        case token([UInt8])
    }

    /// Decodes a frame (without its size prefix).
    static func decode(_ frame: [UInt8]) throws(ProtocolError) -> DecodedRequest {
        let header = try Wire.decodeRequestHeader(frame)
        let key = header.requestApiKey, version = header.requestApiVersion
        if key == Wire.apiVersionsKey {
            guard SupportedApis.supports(key, version) else { return .apiVersions(header: header, supported: false) }
            _ = try Wire.decodeRequest(frame)  // a malformed body still fails the connection
            return .apiVersions(header: header, supported: true)
        }
        guard SupportedApis.supports(key, version) else { return .unsupported(header: header) }
        let decoded = try Wire.decodeRequest(frame)
        switch decoded.body {
        case let m as Wire.SaslHandshakeRequest: return .sasl(.handshake(m), header: decoded.header)
        case let m as Wire.SaslAuthenticateRequest: return .sasl(.authenticate(m), header: decoded.header)
        default: break
        }
        guard let body = decoded.body, let request = KafkaRequest(wire: body, version: version) else {
            return .unsupported(header: header)
        }
        return .request(request, header: decoded.header)
    }

    /// The ApiVersions response frame for `header`.
    static func apiVersionsResponse(header: Wire.RequestHeader, supported: Bool) throws(ProtocolError) -> [UInt8] {
        if supported {
            return try Wire.encodeResponse(SupportedApis.apiVersionsResponse(), version: header.requestApiVersion,
                                           correlationId: header.correlationId)
        }
        return try Wire.encodeResponse(SupportedApis.apiVersionsResponse(errorCode: .unsupportedVersion), version: 0,
                                       correlationId: header.correlationId)
    }
}
