import Foundation
import Testing

/// The console through the real binary in a real terminal (tmux): what `eddy demo` shows, and
/// keyboard actions changing the cluster. One demo at a time: each runs three brokers and a
/// workload, and the machine may have only two cores.
@Suite(.serialized) struct ConsoleTmuxTests {
    init() throws {
        try #require(TmuxConsole.available, "tmux is not installed (scripts/test installs it)")
    }

    typealias Row = [String]

    /// Topic detail rows: PART LEADER REPLICAS ISR LOG-START LOG-END HW ...
    static func partitions(_ screen: String) -> [Row] {
        TmuxConsole.rows(screen, header: ["PART", "LEADER", "REPLICAS", "ISR", "LOG-END", "HW"]) { $0.count >= 7 && Int($0[0]) != nil }
    }

    static func ids(_ list: String) -> Set<String> { Set(list.split(separator: ",").map(String.init)) }

    /// Group detail rows: TOPIC PART MEMBER LOG-START LOG-END HW LSO POSITION COMMITTED LAG POS-LAG ...
    static func positions(_ screen: String, topic: String = "orders") -> [Row] {
        // TOPIC PART MEMBER LOG-START LOG-END HW LSO POSITION COMMITTED LAG POS-LAG TIME-LAG STATUS OFFSETS
        TmuxConsole.rows(screen, header: ["TOPIC", "PART", "MEMBER", "LOG-START", "LOG-END", "HW", "LSO", "POSITION", "COMMITTED"]) {
            $0.count >= 10 && $0[0] == topic && Int($0[1]) != nil
        }
    }

    /// The sum of one numeric column over `rows`, nil when a cell is not a number.
    static func sum(_ rows: [Row], column: Int) -> Int64? {
        var total: Int64 = 0
        for r in rows {
            guard let v = Int64(r[column]) else { return nil }
            total += v
        }
        return total
    }

