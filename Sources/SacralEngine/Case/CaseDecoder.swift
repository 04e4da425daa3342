import Foundation
import Yams

/// Why a case file could not be read at all (before validation).
public struct CaseReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or `stdin:LINE` for a JSON Lines entry).
    public var file: String
    public var message: String

    public var description: String { "\(file): \(message)" }
}

/// Reads case files (YAML, JSON) into ``JSONValue`` trees, with limits that keep hostile input
/// from exhausting the machine: size, nesting, total node count (YAML aliases are counted as
/// often as they are used, so "billion laughs" stops early).
public struct CaseDecoder: Sendable {
    public var maxBytes = 1 << 20
    public var maxDepth = 32
    public var maxNodes = 100_000

    public init() {}

    public enum Format: Sendable { case yaml, json }

    /// The format a path names, from its extension; YAML when unsure (YAML reads JSON too).
    public static func format(of path: String) -> Format {
        path.lowercased().hasSuffix(".json") || path.lowercased().hasSuffix(".jsonl") ? .json : .yaml
    }

    /// Reads a file from disk.
    public func read(path: String) throws(CaseReadError) -> JSONValue {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CaseReadError(file: path, message: "no such file")
        }
        if isDirectory.boolValue { throw CaseReadError(file: path, message: "is a directory, not a case file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CaseReadError(file: path, message: "cannot be opened for reading")
        }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
            try handle.close()
        } catch {
            throw CaseReadError(file: path, message: "cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= maxBytes else {
            throw CaseReadError(file: path, message: "is larger than the \(maxBytes / 1024) KiB a case file may have")
        }
        return try decode(data, format: CaseDecoder.format(of: path), file: path)
    }

    /// Decodes bytes already read.
    public func decode(_ data: Data, format: Format, file: String) throws(CaseReadError) -> JSONValue {
        guard data.count <= maxBytes else {
            throw CaseReadError(file: file, message: "is larger than the \(maxBytes / 1024) KiB a case file may have")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CaseReadError(file: file, message: "is not valid UTF-8 text")
        }
        // On the bytes: a NUL is the byte 0 in UTF-8, and String.contains (Foundation's) searched
        // the text as UTF-16, a tenth of the decoding of a JSON case; memchr, not Data's own
        // iterator, which takes a call per byte.
        let holdsNUL = data.withUnsafeBytes { raw in raw.baseAddress.map { memchr($0, 0, raw.count) != nil } ?? false }
        if holdsNUL { throw CaseReadError(file: file, message: "holds NUL bytes: not a text file") }
        if text.allSatisfy({ $0.isWhitespace }) { throw CaseReadError(file: file, message: "is empty") }
        switch format {
        case .json: return try decodeJSON(data, file: file)
        case .yaml: return try decodeYAML(text, file: file)
        }
    }

    // MARK: - YAML

