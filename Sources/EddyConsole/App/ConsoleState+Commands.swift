import EddyClient
import EddyProtocol

extension ConsoleState {
    /// Runs a `:` command line (without the colon). Unknown commands and bad arguments say
    /// what was expected in the status line.
    mutating func runCommand(_ line: String, model: ConsoleModel) -> [ConsoleEffect] {
        let words = line.split(separator: " ").map(String.init)
        guard let name = words.first?.lowercased() else { return [] }
        let args = Array(words.dropFirst())
        func usage(_ text: String) -> [ConsoleEffect] {
            status = .error("usage: :" + text)
            return []
        }
        func brokerId() -> Int32? { args.count == 1 ? Int32(args[0]) : nil }
        switch name {
        case "q", "quit", "exit": return [.quit]
        case "help", "h": return handleViewKey(.character("?"), model: model)
        case "cluster" where !args.isEmpty: return switchCluster(args)
        case "cluster", "brokers", "c": return show(.cluster)
        case "clusters":
            guard !clusterNames.isEmpty else { return noOtherClusters() }
            status = StatusMessage("cluster \(clusterName); configured: \(clusterNames.joined(separator: ", ")); :cluster NAME switches")
            return []
        case "topics", "t": return show(.topics)
        case "status":
            guard args.count <= 1 else { return usage("status [OK|WARN|STOP|STALL|REWIND]") }
            guard let name = args.first, name.lowercased() != "all" else {
                updateViewState(.groups) { $0.status = nil }
                let effects = show(.groups)
                status = StatusMessage("showing every group")
                return effects
            }
            guard let wanted = LagStatus(name: name) else { return usage("status [OK|WARN|STOP|STALL|REWIND]") }
            updateViewState(.groups) { $0.status = wanted; $0.selection = TableSelection() }
            let effects = show(.groups)
            status = StatusMessage("groups with status \(wanted.name); :status shows every group")
            return effects
        case "groups", "g": return show(.groups)
        case "transactions", "txns", "txn": return show(.transactions)
        case "topic":
            guard args.count == 1 else { return usage("topic NAME") }
            guard model.latest == nil || model.latest?.topic(args[0]) != nil else {
                status = .error("UNKNOWN_TOPIC_OR_PARTITION: topic \(args[0]) does not exist; :topics lists the topics")
                return []
            }
            return show(.topic(args[0]))
        case "group":
            guard args.count == 1 else { return usage("group NAME") }
            return show(.group(args[0]))
        case "messages", "m":
            guard args.count >= 2, args.count <= 3, let p = Int32(args[1]), p >= 0 else { return usage("messages TOPIC PARTITION [OFFSET]") }
            let tp = TopicPartition(args[0], p)
            var effects = show(.messages(tp))
            if args.count == 3 {
                guard let offset = Int64(args[2]), offset >= 0 else { return usage("messages TOPIC PARTITION [OFFSET]") }
                effects = loadMessages(MessagesQuery(topicPartition: tp, start: .offset(offset)))
            }
            return effects
        case "theme":
            guard args.count == 1 else {
                status = StatusMessage("theme \(themeName); built in: \(BundledThemes.names.joined(separator: ", ")); :theme NAME|PATH switches")
                return []
            }
            return [.switchTheme(args[0])]
        case "reset":
            guard args.count <= 1 else { return usage("reset [GROUP]") }
            return openReset(group: args.first ?? contextGroup(model), model: model)
        case "produce":
            guard args.count <= 1 else { return usage("produce [TOPIC]") }
            return openProduce(topic: args.first ?? contextTopic(model), model: model)
        case "create", "create-topic", "new":
            return openCreateTopic(model: model)
        case "demo":
            return openDemoMenu(model: model)
        case "stop", "kill", "start":
            guard let id = brokerId() else { return usage("\(name) NODE-ID") }
            // A controller-only node is known from the quorum's voters the model lists.
            let role = model.latest?.brokers.first(where: { $0.id == id })?.role ?? .broker
            let action: DemoCommand.NodeAction = name == "stop" ? .stop : name == "kill" ? .kill : .start
            return demo(.node(action, id, role: role), model: model)
        case "pause", "resume":
            guard args.count == 1 else { return usage("\(name) WORKER") }
            return demo(.setPaused(worker: args[0], paused: name == "pause"), model: model)
        case "rate":
            guard args.count == 2, let rate = Double(args[1]), rate.isFinite, rate >= 0 else { return usage("rate PRODUCER RECORDS-PER-SECOND") }
            return demo(.setRate(producer: args[0], recordsPerSecond: rate), model: model)
        case "add-member", "remove-member":
            guard args.count <= 1, let group = args.first ?? contextGroup(model) else { return usage("\(name) GROUP") }
            return demo(name == "add-member" ? .addMember(group: group) : .removeMember(group: group), model: model)
        default:
            status = .error("unknown command :\(name); ? lists the commands")
            return []
        }
    }

    /// `:cluster NAME`: leave for another named cluster of the clusters file.
    private mutating func switchCluster(_ args: [String]) -> [ConsoleEffect] {
        guard !clusterNames.isEmpty else { return noOtherClusters() }
        guard args.count == 1 else {
            status = .error("usage: :cluster NAME (one of \(clusterNames.joined(separator: ", ")))")
            return []
        }
        guard clusterNames.contains(args[0]) else {
            status = .error("no cluster named \(args[0]); configured: \(clusterNames.joined(separator: ", "))")
            return []
        }
        guard args[0] != clusterName else {
            status = StatusMessage("already on cluster \(clusterName)")
            return []
        }
        return [.switchCluster(args[0])]
    }

    private mutating func noOtherClusters() -> [ConsoleEffect] {
        status = .error("no other clusters: start the console with --cluster NAME, from clusters named in $XDG_CONFIG_HOME/eddy/clusters.properties")
        return []
    }
}
