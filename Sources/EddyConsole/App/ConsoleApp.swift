import EddyClient
import EddyProtocol
import Foundation

/// How a console run ended.
public enum ConsoleExit: Equatable, Sendable {
    /// `q` (or a signal), with the exit status.
    case quit(Int32)
    /// `:cluster NAME`: the caller opens the console on that named cluster.
    case switchCluster(String)
}

/// Runs the console: checks the terminal, starts curses, and loops until `q`.
///
/// Threads: the painter and all UI state live on one dedicated thread, which waits for keys
/// with a short timeout (so it never occupies a Swift concurrency thread while idle); a task
/// samples the cluster every refresh interval and takes each sample into the model there, off
/// the UI thread (`ConsoleMailbox`); effects run as tasks through `EffectRunner`. Both hand
/// their results to the UI thread through the mailbox, so a frame only renders. A frame is drawn only
/// when something changed: a key, a sample, an outcome, or the demo's workers or caption.
public enum ConsoleApp {
    /// How long the UI thread waits for a key before looking at its mailbox.
    static let keyTimeoutMs: Int32 = 100

    /// Runs until the user quits (`.quit(0)`) or switches clusters.
    ///
    /// - Throws: `TerminalError` before anything is drawn when the terminal cannot run the
    ///   console (the caller prints it and exits with status 2), `ThemeError` when the theme
    ///   cannot be loaded.
    public static func run(client: KafkaClient, insight: (any ClusterInsight)?, controls: (any DemoControls)?,
                           options: ConsoleOptions) async throws -> ConsoleExit {
        if let error = TerminalCheck.check(environment: options.environment) { throw error }
        let locator = options.themeLocator ?? ThemeLocator.live()
        let theme = try locator.load(options.theme)

        let refreshMs = options.refreshMs
        // Samples give up on what does not answer within a few refreshes; actions wait longer.
        let sampleAdmin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: max(2_000, 3 * refreshMs)))
        let actionAdmin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 15_000))
        let source = ClientSnapshotSource(admin: sampleAdmin, insight: insight)
        let runner = EffectRunner(client: client, admin: actionAdmin, controls: controls)
        let mailbox = ConsoleMailbox()

        let sampler = Task.detached {
            await sample(source, every: refreshMs, into: mailbox)
        }
        let result: Result<ConsoleExit, TerminalError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let loop = UILoop(options: options, theme: theme, locator: locator, controls: controls, runner: runner, mailbox: mailbox)
                continuation.resume(returning: loop.run())
            }
            thread.name = "eddy-console-ui"
            thread.stackSize = 8 << 20
            thread.start()
        }
        mailbox.stop()
        sampler.cancel()
        await source.lagTracker.close()
        await runner.close()
        return try result.get()
    }

    /// Takes a sample every `refreshMs` (or at once when the UI asks) until stopped.
    /// Samples are taken into a model of this task's own, posted as copies (see `ConsoleMailbox`).
    static func sample(_ source: any SnapshotSource, every refreshMs: Int64, into mailbox: ConsoleMailbox) async {
        var next = ClientTime.monotonicMs()
        var model = ConsoleModel()
        while !mailbox.isStopped && !Task.isCancelled {
            // The models the UI thread replaced are freed here.
            _ = mailbox.takeRetired()
            if mailbox.takeRefreshRequest() || ClientTime.monotonicMs() >= next {
                next = ClientTime.monotonicMs() + refreshMs
                do throws(ClientError) {
                    let snapshot = try await source.snapshot()
                    model.append(snapshot)
                    mailbox.post(model)
                } catch {
                    mailbox.post(sampleError: ErrorAdvice.text(error))
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The UI thread's loop: keys in, state and model updated, frames painted, effects handed out.
/// Owns the painter; everything here runs on that one thread.
private struct UILoop {
    let options: ConsoleOptions
    let theme: Theme
    let locator: ThemeLocator
    let controls: (any DemoControls)?
    let runner: EffectRunner
    let mailbox: ConsoleMailbox

    func run() -> Result<ConsoleExit, TerminalError> {
        let painter: Painter
        do {
            painter = try Painter(theme: theme, environment: options.environment, ctrlCAsKey: options.ctrlCAsKey)
        } catch {
            return .failure(error)
        }
        defer { painter.shutdown() }
        var model = ConsoleModel()
        var state = ConsoleState(
            clusterName: options.clusterName, themeName: theme.name, readOnly: options.readOnly, hasDemoControls: controls != nil,
            refreshIntervalMs: options.refreshMs, glyphs: painter.glyphs, timeZone: .current,
            screen: ScreenSize(width: painter.width, height: painter.height))
        state.noControlsReason = options.noControlsReason
        state.readOnlyReason = options.readOnlyReason
        state.typedResetConfirmation = options.typedResetConfirmation
        state.clusterNames = options.clusterNames
        var dirty = true
        while true {
            if Painter.stopSignal != 0 { return .success(.quit(0)) }
            var effects: [ConsoleEffect] = []
            let inbox = mailbox.take()
            if var fresh = inbox.model {
                // The UI's own fields carry over; the replaced model goes back to the sampler.
                fresh.workers = model.workers
                fresh.caption = model.caption
                mailbox.retire(model)
                model = fresh
            }
            if let error = inbox.sampleError { model.lastError = error }
            for outcome in inbox.outcomes { effects += state.receive(outcome, model: model) }
            if !inbox.isEmpty { dirty = true }
            if let controls {
                let workers = controls.workloadStatus(), caption = controls.scenarioCaption()
                if workers != model.workers || caption != model.caption {
                    model.workers = workers
                    model.caption = caption
                    dirty = true
                }
            }
            if let exit = carryOut(effects, state: &state, model: model, painter: painter) { return .success(exit) }
            if dirty {
                painter.draw(ConsoleRenderer.render(model: model, state: state, size: state.screen, now: ClientTime.wallClockMs()))
                dirty = false
            }
            guard let key = painter.readKey(timeoutMs: ConsoleApp.keyTimeoutMs) else { continue }
            if key == .resize { state.screen = ScreenSize(width: painter.width, height: painter.height) }
            // Under the minimum size only quitting works; the screen says so.
            if TooSmallScreen.applies(width: state.screen.width, height: state.screen.height), key != .resize {
                if key == .character("q") || key == .control("c") { return .success(.quit(0)) }
                continue
            }
            let keyEffects = state.handle(key, model: model)
            dirty = true
            if let exit = carryOut(keyEffects, state: &state, model: model, painter: painter) { return .success(exit) }
        }
    }

    /// Runs effects; how the console ends when one of them ends it (`quit`, `switchCluster`).
    private func carryOut(_ effects: [ConsoleEffect], state: inout ConsoleState, model: ConsoleModel, painter: Painter) -> ConsoleExit? {
        for effect in effects {
            switch effect {
            case .quit:
                return .quit(0)
            case let .switchCluster(name):
                return .switchCluster(name)
            case .redraw:
                painter.redrawAll()
            case .refresh:
                mailbox.requestRefresh()
            case let .switchTheme(name):
                do {
                    painter.setTheme(try locator.load(name))
                    _ = state.receive(.themeSwitched(name), model: model)
                } catch {
                    state.status = .error("\(error)")
                }
            default:
                let runner = self.runner, mailbox = self.mailbox
                Task.detached {
                    if let outcome = await runner.run(effect) {
                        mailbox.post(outcome)
                        mailbox.requestRefresh()
                    }
                }
            }
        }
        return nil
    }
}
