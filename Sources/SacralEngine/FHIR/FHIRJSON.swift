import Foundation

/// A JSON document holding FHIR resources (a resource or a Bundle), as `JSONSerialization` reads
/// it, with the name warnings and provenance give it (a file, a prefetch key).
///
/// `@unchecked Sendable`: such a tree is Swift strings, arrays and dictionaries (values) and
/// `NSNumber`/`NSNull` (immutable); nothing changes it once parsed, and a pseudonymised copy is a
/// new tree.
public struct FHIRJSONDocument: @unchecked Sendable {
    public var source: String
    public var object: Any

    public init(source: String, object: Any) {
        self.source = source
        self.object = object
    }
}

/// A value that can be read from an element of a FHIR resource: nil when the JSON value has
/// another type. The rules are JSONDecoder's, which read these models before: a string only from
/// a string, a Boolean only from true or false, an integer from a number with no fraction that
/// fits, a decimal from any number.
public protocol FHIRJSONReadable {
    init?(fhirJSON value: Any)
}

/// One JSON object of a resource, read element by element. An element absent or null is nil; one
/// present with a value of the wrong type is nil too and its key goes to `problems` (in the order
/// read), so that a warning can name it instead of losing the resource.
public struct FHIRObject {
    let members: [String: Any]
    /// Keys whose values could not be read, in the order they were asked for.
    public private(set) var problems: [String] = []

    /// The object, or nil when `value` is not a JSON object.
    public init?(_ value: Any) {
        guard case .object(let members) = FoundationJSONNode(value) else { return nil }
        self.members = members
    }

    /// The element is there, even as null.
    public func contains(_ key: String) -> Bool { members[key] != nil }

    /// The element's value when present and readable; nil when absent or null; noted in `problems`
    /// when present with the wrong type.
    public mutating func lenient<T: FHIRJSONReadable>(_ key: String) -> T? {
        guard let raw = members[key], !Self.isNull(raw) else { return nil }
        if let value = T(fhirJSON: raw) { return value }
        problems.append(key)
        return nil
    }

    /// A list element: its readable items. Not a list, or a list with an unreadable item: noted.
    public mutating func lenientList<T: FHIRJSONReadable>(_ key: String) -> [T] {
        guard let raw = members[key], !Self.isNull(raw) else { return [] }
        guard case .array(let items) = FoundationJSONNode(raw) else {
            problems.append(key)
            return []
        }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for item in items {
            if let value = T(fhirJSON: item) { out.append(value) }
        }
        if out.count != items.count { problems.append(key) }
        return out
    }

    /// For the small elements read whole or not at all (Reference, Period, Identifier): `.some(nil)`
    /// when absent or null, `.some(value)` when readable, nil (the whole element unreadable) when
    /// present with the wrong type.
    public func strict<T: FHIRJSONReadable>(_ key: String) -> T?? {
        guard let raw = members[key], !Self.isNull(raw) else { return .some(nil) }
        guard let value = T(fhirJSON: raw) else { return nil }
        return .some(value)
    }

    static func isNull(_ value: Any) -> Bool {
        if case .null = FoundationJSONNode(value) { return true }
        return false
    }
}

extension String: FHIRJSONReadable {
    public init?(fhirJSON value: Any) {
        guard case .string(let text) = FoundationJSONNode(value) else { return nil }
        self = text
    }
}

extension Bool: FHIRJSONReadable {
    public init?(fhirJSON value: Any) {
        guard case .number(let n) = FoundationJSONNode(value), FoundationJSONNode.isBoolean(n) else { return nil }
        self = n.boolValue
    }
}

extension Double: FHIRJSONReadable {
    public init?(fhirJSON value: Any) {
        guard case .number(let n) = FoundationJSONNode(value), !FoundationJSONNode.isBoolean(n) else { return nil }
        self = n.doubleValue
    }
}

extension Int64: FHIRJSONReadable {
    /// A number with no fraction that fits (5, 5.0 and 1e2 do; 5.5, 1e30 and true do not).
    public init?(fhirJSON value: Any) {
        guard case .number(let n) = FoundationJSONNode(value), !FoundationJSONNode.isBoolean(n) else { return nil }
        switch UInt8(bitPattern: n.objCType.pointee) {
        case UInt8(ascii: "d"), UInt8(ascii: "f"):
            guard let exact = Int64(exactly: n.doubleValue) else { return nil }
            self = exact
        case UInt8(ascii: "Q"), UInt8(ascii: "L"), UInt8(ascii: "I"), UInt8(ascii: "S"), UInt8(ascii: "C"):
            guard let exact = Int64(exactly: n.uint64Value) else { return nil }
            self = exact
        default:
            self = n.int64Value
        }
    }
}

extension Int: FHIRJSONReadable {
    public init?(fhirJSON value: Any) {
        guard let i = Int64(fhirJSON: value), let exact = Int(exactly: i) else { return nil }
        self = exact
    }
}
