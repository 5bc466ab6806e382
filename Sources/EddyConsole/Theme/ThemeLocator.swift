import Foundation

/// Finds and loads themes by name or path (`--theme NAME|PATH`, `:theme NAME`).
///
/// An argument containing `/` or ending in `.theme` is a path (relative to the current
/// directory). Otherwise it is a name, looked up as `NAME.theme` in, in order:
/// 1. the user's theme directory: `$XDG_CONFIG_HOME/eddy/themes` when `XDG_CONFIG_HOME` is set
///    to an absolute path, else `$HOME/.config/eddy/themes`;
/// 2. the bundled theme directories next to the executable: for the executable's directory
///    (symbolic links resolved) and its four nearest ancestors, `DIR/themes` and
///    `DIR/share/eddy/themes` (so both `.build/debug/eddy` in a checkout and an installed
///    `PREFIX/bin/eddy` with `PREFIX/share/eddy/themes` work);
/// 3. `themes` under the current directory;
/// 4. the compiled-in copies of the bundled themes (`BundledThemes`).
/// Roles a loaded file leaves out take the default theme's look.
public struct ThemeLocator: Sendable {
    public var environment: [String: String]
    public var executablePath: String?
    public var currentDirectory: String
    /// Reads a file's text; nil when it does not exist. Throws `ThemeError.unreadable` for
    /// files that exist but cannot be read.
    public var readFile: @Sendable (String) throws(ThemeError) -> String?

    public init(
        environment: [String: String], executablePath: String?, currentDirectory: String,
        readFile: @escaping @Sendable (String) throws(ThemeError) -> String? = ThemeLocator.readFromDisk
    ) {
        self.environment = environment
        self.executablePath = executablePath
        self.currentDirectory = currentDirectory
        self.readFile = readFile
    }

    /// The locator for this process: its environment, executable and working directory.
    public static func live() -> ThemeLocator {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        return ThemeLocator(
            environment: ProcessInfo.processInfo.environment, executablePath: exe,
            currentDirectory: FileManager.default.currentDirectoryPath)
    }

    /// The user's theme directory, if a home or XDG directory is known.
    public var userDirectory: String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return join(xdg, "eddy/themes") }
        if let home = environment["HOME"], !home.isEmpty { return join(home, ".config/eddy/themes") }
        return nil
    }

    /// Every directory searched for `NAME.theme`, in search order, without duplicates.
    public var searchDirectories: [String] {
        var dirs: [String] = []
        if let user = userDirectory { dirs.append(user) }
        if let exe = executablePath, exe.hasPrefix("/") {
            var dir = parent(exe)
            for _ in 0..<5 {
                dirs.append(join(dir, "themes"))
                dirs.append(join(dir, "share/eddy/themes"))
                if dir == "/" { break }
                dir = parent(dir)
            }
        }
        dirs.append(join(currentDirectory, "themes"))
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }

    /// Loads a theme by name or path (see the type's search rules).
    public func load(_ nameOrPath: String) throws(ThemeError) -> Theme {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") {
            let path = nameOrPath.hasPrefix("/") ? nameOrPath : join(currentDirectory, nameOrPath)
            guard let text = try readFile(path) else { throw .unreadable(path: nameOrPath, reason: "no such file") }
            return try ThemeParser.parse(text, name: nameOrPath, source: nameOrPath, fallback: BundledThemes.default)
        }
        guard !nameOrPath.isEmpty, nameOrPath.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw .invalidName(nameOrPath)
        }
        let directories = searchDirectories
        for dir in directories {
            let path = join(dir, nameOrPath + ".theme")
            if let text = try readFile(path) {
                return try ThemeParser.parse(text, name: nameOrPath, source: path, fallback: BundledThemes.default)
            }
        }
        if let builtIn = BundledThemes.theme(named: nameOrPath) { return builtIn }
        throw .notFound(name: nameOrPath, searched: directories)
    }

    /// Names of every theme found (search directories and built in), sorted, for completion
    /// and `:theme` listings.
    public func availableNames(listDirectory: (String) -> [String] = ThemeLocator.listDirectory) -> [String] {
        var names = Set(BundledThemes.names)
        for dir in searchDirectories {
            for file in listDirectory(dir) where file.hasSuffix(".theme") && !file.hasPrefix(".") {
                names.insert(String(file.dropLast(".theme".count)))
            }
        }
        return names.sorted()
    }

    @Sendable
    public static func readFromDisk(_ path: String) throws(ThemeError) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "is a directory") }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "not readable as UTF-8 text")
        }
    }

    public static func listDirectory(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    private func join(_ dir: String, _ component: String) -> String {
        dir.hasSuffix("/") ? dir + component : dir + "/" + component
    }

    private func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
