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
        if RuleSet.isEmbeddedCopy(self.files) {
            sha256 = EmbeddedFiles.rulesSHA256
            return
        }
        var hasher = SHA256()
        for file in self.files {
            hasher.update(data: Data(file.relativePath.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: Data(file.text.utf8))
            hasher.update(data: Data([0]))
        }
        sha256 = hasher.finalize().lowercaseHex
    }

    /// The files under Rules/ compiled into the binary, in path order.
    private static let embeddedFiles: [File] = EmbeddedFiles.all.compactMap { entry -> File? in
        guard entry.path.hasPrefix("Rules/") else { return nil }
        return File(relativePath: String(entry.path.dropFirst("Rules/".count)), displayPath: entry.path, text: entry.text)
    }.sorted { $0.relativePath < $1.relativePath }

    /// Whether `files` (in path order) are the embedded rules byte for byte, whose SHA-256 was
    /// computed at build time: comparing is a memcmp, hashing the same bytes again was a twentieth
    /// of a cold evaluate. Bytes, not `==`: two texts Swift deems equal (canonically equivalent
    /// Unicode) can differ in bytes, and so in hash.
    static func isEmbeddedCopy(_ files: [File]) -> Bool { isCopy(files, of: embeddedFiles) }

    /// Whether `files` are `reference`, path by path and text by text, byte for byte.
    static func isCopy(_ files: [File], of reference: [File]) -> Bool {
        guard files.count == reference.count else { return false }
        for (file, copy) in zip(files, reference) {
            guard sameBytes(file.relativePath, copy.relativePath), sameBytes(file.text, copy.text) else { return false }
        }
        return true
    }

    /// The same UTF-8 bytes (not merely equal as Swift compares strings).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
            }
        }
    }

    /// The largest file the rules directory may hold (the shipped files are a few tens of kB): a
    /// larger one is refused by name before it is read.
    public static let maxFileBytes = 4 << 20

    /// The rules of a directory (all regular files below it, hidden ones excepted).
    public static func load(directory: String) throws(RuleSetError) -> RuleSet {
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw RuleSetError(file: directory, message: "no such rules directory")
        }
        let display = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var files: [File] = []
        try collect(path: directory, relative: "", display: display, depth: 0, into: &files)
        guard files.contains(where: { $0.relativePath.hasSuffix(".lua") }) else {
            throw RuleSetError(file: directory, message: "holds no .lua rule files")
        }
        return RuleSet(origin: display, files: files)
    }

    /// How deep the rules' directories may nest.
    static let maxDepth = 32

    /// The files below one directory of the rules, walked with the system calls themselves:
    /// Foundation's URL enumerator and resource values cost about 4 ms of a cold evaluate for the
    /// thirty files of the shipped rules (the embedded copy needs none of it). Entries in name
    /// order, so that the first problem reported is the same on every machine.
    private static func collect(
        path: String, relative: String, display: String, depth: Int, into files: inout [File]
    ) throws(RuleSetError) {
        func failure(_ rel: String, _ message: String) -> RuleSetError {
            RuleSetError(file: rel.isEmpty ? display : "\(display)/\(rel)", message: message)
        }
        guard depth <= maxDepth else {
            throw failure(relative, "is nested more than \(maxDepth) directories deep")
        }
        guard let dir = opendir(path) else { throw failure(relative, "cannot be read: \(String(cString: strerror(errno)))") }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }  // hidden files, and . and ..
        }
        closedir(dir)
        names.sort()
        for name in names {
            let full = path + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else { throw failure(rel, "cannot be read: \(String(cString: strerror(errno)))") }
            // A link could pull a file from outside the rules into the rule set (and the hash would
            // not say where it came from); a file that is neither a file nor a directory is no rule
            // file. Neither is skipped without a word.
            switch info.st_mode & S_IFMT {
            case S_IFLNK: throw failure(rel, "is a symbolic link; the rules directory holds regular files only")
            case S_IFDIR:
                try collect(path: full, relative: rel, display: display, depth: depth + 1, into: &files)
                continue
            case S_IFREG: break
            default: throw failure(rel, "is not a regular file")
            }
            files.append(File(relativePath: rel, displayPath: "\(display)/\(rel)", text: try readText(full, failure: { failure(rel, $0) })))
        }
    }

    /// A rule file's text. Opened without following a link (one swapped in since the walk looked
    /// is refused too); its size checked before reading, so that a file of gigabytes is never read,
    /// hashed and compiled.
    private static func readText(_ path: String, failure: (String) -> RuleSetError) throws(RuleSetError) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw failure("is not a regular file") }
        let size = Int(info.st_size)
        if size > RuleSet.maxFileBytes {
            throw failure("is \(size) bytes; a file of the rules may hold at most \(RuleSet.maxFileBytes) bytes")
        }
        // Read to the end, whatever the size said: a file that grows while it is read is read whole
        // or refused, never cut short. (Not FileHandle: its first use costs a cold start 0.2 ms.)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot be read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            count += n
            guard count <= RuleSet.maxFileBytes else {
                throw failure("grew past \(RuleSet.maxFileBytes) bytes while it was read")
            }
        }
        guard let text = String(validating: bytes[..<count], as: UTF8.self) else { throw failure("is not UTF-8 text") }
        return text
    }

    /// The copy of the shipped `Rules/` compiled into the binary.
    public static var embedded: RuleSet { RuleSet(origin: "embedded", files: embeddedFiles) }

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
