import Crypto
import Foundation

/// Why a rule set could not be loaded: a file that does not compile, a declaration that does not
/// fit, a missing directory. The message names the file and line where there is one.
public struct RuleSetError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
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

    /// The Lua rule files, in load order. The FHIR mapping (fhir.lua) is data for its own loader
    /// (``FHIRMapping``), not a rule file.
    public var luaFiles: [File] {
        files.filter { $0.relativePath.hasSuffix(".lua") && $0.relativePath != FHIRMapping.fileName }
    }

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
        sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The rules of a directory (all regular files below it, hidden ones excepted).
    public static func load(directory: String) throws(RuleSetError) -> RuleSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RuleSetError(message: "\(directory): no such rules directory")
        }
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw RuleSetError(message: "\(directory): cannot be read")
        }
        var files: [File] = []
        let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = url.standardizedFileURL.path
            let relative = full.hasPrefix(root.path + "/") ? String(full.dropFirst(root.path.count + 1)) : url.lastPathComponent
            guard let data = FileManager.default.contents(atPath: full) else {
                throw RuleSetError(message: "\(display)/\(relative): cannot be read")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw RuleSetError(message: "\(display)/\(relative): is not UTF-8 text")
            }
            files.append(File(relativePath: relative, displayPath: "\(display)/\(relative)", text: text))
        }
        guard files.contains(where: { $0.relativePath.hasSuffix(".lua") }) else {
            throw RuleSetError(message: "\(directory): holds no .lua rule files")
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

    /// The engine's Lua runtime, compiled into the binary.
    static var runtimeSource: String {
        EmbeddedFiles.all.first { $0.path.hasSuffix("Runtime/runtime.lua") }!.text
    }
}
