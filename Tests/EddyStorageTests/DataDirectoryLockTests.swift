import Foundation
import Testing
@testable import EddyStorage

@Suite struct DataDirectoryLockTests {
    private func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "eddy-lock-\(UUID().uuidString)"
        return dir
    }

    @Test func acquireWritesPIDAndCreatesDirectory() throws {
        let dir = tempDir() + "/nested/data"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lock = try DataDirectoryLock(directory: dir, create: true)
        #expect(lock.isHeld)
        #expect(FileManager.default.fileExists(atPath: dir + "/.lock"))
        #expect(DataDirectoryLock.holderPID(directory: dir) == getpid())
        lock.release()
        #expect(!lock.isHeld)
        #expect(DataDirectoryLock.holderPID(directory: dir) == nil)
    }

    @Test func secondAcquireIsRefusedWithHolderPID() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try DataDirectoryLock(directory: dir, create: true)
        // flock belongs to the open file description, so a second open in the same process conflicts too.
        #expect(throws: DataDirectoryLock.LockError.inUse(directory: dir, pid: getpid())) {
            _ = try DataDirectoryLock(directory: dir, create: true)
        }
        let message = DataDirectoryLock.LockError.inUse(directory: dir, pid: 42).description
        #expect(message == "data directory \(dir) is in use by process 42; stop it or use another --data-dir")
        first.release()
        let second = try DataDirectoryLock(directory: dir, create: false)
        #expect(second.isHeld)
    }

    @Test func deinitReleases() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { _ = try DataDirectoryLock(directory: dir, create: true) }
        let again = try DataDirectoryLock(directory: dir, create: false)
        #expect(again.isHeld)
    }

    @Test func staleLockFileDoesNotBlock() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A lock file left by a process that died: it names a PID but nobody holds the flock.
        try "999999\n".write(toFile: dir + "/.lock", atomically: false, encoding: .utf8)
        let lock = try DataDirectoryLock(directory: dir, create: false)
        #expect(DataDirectoryLock.holderPID(directory: dir) == getpid())
        lock.release()
    }

    @Test func missingDirectoryWithoutCreate() {
        let dir = tempDir()
        #expect(throws: DataDirectoryLock.LockError.directoryMissing(dir)) {
            _ = try DataDirectoryLock(directory: dir, create: false)
        }
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func pathThatIsAFileIsAnError() throws {
        let file = tempDir()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "x".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(throws: DataDirectoryLock.LockError.io(operation: "open directory", path: file, errno: ENOTDIR)) {
            _ = try DataDirectoryLock(directory: file, create: true)
        }
    }
}

@Suite struct DataDirectoryLockWaitTests {
    @Test func waitingGivesUpWhileStillHeld() throws {
        let dir = NSTemporaryDirectory() + "eddy-lock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let holder = try DataDirectoryLock(directory: dir, create: true)
        #expect(throws: DataDirectoryLock.LockError.inUse(directory: dir, pid: getpid())) {
            _ = try DataDirectoryLock(directory: dir, create: false, waitMilliseconds: 20)
        }
        holder.release()
        let next = try DataDirectoryLock(directory: dir, create: false, waitMilliseconds: 20)
        #expect(next.isHeld)
    }
}
