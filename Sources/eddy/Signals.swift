import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT/SIGTERM set a flag that long-running commands (a following `consume`, `produce`
/// reading a terminal) check between steps, so they stop cleanly: output flushed, data
/// directory closed and unlocked. The handlers are installed without SA_RESTART so a blocked
/// read(2) or poll(2) returns EINTR and the flag is seen at once. SIGPIPE is ignored; a closed
/// stdout shows up as EPIPE in `Output`. SIGKILL, of course, cannot be caught: the storage
/// layer's recovery handles that.
enum Signals {
    static let interruptFlag = Atomic<Bool>(false)

    static var interrupted: Bool { interruptFlag.load(ordering: .relaxed) }

    static func install() {
        // A parent may start us with signals blocked (threads of many runtimes block them, and
        // posix_spawn passes the mask on); Ctrl-C must still work.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        signal(SIGPIPE, SIG_IGN)
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in Signals.interruptFlag.store(true, ordering: .relaxed) }
        #else
        action.__sigaction_u.__sa_handler = { _ in Signals.interruptFlag.store(true, ordering: .relaxed) }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
    }
}
