import Foundation

/// One value of a tree `JSONSerialization.jsonObject` reads, told apart for the readers of such
/// trees (``CaseDecoder``, the FHIR models, the server's pseudonymisation).
///
/// JSONSerialization gives Swift strings, dictionaries and arrays: their exact type is tested
/// first, because a failed `as?` costs hundreds of instructions and a leaf tried against both
/// containers paid two; then NSNumber, its numbers and Booleans. Anything else goes through casts,
/// containers before NSNull: a tree built in Swift may hold other container types
/// (`[[String: Any]]`), and casting one to a class bridges all of it to Foundation first (the
/// NSNumber test does so too, for such a container, only to fail: rare, and still right).
public enum FoundationJSONNode {
    case object([String: Any])
    case array([Any])
    case string(String)
    /// A number or a Boolean (an NSNumber of C type `char`, which no JSON number produces).
    case number(NSNumber)
    case null
    case other

    /// Whether a number of such a tree is true or false: an NSNumber of C type `char` (or `bool`),
    /// which no JSON number gives, so Booleans stay apart from 0 and 1.
    public static func isBoolean(_ n: NSNumber) -> Bool {
        let type = UInt8(bitPattern: n.objCType.pointee)
        return type == UInt8(ascii: "c") || type == UInt8(ascii: "B")
    }

    public init(_ value: Any) {
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