    private func decodeYAML(_ text: String, file: String) throws(CaseReadError) -> JSONValue {
        // Without a tag in the text (every tag starts with "!"), plain scalars are read by
        // PlainScalar, exactly as Yams' default resolver reads them but without starting ICU's
        // regular expressions. A file with a tag keeps Yams' resolver, which tells an explicit
        // `!!str 5` (text) from an untagged 5 (a number).
        let tagged = text.utf8.contains(UInt8(ascii: "!"))
        if let problem = YAMLShape.problem(in: text, maxDepth: maxDepth) { throw CaseReadError(file: file, message: problem) }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, tagged ? .default : .basic)
        } catch let error as YamlError {
            throw CaseReadError(file: file, message: "is not valid YAML: \(Self.describe(error))")
        } catch {
            throw CaseReadError(file: file, message: "is not valid YAML: \(error)")
        }
        guard let node else { throw CaseReadError(file: file, message: "is empty") }
        var budget = maxNodes
        return try convert(node, depth: 0, budget: &budget, file: file, path: "", resolved: tagged)
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) at line \(context.mark.line)"
        default:
            // The description quotes the offending line; a hostile line may be the whole file.
            let text = String(describing: error).replacingOccurrences(of: "\n", with: " ")
            return text.count > 300 ? String(text.prefix(300)) + "…" : text
        }
    }

    /// `resolved`: Yams' resolver tagged the plain scalars; else PlainScalar reads them.
    private func convert(
        _ node: Node, depth: Int, budget: inout Int, file: String, path: String, resolved: Bool
    ) throws(CaseReadError) -> JSONValue {
        budget -= 1
        guard budget >= 0 else {
            throw CaseReadError(file: file, message: "holds more than \(maxNodes) values (YAML aliases count each time they are used)")
        }
        guard depth <= maxDepth else {
            throw CaseReadError(file: file, message: "is nested deeper than \(maxDepth) levels\(Self.at(node))")
        }
        switch node {
        case .scalar(let scalar):
            let value = try scalarValue(scalar, node: node, file: file, path: path, resolved: resolved)
            if case .string(let s) = value { try Self.checkText(s, key: false, file: file, path: path) }
            return value
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for (i, item) in sequence.enumerated() {
                items.append(try convert(item, depth: depth + 1, budget: &budget, file: file, path: "\(path)[\(i)]", resolved: resolved))
            }
            return .array(items)
        case .mapping(let mapping):
            var pairs: [(key: String, value: JSONValue)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw CaseReadError(file: file, message: "has a key that is not a plain name\(Self.at(key))")
                }
                try Self.checkText(keyScalar.string, key: true, file: file, path: path)
                let child = path.isEmpty ? keyScalar.string : path + "." + keyScalar.string
                pairs.append(
                    (keyScalar.string, try convert(value, depth: depth + 1, budget: &budget, file: file, path: child, resolved: resolved)))
            }
            return .object(pairs)
        case .alias:
            throw CaseReadError(file: file, message: "uses an unresolved YAML alias\(Self.at(node))")
        }
    }

    private func scalarValue(
        _ scalar: Node.Scalar, node: Node, file: String, path: String, resolved: Bool
    ) throws(CaseReadError) -> JSONValue {
        // Quoted scalars are strings whatever they look like: "0" stays the string "0".
        if scalar.style != .plain { return .string(scalar.string) }
        let kind = resolved ? Self.kind(of: node.tag) : PlainScalar.kind(of: scalar.string)
        switch kind {
        case .null: return .null
        case .bool:
            // Yams' Bool.construct refuses a scalar tagged str, as a scalar read without the resolver is.
            let tagged = resolved ? scalar : Node.Scalar(scalar.string, Tag(.bool, .basic, .default), scalar.style, scalar.mark)
            return Bool.construct(from: tagged).map(JSONValue.bool) ?? .string(scalar.string)
        case .int, .float:
            // YAML 1.1's base-60 numbers (190:20:30): no case field is one, a clinician who
            // writes 1:30 means a time or a ratio, and Yams' reading of a long one overflows and
            // traps (found by the case fuzzer).
            if scalar.string.contains(":") {
                let place = path.isEmpty ? "" : path + ": "
                let shown = scalar.string.count > 60 ? String(scalar.string.prefix(60)) + "…" : scalar.string
                throw CaseReadError(
                    file: file,
                    message: "\(place)\(shown) is a base-60 (sexagesimal) number, which case files do not use; "
                        + "write a decimal number, or quote it if it is text\(Self.at(node))")
            }
            if let problem = NumberText.problem(scalar.string) {
                throw CaseReadError(file: file, message: "\(path.isEmpty ? "" : path + ": ")\(problem)\(Self.at(node))")
            }
            if kind == .int, let i = node.int { return .int(Int64(i)) }
            return node.float.map(JSONValue.double) ?? .string(scalar.string)
        case .string: return .string(scalar.string)
        }
    }

    /// The kind of value a tag Yams resolved (or a file wrote) stands for.
    private static func kind(of tag: Tag) -> PlainScalar.Kind {
        switch tag.rawValue {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue: return .bool
        case Tag.Name.int.rawValue: return .int
        case Tag.Name.float.rawValue: return .float
        default: return .string
        }
    }

    /// Refuses text no case needs and a terminal or a file would misread: NUL and the other control
    /// characters (C0 except tab, line feed and carriage return in values; DEL; C1). A key may
    /// hold no control character at all.
    static func checkText(_ text: String, key: Bool, file: String, path: String) throws(CaseReadError) {
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let control = v < 0x20 || v == 0x7F || (v >= 0x80 && v <= 0x9F)
            guard control else { continue }
            if !key && (v == 0x09 || v == 0x0A || v == 0x0D) { continue }
            let code = String(format: "U+%04X", v)
            let place = path.isEmpty ? "" : "\(path): "
            throw CaseReadError(
                file: file,
                message:
                    "\(place)\(key ? "a key" : "a string") holds the control character \(code); case text may not contain control characters"
            )
        }
    }

    private static func at(_ node: Node) -> String {
        guard let mark = node.mark else { return "" }
        return " (line \(mark.line))"
    }

    // MARK: - JSON

    // Foundation's JSONSerialization parses in one pass (JSONDecoder with a Decodable enum tries,
    // and throws, once per alternative per value: several times slower). Booleans come back as
    // NSNumbers of type "c", which no JSON number produces, so they stay apart from 0 and 1.
    private func decodeJSON(_ data: Data, file: String) throws(CaseReadError) -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw CaseReadError(file: file, message: "is not valid JSON: \(detail)")
        }
        if let problem = JSONNumberScanner.firstProblem(in: data) {
            throw CaseReadError(file: file, message: problem)
        }
        var budget = maxNodes
        var trail: [PathStep] = []
        let value = try convert(json: object, depth: 0, budget: &budget, file: file, trail: &trail)
        if let (key, line) = try Self.duplicateKey(in: data, file: file) {
            throw CaseReadError(file: file, message: "is not valid JSON: duplicate key '\(key)' at line \(line)")
        }
        return value
    }

    /// A step of the path to a value, kept as the walk goes down and written out only for a
    /// message: building "lesions[0].size" for every value of every case was most of the cost of
    /// turning a parsed JSON case into a JSONValue.
    private enum PathStep {
        case key(String)
        case index(Int)
    }

    /// The path as messages write it: `labs.inr`, `lesions[0].size`.
    private static func render(_ trail: [PathStep]) -> String {
        var out = ""
        for step in trail {
            switch step {
            case .key(let key): out = out.isEmpty ? key : out + "." + key
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }

    /// Whether `text` may hold a control character (checkText then looks): its UTF-8 has a byte
    /// below 0x20, DEL, or 0xC2, the lead byte of U+0080–U+00BF, which holds the C1 controls.
    private static func mayHoldControl(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }
    }

    private func convert(json: Any, depth: Int, budget: inout Int, file: String, trail: inout [PathStep]) throws(CaseReadError)
        -> JSONValue
    {
        budget -= 1
        guard budget >= 0 else { throw CaseReadError(file: file, message: "holds more than \(maxNodes) values") }
        guard depth <= maxDepth else { throw CaseReadError(file: file, message: "is nested deeper than \(maxDepth) levels") }
        switch FoundationJSONNode(json) {
        case .object(let dict): return try convert(object: dict, depth: depth, budget: &budget, file: file, trail: &trail)
        case .array(let list): return try convert(list: list, depth: depth, budget: &budget, file: file, trail: &trail)
        case .string(let s):
            if Self.mayHoldControl(s) { try Self.checkText(s, key: false, file: file, path: Self.render(trail)) }
            return .string(s)
        case .number(let n): return Self.number(n)
        case .null: return .null
        case .other: throw CaseReadError(file: file, message: "holds a JSON value of an unexpected kind")
        }
    }

    private func convert(list: [Any], depth: Int, budget: inout Int, file: String, trail: inout [PathStep]) throws(CaseReadError)
        -> JSONValue
    {
        var items: [JSONValue] = []
        items.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            trail.append(.index(i))
            items.append(try convert(json: item, depth: depth + 1, budget: &budget, file: file, trail: &trail))
            trail.removeLast()
        }
        return .array(items)
    }

    /// A JSON number or Boolean.
    private static func number(_ n: NSNumber) -> JSONValue {
        if FoundationJSONNode.isBoolean(n) { return .bool(n.boolValue) }
        let type = n.objCType.pointee
        if type == CChar(UInt8(ascii: "d")) || type == CChar(UInt8(ascii: "f")) { return .double(n.doubleValue) }
        if let i = Int(exactly: n.int64Value) { return .int(Int64(i)) }
        return .double(n.doubleValue)
    }

    private func convert(object dict: [String: Any], depth: Int, budget: inout Int, file: String, trail: inout [PathStep])
        throws(CaseReadError)
        -> JSONValue
    {
        var pairs: [(key: String, value: JSONValue)] = []
        pairs.reserveCapacity(dict.count)
        for (key, value) in dict.sorted(by: { $0.key < $1.key }) {
            if Self.mayHoldControl(key) { try Self.checkText(key, key: true, file: file, path: Self.render(trail)) }
            trail.append(.key(key))
            pairs.append((key, try convert(json: value, depth: depth + 1, budget: &budget, file: file, trail: &trail)))
            trail.removeLast()
        }
        return .object(pairs)
    }

    /// The first key that an object of (valid) JSON repeats, and its line. JSONDecoder keeps one of
    /// the two values silently; a case file that says `"inr": 1.1, "inr": 9.0` must be refused,
    /// as YAML refuses it.
    static func duplicateKey(in data: Data, file: String = "") throws(CaseReadError) -> (String, Int)? {
        let scan = data.withUnsafeBytes { DuplicateKeyScan.run(over: $0.bindMemory(to: UInt8.self)) }
        switch scan {
        case .none: return nil
        case .duplicate(let key, let line): return (key, line)
        case .badEscape(let line):
            throw CaseReadError(file: file, message: "is not valid JSON: a key with a bad escape at line \(line)")
        }
    }
}

