// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "eddy",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "eddy", targets: ["eddy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // Hardware CRC-32C (SSE4.2 / ARMv8 CRC) with a slice-by-8 fallback.
        .target(name: "CEddyCRC"),
        // Kafka formats and messages; no I/O.
        .target(name: "EddyProtocol", dependencies: ["CEddyCRC"]),
        // SASL's messages: PLAIN, and SCRAM (RFC 5802/7677) with swift-crypto's HMAC, SHA-2 and
        // PBKDF2. Apart from EddyProtocol, whose fuzz harness is built from its sources alone.
        .target(name: "EddySasl", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        // Partition log on disk.
        .target(name: "EddyStorage", dependencies: [
            "EddyProtocol",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The controller quorum's Raft (KIP-595): a pure state machine, no I/O.
        .target(name: "EddyRaft", dependencies: ["EddyProtocol"]),
        // Brokers, controller and metadata log.
        .target(name: "EddyBroker", dependencies: [
            "EddyProtocol", "EddySasl", "EddyStorage", "EddyRaft",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // SwiftNIO listeners that frame bytes and hand requests to the brokers.
        .target(name: "EddyServer", dependencies: [
            "EddyProtocol", "EddySasl",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Producer, consumer, admin: talk to brokers only through the transport.
        .target(name: "EddyClient", dependencies: [
            "EddyProtocol", "EddySasl",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // ncursesw (wide characters) and the locale functions the console needs.
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"])]),
        // The operations console: pure rendering (cell grids, widgets, themes) and a thin
        // ncurses painter. Talks to the cluster only through the client.
        .target(name: "EddyConsole", dependencies: ["EddyClient", "EddyProtocol", "CNCurses"]),
        // Executable: argument parsing and wiring only.
        .executableTarget(name: "eddy", dependencies: [
            "EddyProtocol", "EddySasl", "EddyStorage", "EddyBroker", "EddyServer", "EddyClient", "EddyConsole",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Fixtures/ (golden frames from real clients) is read through #filePath, not bundled.
        .testTarget(name: "EddyProtocolTests", dependencies: ["EddyProtocol"], exclude: ["Fixtures"]),
        .testTarget(name: "EddySaslTests", dependencies: ["EddySasl"]),
        .testTarget(name: "EddyStorageTests", dependencies: ["EddyStorage", "EddyProtocol", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "EddyRaftTests", dependencies: ["EddyRaft", "EddyProtocol"]),
        .testTarget(name: "EddyBrokerTests", dependencies: ["EddyBroker", "EddyStorage", "EddyProtocol", "EddySasl", "EddyRaft"]),
        .testTarget(name: "EddyServerTests", dependencies: ["EddyServer", "EddyProtocol", "EddySasl", .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .testTarget(name: "EddyClientTests", dependencies: [
            "EddyClient", "EddyProtocol", "EddySasl", "EddyBroker", "EddyStorage", "EddyServer",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Snapshots/*.txt are read and rewritten through #filePath, not bundled.
        .testTarget(name: "EddyConsoleTests", dependencies: ["EddyConsole", "CNCurses", "EddyClient", "EddyProtocol", "EddyBroker", "EddyStorage"], exclude: ["Snapshots"]),
        .testTarget(name: "EndToEndTests", dependencies: ["EddyProtocol", "EddyStorage"]),
    ],
    swiftLanguageModes: [.v6]
)
