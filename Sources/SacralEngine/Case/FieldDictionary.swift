import LuaKit

/// The case fields the rules declare (Rules/fields.lua): names, types, ranges, enumerations.
///
/// The engine knows no field by name; everything it checks comes from this dictionary, so a
/// knowledge engineer adds a field without a rebuild.
public struct FieldDictionary: Sendable {
    /// One declared field.
    public struct Field: Sendable {
        public enum Kind: String, Sendable { case string, integer, number, boolean, object, list, any }

        /// The path with list items written `[]`: `lesions[].zones`.
        public var path: String
        public var kind: Kind
        public var required: Bool
        /// The allowed values (scalars), when the field has an enumeration.
        public var enumeration: [JSONValue]?
        public var minimum: Double?
        public var maximum: Double?
        public var multipleOf: Double?
        public var minItems: Int?
        /// For lists: the most items a case may give (`max_items`); more is an input error.
        public var maxItems: Int?
        public var unique: Bool
        /// For lists: the kind and enumeration of the items.
        public var itemKind: Kind?
        public var itemEnumeration: [JSONValue]?
        public var unit: String?
        public var doc: String?
        public var file: String?
        public var line: Int?
        /// How the page names the field (`doc` is its help text).
        public var label: String? = nil
        /// Numbers of the rules' shared tables the rules compare this field with ("thresholds.inr_max"),
        /// and the smallest difference that counts: `--what-if` tries a value either side of each.
        public var comparedWith: [String] = []
        public var step: Double? = nil
    }

    public private(set) var fields: [Field] = []
    private var byPath: [String: Int] = [:]
    /// Required fields by their parent's path ("" for the top level).
    private var requiredByParent: [String: [Field]] = [:]

    public init(fields: [Field]) {
        for field in fields { add(field) }
    }

    private mutating func add(_ field: Field) {
        byPath[field.path] = fields.count
        fields.append(field)
        if field.required {
            requiredByParent[FieldDictionary.parent(of: field.path), default: []].append(field)
        }
    }

    public subscript(path: String) -> Field? { byPath[path].map { fields[$0] } }

    func required(under parent: String) -> [Field] { requiredByParent[parent] ?? [] }

    static func parent(of path: String) -> String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }

    /// Builds the dictionary from the runtime's description of Rules/fields.lua.
    init(described: LuaValue) throws(RuleSetError) {
        for entry in described.tableValue?.array ?? [] {
            let file = entry["file"].stringValue ?? "Rules/fields.lua"
            let line = entry["line"].intValue ?? 0
            guard let path = entry["path"].stringValue else {
                throw RuleSetError(file: file, line: line, message: "a field declaration has no path")
            }
            func fail(_ message: String) -> RuleSetError {
                RuleSetError(file: file, line: line, message: "field '\(path)': \(message)")
            }
            let typeName = entry["type"].stringValue ?? "any"
            guard let kind = Field.Kind(rawValue: typeName) else { throw fail("unknown type '\(typeName)'") }
            var field = Field(
                path: path, kind: kind, required: entry["required"].boolValue ?? false,
                enumeration: entry["enum"].tableValue.map { $0.array.map(JSONValue.init) },
                minimum: entry["min"].doubleValue, maximum: entry["max"].doubleValue,
                multipleOf: entry["multiple_of"].doubleValue, minItems: entry["min_items"].intValue,
                unique: entry["unique"].boolValue ?? false,
                itemKind: nil, itemEnumeration: nil,
                unit: entry["unit"].stringValue, doc: entry["doc"].stringValue,
                file: entry["file"].stringValue, line: entry["line"].intValue)
            field.maxItems = entry["max_items"].intValue
            field.label = entry["label"].stringValue
            field.comparedWith = (entry["compared_with"].tableValue?.array ?? []).compactMap(\.stringValue)
            field.step = entry["step"].doubleValue
            if kind == .list {
                let items = entry["items"]
                let itemType = items["type"].stringValue ?? "any"
                guard let itemKind = Field.Kind(rawValue: itemType) else { throw fail("unknown item type '\(itemType)'") }
                field.itemKind = itemKind
                field.itemEnumeration = items["enum"].tableValue.map { $0.array.map(JSONValue.init) }
            }
            if byPath[path] != nil { throw fail("declared twice") }
            add(field)
        }
    }
}