    @Test func demoShowsTopicsPartitionsAndTheFourPositionsAndRebalancesOnAMoreMember() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path, "--refresh", "500ms"])
        try t.waitFor("BROKER", "running", seconds: 60)
        try t.press("2")
        try t.waitFor("TOPIC", "orders", "payments", "customers")

        // orders: 6 partitions, each with a leader among its replicas and all three in the ISR.
        try t.command("topic orders")
        let partitions = try t.waitForScreen("orders' 6 partitions with full ISRs") { s -> [Row]? in
            let rows = Self.partitions(s)
            return rows.count == 6 && rows.allSatisfy({ Self.ids($0[3]).count == 3 }) ? rows : nil
        }
        for p in partitions {
            #expect(Self.ids(p[2]) == ["0", "1", "2"], "\(p)")
            #expect(Self.ids(p[3]).contains(p[1]), "the leader is in the ISR: \(p)")
        }

        // shipping: the five positions of each partition, side by side, all known (no
        // transactions: the last stable offset is the high watermark).
        try t.command("group shipping")
        let rows = try t.waitForScreen("shipping's six partitions with five known offsets") { s -> [Row]? in
            let rows = Self.positions(s)
            return rows.count == 6 && rows.allSatisfy({ $0[4 ... 8].allSatisfy { Int64($0) != nil } }) ? rows : nil
        }
        for r in rows {
            let (end, hw, lso, position, committed) = (Int64(r[4])!, Int64(r[5])!, Int64(r[6])!, Int64(r[7])!, Int64(r[8])!)
            #expect(committed <= position && position <= hw && hw <= end && lso == hw, "\(r)")
        }
        #expect(Set(rows.map { $0[2] }) == ["shipping-1", "shipping-2", "shipping-3"])

        // + adds a member: the group rebalances and it gets partitions.
        try t.type("+")
        try t.waitForScreen("shipping-4 owning partitions") { s -> Bool? in
            let members = Set(Self.positions(s).map { $0[2] })
            return members.count == 4 && members.contains("shipping-4") ? true : nil
        }

        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
        #expect(t.stderr().isEmpty)
    }

    @Test func stoppingABrokerShrinksTheISRAndMovesLeadersAndStartingItRestoresBoth() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path, "--refresh", "500ms"])
        try t.waitFor("BROKER", "running", seconds: 60)
        try t.command("topic orders")
        let before = try t.waitForScreen("orders with full ISRs") { s -> [Row]? in
            let rows = Self.partitions(s)
            return rows.count == 6 && rows.allSatisfy({ Self.ids($0[3]).count == 3 }) ? rows : nil
        }
        let leaders = before.map { $0[1] }
        #expect(leaders.contains("1"), "broker 1 leads some partitions: \(before)")

        // Cluster view, second broker (1), x: a controlled shutdown.
        try t.press("1")
        try t.waitFor("BROKER", "STATE")
        try t.press("Down")
        try t.type("x")
        try t.waitForScreen("broker 1 stopped") { s in s.contains("stopped") ? true : nil }
        try t.command("topic orders")
        try t.waitForScreen("1 out of every ISR and of the leaders") { s -> Bool? in
            let rows = Self.partitions(s)
            return rows.count == 6 && rows.allSatisfy({ $0[1] != "1" && !Self.ids($0[3]).contains("1") && Self.ids($0[2]).contains("1") }) ? true : nil
        }

        // u on the same row starts it: it rejoins every ISR and its preferred leaderships return.
        try t.press("1")
        try t.waitFor("BROKER", "STATE")
        try t.type("u")
        try t.command("topic orders")
        try t.waitForScreen("full ISRs and the first leaders back", seconds: 90) { s -> Bool? in
            let rows = Self.partitions(s)
            return rows.count == 6 && rows.allSatisfy({ Self.ids($0[3]).count == 3 }) && rows.map({ $0[1] }) == leaders ? true : nil
        }
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
    }

    /// Topic detail rows while a leader may be down: (partition, leader, down, LOG-END, HW);
    /// `N down` in LEADER takes two words, offsets are nil when shown as `-`.
    static func partitionsWithDownLeaders(_ screen: String) -> [(part: Int, leader: String, down: Bool, end: Int64?, hw: Int64?)] {
        TmuxConsole.rows(screen, header: ["PART", "LEADER", "REPLICAS", "ISR", "LOG-END", "HW"]) { $0.count >= 7 && Int($0[0]) != nil }
            .map { r in
                let down = r.count > 2 && r[2] == "down"
                let cells = down ? [r[0], r[1]] + r[3...] : r
                return (Int(cells[0])!, cells[1], down, Int64(cells[5]), Int64(cells[6]))
            }
    }

    /// X kills broker 0 (also the controller): until the controller fences it, the partitions
    /// it leads read `0 down` and count as unreachable, and the others keep their offsets;
    /// once fenced, every partition has a live leader and offsets again.
    @Test func killingABrokerMarksOnlyItsPartitionsUnreachableUntilItIsFenced() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path, "--refresh", "500ms"])
        try t.waitFor("BROKER", "running", seconds: 60)
        try t.command("topic orders")
        let before = try t.waitForScreen("orders with full ISRs and known offsets") { s -> [Row]? in
            let rows = Self.partitions(s)
            return rows.count == 6 && rows.allSatisfy({ Self.ids($0[3]).count == 3 && Int64($0[5]) != nil }) ? rows : nil
        }
        let led = Set(before.filter { $0[1] == "0" }.map { Int($0[0])! })
        #expect(!led.isEmpty && led.count < 6, "broker 0 leads some partitions, not all: \(before)")

        // Cluster view, first broker (0), X: a crash; the controller notices after 9 s.
        try t.press("1")
        try t.waitFor("BROKER", "STATE")
        try t.type("X")
        try t.waitForScreen("broker 0 killed") { s in s.contains("killed") ? true : nil }
        try t.command("topic orders")
        try t.waitForScreen("broker 0's partitions down and unreachable, the others with offsets") { s -> Bool? in
            let rows = Self.partitionsWithDownLeaders(s)
            guard rows.count == 6, s.contains("unreachable \(led.count)") else { return nil }
            return rows.allSatisfy({ led.contains($0.part) ? $0.down && $0.leader == "0" && $0.hw == nil
                                                           : !$0.down && $0.end != nil && $0.hw != nil }) ? true : nil
        }
        try t.waitForScreen("broker 0 fenced: new leaders, offsets everywhere", seconds: 60) { s -> Bool? in
            let rows = Self.partitionsWithDownLeaders(s)
            return rows.count == 6 && !s.contains("unreachable")
                && rows.allSatisfy({ !$0.down && $0.leader != "0" && $0.hw != nil }) ? true : nil
        }
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
    }

    @Test func resettingAuditToEarliestReplaysIt() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path, "--refresh", "500ms"])
        try t.waitFor("BROKER", "running", seconds: 60)
        try t.command("group audit")
        let lagBefore = try t.waitForScreen("audit committing, with a few hundred records in") { s -> Int64? in
            let rows = Self.positions(s)
            guard rows.count == 6, let committed = Self.sum(rows, column: 8), committed > 300 else { return nil }
            return Self.sum(rows, column: 9)
        }

        // r on the group: the dialog starts at earliest for the whole group; Enter previews; the
        // group is active, so confirming (y) replays: pause, reset, resume.
        try t.type("r")
        try t.waitFor("Reset offsets of group audit")
        try t.press("Enter")
        try t.waitFor("Replay")
        try t.type("y")
        try t.waitForScreen("committed offsets back to 0 and the lag grown") { s -> Bool? in
            let rows = Self.positions(s)
            guard rows.count == 6, rows.allSatisfy({ $0[8] == "0" }), let lag = Self.sum(rows, column: 9) else { return nil }
            return lag > lagBefore ? true : nil
        }
        // audit processes 180 records/s against orders' 120: it drains at about 60/s. Halving
        // orders keeps the drain quick on a busy machine.
        try t.command("rate orders-producer 60")
        var peak: Int64 = 0
        try t.waitForScreen("the lag drained", seconds: 150) { s -> Bool? in
            let rows = Self.positions(s)
            guard rows.count == 6, let lag = Self.sum(rows, column: 9) else { return nil }
            peak = max(peak, lag)
            return peak > 0 && lag <= max(lagBefore, peak / 5) && rows.allSatisfy({ Int64($0[8]).map { $0 > 0 } ?? false }) ? true : nil
        }
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
    }

    /// `eddy` alone runs the demo in a temporary directory, which is gone after `q`.
    @Test func noArgumentsRunsTheDemoInATemporaryDirectoryRemovedOnQuit() throws {
        let tmp = TempDataDir()
        defer { tmp.remove() }
        let t = try TmuxConsole([], environment: ["TMPDIR": tmp.root])
        func demoDirectories() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: tmp.root)) ?? []).filter { $0.hasPrefix("eddy-demo-") }
        }
        try t.waitFor("BROKER", "running", seconds: 60)
        #expect(demoDirectories().count == 1)
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
        #expect(demoDirectories().isEmpty)
    }

    /// `--scenario` shows a caption that advances when what it asks for happened.
    @Test func aScenarioCaptionAdvancesWithTheCluster() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path, "--scenario", "rebalance", "--refresh", "500ms"])
        try t.waitFor("[rebalance 1/3] shipping: 3 members own 2,2,2 partitions.", ":add-member shipping", seconds: 60)
        try t.command("add-member shipping")
        try t.waitFor("[rebalance 2/3] shipping rebalanced: 4 members own 2,2,1,1 partitions.")
        try t.command("remove-member shipping")
        try t.waitFor("[rebalance 3/3]")
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
    }

    /// The delivery experiments count in their captions what they show: lost acknowledgements
    /// duplicate only without idempotence; crashes mid-batch duplicate only downstream of the
    /// at-least-once pipeline, while the transactional one's zombie holds an open transaction.
    /// The integer in `line` between `prefix` and the next `suffix`.
    static func number(_ line: String, before suffix: String, after prefix: String) -> Int? {
        guard let start = line.range(of: prefix)?.upperBound, let end = line[start...].range(of: suffix)?.lowerBound else { return nil }
        return Int(line[start..<end])
    }

    @Test func theDeliveryExperimentsCountTheirDuplicates() throws {
        let idempotence = try TmuxConsole(["demo", "--scenario", "idempotence", "--refresh", "500ms"], width: 220)
        try idempotence.waitForScreen("duplicates in retries-plain only", seconds: 90) { s -> Bool? in
            guard let caption = s.split(separator: "\n").map(String.init).first(where: { $0.contains("[idempotence]") }),
                  let plain = Self.number(caption, before: " duplicate", after: "sent, "),
                  let stored = Self.number(caption, before: " stored", after: "retries-idempotent ") else { return nil }
            return plain > 0 && stored > 10 && caption.hasSuffix("sent, 0 duplicates") ? true : nil
        }
        try idempotence.type("q")
        #expect(try idempotence.waitForExit() == 0, "stderr: \(idempotence.stderr())")

        let eos = try TmuxConsole(["demo", "--scenario", "exactly-once", "--refresh", "500ms"], width: 220)
        try eos.waitForScreen("duplicates downstream of the at-least-once pipeline only", seconds: 90) { s -> Bool? in
            guard let caption = s.split(separator: "\n").map(String.init).first(where: { $0.contains("[exactly-once]") }),
                  let alo = Self.number(caption, before: " duplicate", after: "alo-output "),
                  let eosDups = Self.number(caption, before: " duplicate", after: "eos-output "),
                  let crashes = Self.number(caption, before: " crash", after: "read_committed (") else { return nil }
            return alo > 0 && crashes > 0 && eosDups == 0 ? true : nil
        }
        try eos.press("7")
        try eos.waitFor("eos-pipeline", "Ongoing")
        try eos.type("q")
        #expect(try eos.waitForExit() == 0, "stderr: \(eos.stderr())")
    }

    /// The keys lesson: keys keep their order, and the hot key's partition makes the member that
    /// owns it lag while the others keep up.
    @Test func theKeysScenarioShowsTheHotKeysMemberLagging() throws {
        let keys = try TmuxConsole(["demo", "--scenario", "keys", "--refresh", "500ms"], width: 220)
        try keys.waitForScreen("the hot partition's member lagging, keys in order", seconds: 90) { s -> Bool? in
            guard let caption = s.split(separator: "\n").map(String.init).first(where: { $0.contains("[keys]") }),
                  let read = Self.number(caption, before: " read", after: "│ "),
                  let owner = Self.number(caption, before: " at", after: "│ lag "),
                  let others = Self.number(caption, before: " at the others", after: "), ≤ ") else { return nil }
            return read > 100 && caption.contains(" 0 out of key order") && owner > 100 && others < owner / 4 ? true : nil
        }
        try keys.type("q")
        #expect(try keys.waitForExit() == 0, "stderr: \(keys.stderr())")
    }

    /// The controller-failover lesson: the active controller's node is killed, the other two
    /// elect one, a topic is created under it, and the old one rejoins; the Cluster view shows
    /// the elections.
    @Test func theControllerFailoverScenarioElectsAnotherControllerAndGoesOn() throws {
        let demo = try TmuxConsole(["demo", "--scenario", "controller-failover", "--refresh", "500ms"], width: 240)
        let done = try demo.waitForScreen("a new controller elected, a topic created under it, the old one caught up", seconds: 90) { s -> Bool? in
            guard let caption = s.split(separator: "\n").map(String.init).first(where: { $0.contains("[controller-failover]") }) else { return nil }
            if caption.contains("failed") { return false }
            return caption.contains("done: node ") && caption.contains("was created under it") ? true : nil
        }
        #expect(done, "\(demo.screen())")
        try demo.waitForScreen("the election in the Cluster view", seconds: 30) { s -> Bool? in
            s.contains("elections  epoch ") && s.contains("leader lost") ? true : nil
        }
        try demo.type("q")
        #expect(try demo.waitForExit() == 0, "stderr: \(demo.stderr())")
    }

    typealias Node = (id: Int32, active: Bool, state: String)

    /// The Cluster view's node rows (BROKER STATE ...): the id, whether it is the active
    /// controller ("ctl"), and its state.
    static func nodes(_ screen: String) -> [Node] {
        TmuxConsole.rows(screen, header: ["BROKER", "STATE", "LEADERS"]) { Int32($0[0]) != nil && $0.count >= 2 }
            .map { r in (Int32(r[0])!, r[1] == "ctl", r[1] == "ctl" ? r[2] : r[1]) }
    }

    /// Separate controllers are rows of the Cluster view: X on the active one kills it (the
    /// others elect another), u starts it again, and it follows the new active controller.
    @Test func nodeKeysKillAndStartASeparateController() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let initialized = try Eddy.run(["cluster", "init", "--controller-mode", "separate"] + dir.flag)
        try #require(initialized.status == 0, "\(initialized)")
        let t = try TmuxConsole(["console", "--data-dir", dir.path, "--refresh", "500ms"], width: 120)
        let before = try t.waitForScreen("three brokers, three controllers, one of them active", seconds: 60) { s -> [Node]? in
            let n = Self.nodes(s)
            return n.map(\.id) == [0, 1, 2, 3000, 3001, 3002] && n.filter(\.active).count == 1 && s.contains("controllers 3 of 3 running") ? n : nil
        }
        let row = try #require(before.firstIndex { $0.active })
        let active = before[row].id
        #expect(active >= 3000, "the active controller is a controller-only node: \(before)")

        try t.press("Home")
        for _ in 0 ..< row { try t.press("Down") }
        try t.type("X")
        try t.waitForScreen("controller \(active) killed, another elected") { s -> Bool? in
            let n = Self.nodes(s)
            let killed = n.first { $0.id == active }?.state == "killed"
            let other = n.first { $0.active }.map { $0.id != active && $0.id >= 3000 } ?? false
            return killed && other && s.contains("controllers 2 of 3 running") && s.contains("controller \(active) killed") ? true : nil
        }
        // A metadata change under the new active controller.
        try t.command("stop 1")
        try t.waitForScreen("broker 1 stopped") { s in Self.nodes(s).first { $0.id == 1 }?.state == "stopped" ? true : nil }

        try t.type("u")
        try t.waitForScreen("controller \(active) back as a follower") { s -> Bool? in
            let n = Self.nodes(s)
            return n.first(where: { $0.id == active })?.state == "running" && !(n.first { $0.id == active }?.active ?? true)
                && s.contains("controllers 3 of 3 running") && s.contains("controller \(active) started") ? true : nil
        }
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
    }

    /// The acks lesson: the leader of three topics dies before its (lagging) followers caught
    /// up: acks=0 and acks=1 lose records they were told were written, acks=all none.
    @Test func theAcksScenarioLosesAcknowledgedRecordsOnlyBelowAcksAll() throws {
        let demo = try TmuxConsole(["demo", "--scenario", "acks", "--refresh", "500ms"], width: 260)
        let counts = try demo.waitForScreen("what each producer was told and lost", seconds: 90) { s -> [Int]? in
            guard let caption = s.split(separator: "\n").map(String.init).first(where: { $0.contains("[acks]") }) else { return nil }
            if caption.contains("could not start") { return [] }
            guard caption.contains("died before"),
                  let told1 = Self.number(caption, before: ", lost", after: "acks=1 told "),
                  let lost1 = Self.number(caption, before: " (only", after: "acks=1 told \(told1), lost "),
                  let toldAll = Self.number(caption, before: ", lost", after: "acks=all told "),
                  let lostAll = Self.number(caption, before: " (every", after: "acks=all told \(toldAll), lost ") else { return nil }
            return [told1, lost1, toldAll, lostAll]
        }
        #expect(counts.count == 4 && counts[0] > 0 && counts[1] > 0 && counts[2] > 0 && counts[3] == 0, "\(counts) \(demo.screen())")
        try demo.type("q")
        #expect(try demo.waitForExit() == 0, "stderr: \(demo.stderr())")
    }

    /// `eddy console` opens a directory a demo left: its topics, and its groups' committed
    /// offsets (no consumer runs, so no positions).
    @Test func consoleOpensTheDirectoryADemoLeft() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let demo = try TmuxConsole(["demo", "--data-dir", dir.path, "--refresh", "500ms"])
        try demo.command("group billing")
        try demo.waitForScreen("billing committed") { s in
            let rows = Self.positions(s, topic: "payments")
            return rows.count == 3 && (Self.sum(rows, column: 8) ?? 0) > 0 ? true : nil
        }
        try demo.type("q")
        #expect(try demo.waitForExit() == 0)

        let t = try TmuxConsole(["console", "--data-dir", dir.path, "--refresh", "500ms"])
        try t.press("2")
        try t.waitFor("orders", "payments", "customers", seconds: 60)
        try t.command("group billing")
        let rows = try t.waitForScreen("billing's committed offsets, no positions") { s -> [Row]? in
            let rows = Self.positions(s, topic: "payments")
            return rows.count == 3 && rows.allSatisfy({ $0[7] == "-" && Int64($0[8]) != nil }) ? rows : nil
        }
        #expect((Self.sum(rows, column: 8) ?? 0) > 0)
        try t.type("q")
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")

        // A directory that holds no cluster is an error (after the terminal check).
        let missing = try TmuxConsole(["console", "--data-dir", dir.root + "/nothing"])
        #expect(try missing.waitForExit() == 1)
        #expect(missing.stderr() == "eddy: no eddy data directory at \(dir.root)/nothing; start a demo with: eddy demo --data-dir \(dir.root)/nothing\n")
    }

    /// SIGTERM (and SIGINT) end the console as `q` does: workload stopped, brokers shut down
    /// cleanly (each leaves its clean-shutdown marker), status 0.
    @Test func sigtermStopsTheDemoCleanly() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path])
        try t.waitFor("BROKER", "running", seconds: 60)
        let pid = try #require(t.eddyPid())
        kill(pid, SIGTERM)
        #expect(try t.waitForExit() == 0, "stderr: \(t.stderr())")
        for b in 0 ..< 3 {
            #expect(FileManager.default.fileExists(atPath: dir.brokerDirectory(b) + "/.kafka_cleanshutdown"), "broker \(b)")
        }
    }

    @Test func termDumbIsAClearErrorWithExitStatus2AndNothingOnTheTerminal() throws {
        let t = try TmuxConsole(["demo"], environment: ["TERM": "dumb"], holdAfterExit: true)
        #expect(try t.waitForExit() == 2)
        #expect(t.stderr() == "eddy: terminal type 'dumb' cannot move the cursor; the console needs an interactive terminal; other eddy commands work without one\n")
        #expect(t.screen().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "nothing drawn: \(t.screen())")
    }

    @Test(arguments: [["demo", "--refresh", "50ms"], ["demo", "--refresh", "2h"], ["demo", "--refresh", "soon"],
                      ["demo", "--scenario", "nope"], ["console", "--refresh", "0"], ["demo", "--data-dir", ""]])
    func badOptionsAreUsageErrors(args: [String]) throws {
        let r = try Eddy.run(args)
        #expect(r.status == 2, "\(args): \(r)")
        #expect(r.errLines.count == 1 && r.stderr.hasPrefix("eddy: ") && r.stderr.contains("--help'"), "\(args): \(r)")
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: [["demo"], [], ["console"], ["demo", "--scenario", "replay"]])
    func withoutATerminalEveryConsoleCommandExits2WithOneLine(args: [String]) throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let r = try Eddy.run(args + ["--data-dir", dir.path])
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr == "eddy: standard output is not a terminal; the console needs an interactive terminal; other eddy commands work without one\n", "\(r)")
        #expect(r.stdout.isEmpty, "no escape codes written to the pipe")
        #expect(!FileManager.default.fileExists(atPath: dir.path), "nothing was created")
    }
}
