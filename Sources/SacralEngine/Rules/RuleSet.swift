import Crypto
import Foundation

/// One problem with a rule set: a file that does not compile, a declaration that does not fit.
/// File and line are data from where they were found to every report.
public struct RuleProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule file (or directory) concerned; empty when the problem has no file.
    public var file: String
    /// 0 when the problem concerns the file as a whole.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message` (`file: message` without a line).
    public var description: String {
        if file.isEmpty { return message }
        return line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

/// Why a rule set could not be loaded: its problems, each with its file and line.
public struct RuleSetError: Error, Sendable, CustomStringConvertible {
    public var problems: [RuleProblem]

    public init(problems: [RuleProblem]) {
        self.problems = problems
    }

    /// One problem of a file (or of the rule set as a whole, with an empty file).
    public init(file: String = "", line: Int = 0, message: String) {
        problems = [RuleProblem(file: file, line: line, message: message)]
    }

    /// Every problem on its own line, `file:line: message`.
    public var message: String { problems.map(\.description).joined(separator: "\n") }
    public var description: String { message }
}

/// The text of a rule set: every file of a `Rules/` directory, as loaded from disk or from the copy
/// embedded in the binary, with the SHA-256 that identifies it in every output.
public struct RuleSet: Sendable {
    /// One file: its path relative to the rules directory, its name in messages, its text.
    public struct File: Sendable {
        public var relativePath: String
        public var displayPath: String
        public var text: String
    }

    /// Where the rules came from, for people.
    public var origin: String  // var: a git revision names itself
    /// All files, sorted by relative path.
    public var files: [File]
    /// SHA-256 over every file's relative path and content, in path order.
    public var sha256: String

    /// The Lua rule files, in load order (by path; the order does not change the result). The FHIR
    /// mapping (fhir.lua) is data for its own loader (``FHIRMapping``), not a rule file.
    public var luaFiles: [File] {
        let lua = files.filter { $0.relativePath.hasSuffix(".lua") && $0.relativePath != FHIRMapping.fileName }
        return loadsInReverse ? lua.reversed() : lua
    }

    /// For tests: load the files in reverse path order, which must give byte-identical output.
    var loadsInReverse = false

    init(origin: String, files: [File]) {
        self.origin = origin
        self.files = files.sorted { $0.relativePath < $1.relativePath }
        var hasher = SHA256()
        for file in self.files {
            hasher.update(data: Data(file.relativePath.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: Data(file.text.utf8))
            hasher.update(data: Data([0]))
        }
        sha256 = hasher.finalize().lowercaseHex
    }

    /// The largest file the rules directory may hold (the shipped files are a few tens of kB): a
    /// larger one is refused by name before it is read.
    public static let maxFileBytes = 4 << 20

    /// The rules of a directory (all regular files below it, hidden ones excepted).
    public static func load(directory: String) throws(RuleSetError) -> RuleSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuleSetError(file: directory, message: "no such rules directory")
        }
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey, .isSymbolicLinkKey, .fileSizeKey],
                options: [.skipsHiddenFiles])
        else {
            throw RuleSetError(file: directory, message: "cannot be read")
        }
        var files: [File] = []
        let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for case let url as URL in walker {
            let full = url.standardizedFileURL.path
            let relative = full.hasPrefix(root.path + "/") ? String(full.dropFirst(root.path.count + 1)) : url.lastPathComponent
            let kind: URLResourceValues
            do {
                kind = try url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey, .isSymbolicLinkKey])
            } catch {
                throw RuleSetError(file: "\(display)/\(relative)", message: "cannot be read: \(error.localizedDescription)")
            }
            // A link could pull a file from outside the rules into the rule set (and the hash would
            // not say where it came from); a file that is neither a file nor a directory is no rule
            // file. Neither is skipped without a word.
            if kind.isSymbolicLink == true {
                throw RuleSetError(
                    file: "\(display)/\(relative)", message: "is a symbolic link; the rules directory holds regular files only")
            }
            if kind.isDirectory == true { continue }
            guard kind.isRegularFile == true else {
                throw RuleSetError(file: "\(display)/\(relative)", message: "is not a regular file")
            }
            // Checked before reading: a file of gigabytes would otherwise be read, hashed and compiled.
            let size = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
            if size > RuleSet.maxFileBytes {
                throw RuleSetError(
                    file: "\(display)/\(relative)",
                    message: "is \(size) bytes; a file of the rules may hold at most \(RuleSet.maxFileBytes) bytes")
            }
            guard let data = FileManager.default.contents(atPath: full) else {
                throw RuleSetError(file: "\(display)/\(relative)", message: "cannot be read")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw RuleSetError(file: "\(display)/\(relative)", message: "is not UTF-8 text")
            }
            files.append(File(relativePath: relative, displayPath: "\(display)/\(relative)", text: text))
        }
        guard files.contains(where: { $0.relativePath.hasSuffix(".lua") }) else {
            throw RuleSetError(file: directory, message: "holds no .lua rule files")
        }
        return RuleSet(origin: display, files: files)
    }

    /// The copy of the shipped `Rules/` compiled into the binary.
    public static var embedded: RuleSet {
        let files = EmbeddedFiles.all.compactMap { entry -> File? in
            guard entry.path.hasPrefix("Rules/") else { return nil }
            return File(relativePath: String(entry.path.dropFirst("Rules/".count)), displayPath: entry.path, text: entry.text)
        }
        return RuleSet(origin: "embedded", files: files)
    }

    /// The rules a command uses: `--rules DIR` when given, else `./Rules` when present, else the
    /// embedded copy, so that `sacral` works from any directory.
    public static func resolve(explicit: String?) throws(RuleSetError) -> RuleSet {
        if let explicit { return try load(directory: explicit) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "Rules", isDirectory: &isDirectory), isDirectory.boolValue {
            return try load(directory: "Rules")
        }
        return embedded
    }

    /// The modules of the engine's Lua runtime, compiled into the binary: (module name, text),
    /// sorted by name. `runtime` is the entry point.
    static var runtimeModules: [(name: String, text: String)] {
        EmbeddedFiles.all.compactMap { entry in
            let prefix = "Sources/SacralEngine/Runtime/"
            guard entry.path.hasPrefix(prefix), entry.path.hasSuffix(".lua") else { return nil }
            return (String(entry.path.dropFirst(prefix.count).dropLast(".lua".count)), entry.text)
        }
    }
}
