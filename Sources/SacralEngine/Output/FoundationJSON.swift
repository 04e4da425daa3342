import Foundation

extension JSONValue {
    /// The tree Foundation's `JSONSerialization.jsonObject` reads (dictionaries, arrays, strings,
    /// `NSNumber`, `NSNull`), or nil for anything this does not write exactly as
    /// `JSONSerialization.data` would mean it (then use that). Keys are sorted, so the same tree
    /// always gives the same text.
    ///
    /// Why not `JSONSerialization.data`: on Linux it bridges every dictionary and array to
    /// Foundation's classes and casts every value, and writing a CDS hook's prefetch back out for
    /// the FHIR reader took a quarter of a patient-view call's CPU (perf, 64 connections).
    public init?(jsonObject object: Any) {
        guard let value = Self.converted(object, depth: 0) else { return nil }
        self = value
    }

    /// JSON text for such a tree: this writer's, or `JSONSerialization`'s for what it leaves.
    public static func data(jsonObject object: Any) -> Data? {
        if let value = JSONValue(jsonObject: object) { return Data(value.serialized(pretty: false).utf8) }
        return try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
    }

    /// Deeper than any FHIR resource nests; `JSONSerialization` itself reads at most 512 levels.
    private static let maxDepth = 512

    private static func converted(_ object: Any, depth: Int) -> JSONValue? {
        guard depth <= maxDepth else { return nil }
        switch FoundationJSONNode(object) {
        case .object(let dict):
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(dict.count)
            for (key, value) in dict.sorted(by: { $0.key < $1.key }) {
                guard let value = converted(value, depth: depth + 1) else { return nil }
                members.append((key, value))
            }
            return .object(members)
        case .array(let list):
            var items: [JSONValue] = []
            items.reserveCapacity(list.count)
            for item in list {
                guard let value = converted(item, depth: depth + 1) else { return nil }
                items.append(value)
            }
            return .array(items)
        case .string(let text): return .string(text)
        case .number(let number): return Self.number(number)
        case .null: return .null
        case .other: return nil
        }
    }

    /// A number as `JSONSerialization.data` writes it: booleans as booleans, integers as
    /// integers, and a float with no fraction without one (70.0 is written 70, which an integer
    /// field of a FHIR resource reads). Integers beyond 64 bits, and floats whose digits this
    /// writer would not give the same, are left to Foundation.
    private static func number(_ number: NSNumber) -> JSONValue? {
        switch UInt8(bitPattern: number.objCType.pointee) {
        case UInt8(ascii: "c"), UInt8(ascii: "B"):
            return .bool(number.boolValue)
        case UInt8(ascii: "d"), UInt8(ascii: "f"):
            let d = number.doubleValue
            guard d.isFinite else { return nil }
            if d.rounded() == d {
                // Exactly representable integers only; a larger one (or -0) is Foundation's to write.
                guard abs(d) < 1e15, d != 0 || d.sign == .plus else { return nil }
                return .int(Int64(d))
            }
            return .double(d)
        case UInt8(ascii: "q"), UInt8(ascii: "l"), UInt8(ascii: "i"), UInt8(ascii: "s"):
            return .int(number.int64Value)
        default:
            return nil
        }
    }
}

/// One value of a tree `JSONSerialization.jsonObject` reads, told apart for the two readers of such
/// trees (``CaseDecoder`` and ``JSONValue/init(jsonObject:)``).
///
/// JSONSerialization gives Swift strings, dictionaries and arrays: their exact type is tested
/// first, because a failed `as?` costs hundreds of instructions and a leaf tried against both
/// containers paid two; then NSNumber, its numbers and Booleans. Anything else goes through casts,
/// containers before NSNull: a tree built in Swift may hold other container types
/// (`[[String: Any]]`), and casting one to a class bridges all of it to Foundation first (the
/// NSNumber test does so too, for such a container, only to fail: rare, and still right).
enum FoundationJSONNode {
    case object([String: Any])
    case array([Any])
    case string(String)
    /// A number or a Boolean (an NSNumber of C type `char`, which no JSON number produces).
    case number(NSNumber)
    case null
    case other

    init(_ value: Any) {
        let type = Swift.type(of: value)
        if type == String.self {
            self = .string(value as! String)
        } else if type == [String: Any].self {
            self = .object(value as! [String: Any])
        } else if type == [Any].self {
            self = .array(value as! [Any])
        } else if let n = value as? NSNumber {
            self = .number(n)
        } else {
            switch value {
            case let dict as [String: Any]: self = .object(dict)
            case let list as [Any]: self = .array(list)
            case let text as String: self = .string(text)
            case is NSNull: self = .null
            default: self = .other
            }
        }
    }
}