/// The scan behind ``CaseDecoder/duplicateKey(in:file:)``, over the bytes in place. An object's
/// keys are compared as bytes while it has few (a case's objects have a dozen at most): no string
/// is made and nothing is hashed for a key that is not repeated. An object with many keys, or a key
/// with an escape (`"\u0069nr"` is `"inr"`), is compared by its decoded keys instead.
private enum DuplicateKeyScan {
    case none
    case duplicate(String, Int)
    case badEscape(Int)

    /// Most keys an object's byte ranges are compared with one by one.
    static let linearKeys = 16

    /// The keys of one open object.
    struct Keys {
        var ranges: [Range<Int>] = []
        var decoded: Set<String>?
    }

    static func run(over bytes: UnsafeBufferPointer<UInt8>) -> DuplicateKeyScan {
        var objects: [Keys?] = []  // per open container: its keys, nil for a list
        var expectKey = false
        var line = 1
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\n"): line += 1
            case UInt8(ascii: "{"):
                objects.append(Keys())
                expectKey = true
            case UInt8(ascii: "["):
                objects.append(nil)
                expectKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = objects.popLast()
                expectKey = false
            case UInt8(ascii: ","): expectKey = (objects.last ?? nil) != nil
            case UInt8(ascii: "\""):
                let start = i
                var escaped = false
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") {
                        escaped = true
                        i += 1
                    }
                    i += 1
                }
                if expectKey, let last = objects.indices.last, objects[last] != nil {
                    let inner = (start + 1)..<min(i, bytes.count)
                    var key: String?
                    if escaped {
                        guard let text = try? JSONDecoder().decode(String.self, from: Data(bytes[start...min(i, bytes.count - 1)])) else {
                            return .badEscape(line)
                        }
                        key = text
                    }
                    if let repeated = insert(inner, decodedAs: key, into: &objects[last]!, bytes: bytes) {
                        return .duplicate(repeated, line)
                    }
                    expectKey = false
                }
            default: break
            }
            i += 1
        }
        return .none
    }

    /// Adds a key (its bytes between the quotes, and its decoded text when it has an escape) to
    /// an object's keys; returns the key when the object has it already.
    private static func insert(
        _ range: Range<Int>, decodedAs escaped: String?, into keys: inout Keys, bytes: UnsafeBufferPointer<UInt8>
    ) -> String? {
        let text = { escaped ?? String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        if keys.decoded == nil, escaped == nil, keys.ranges.count < linearKeys {
            for seen in keys.ranges where seen.count == range.count {
                if memcmp(bytes.baseAddress! + seen.lowerBound, bytes.baseAddress! + range.lowerBound, range.count) == 0 {
                    return text()
                }
            }
            keys.ranges.append(range)
            return nil
        }
        if keys.decoded == nil {
            keys.decoded = Set(keys.ranges.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) })
            keys.ranges = []
        }
        let key = text()
        return keys.decoded!.insert(key).inserted ? nil : key
    }
}
