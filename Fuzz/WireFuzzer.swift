// libFuzzer target over eddy's wire decoding: the frame decoder and every request and response
// decoder of the codec, in every version (built and run by scripts/fuzz; not part of the
// package). Each input is split into frames as a connection would split it; each frame is
// decoded as a request, and its bytes are also decoded as each response type in a version the
// input selects. Anything but a clean `ProtocolError` is a bug: a trap, an out-of-bounds read
// (AddressSanitizer), or an allocation sized by an unchecked length (-malloc_limit_mb).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // 1. The stream, with a small frame limit, in two splits.
    var decoder = KafkaFrameDecoder(maxFrameSize: 1 << 16)
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    decoder.append(bytes[..<cut])
    var frames: [[UInt8]] = []
    do {
        while let f = try decoder.next() { frames.append(f) }
        decoder.append(bytes[cut...])
        while let f = try decoder.next() { frames.append(f) }
    } catch {}
    // 2. The whole input as one request frame, and every frame found.
    for frame in [bytes] + frames {
        if let request = try? Wire.decodeRequest(frame), let body = request.body {
            _ = KafkaRequest(wire: body, version: request.header.requestApiVersion)
            // What decodes must encode again.
            var w = ByteWriter()
            _ = try? body.write(to: &w, version: request.header.requestApiVersion)
        }
    }
    // 3. The input after two selector bytes as a response of one API in one version.
    guard bytes.count >= 2 else { return 0 }
    let types = Wire.responseTypes.keys.sorted()
    let key = types[Int(bytes[0]) % types.count]
    let type = Wire.responseTypes[key]!
    let span = Int(type.validVersions.upperBound - type.validVersions.lowerBound) + 1
    let version = type.validVersions.lowerBound + Int16(Int(bytes[1]) % span)
    decodeResponse(type, Array(bytes[2...]), version: version)
    return 0
}

func decodeResponse<M: WireApiMessage>(_: M.Type, _ frame: [UInt8], version: Int16) {
    if let (_, message) = try? Wire.decodeResponse(M.self, frame, version: version) {
        _ = KafkaResponse(wire: message, version: version)
    }
}
