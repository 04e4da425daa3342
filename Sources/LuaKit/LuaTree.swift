import CLua
import CLuaShims

/// A Lua value read out of a state in one pass into flat storage: the same data as ``LuaValue``
/// (and the same limits on its crossing), without a dictionary or an array per table.
///
/// A decision crosses into Swift as a few hundred small tables read once, field by field; as
/// ``LuaValue``s each of them cost a dictionary (every key hashed, then hashed again for each
/// read) and the whole tree a chain of releases. Here every node is an element of one array, a
/// table's members are ranges of two more, and a record's keys are kept sorted, so that a read is a
/// binary search over a handful of short strings.
public final class LuaTree {
    /// A node without a reference-counted payload (a read does not retain anything): its kind,
    /// a number's bits, or the place of its string or of its table's members.
    struct Node {
        enum Kind: UInt8 { case `nil`, boolean, integer, number, string, table }
        var kind: Kind
        /// A boolean (0/1), an integer, or a float's bit pattern.
        var bits: UInt64 = 0
        /// A string: its index in `strings`. A table: the items 1…n at `items[first..<first+count]`,
        /// the other keys (sorted, each once) at `keys`/`values[fieldFirst..<fieldFirst+fieldCount]`.
        var first: Int32 = 0
        var count: Int32 = 0
        var fieldFirst: Int32 = 0
        var fieldCount: Int32 = 0
    }

    let nodes: [Node]
    let strings: [String]
    let items: [Int32]
    let keys: [String]
    let values: [Int32]

    /// The value the tree was read from.
    public var root: LuaNode { LuaNode(tree: self, index: nodes.isEmpty ? -1 : 0) }

    init(nodes: [Node], strings: [String], items: [Int32], keys: [String], values: [Int32]) {
        self.nodes = nodes
        self.strings = strings
        self.items = items
        self.keys = keys
        self.values = values
    }
}

/// A value in a ``LuaTree``: reads like ``LuaValue`` (an absent key or a read into a non-table is
/// nil), without copying anything out of the tree but the strings asked for.
public struct LuaNode {
    let tree: LuaTree
    let index: Int32

    private var kind: LuaTree.Node.Kind { index < 0 ? .nil : tree.nodes[Int(index)].kind }
    private var node: LuaTree.Node { tree.nodes[Int(index)] }

    public var isNil: Bool { kind == .nil }
    public var isTable: Bool { kind == .table }
    public var stringValue: String? { kind == .string ? tree.strings[Int(node.first)] : nil }
    public var boolValue: Bool? { kind == .boolean ? node.bits != 0 : nil }
    /// Integers and floats alike, as a Double.
    public var doubleValue: Double? {
        switch kind {
        case .integer: return Double(Int64(bitPattern: node.bits))
        case .number: return Double(bitPattern: node.bits)
        default: return nil
        }
    }
    public var intValue: Int? {
        switch kind {
        case .integer: return Int(exactly: Int64(bitPattern: node.bits))
        case .number:
            let d = Double(bitPattern: node.bits)
            return d.rounded() == d && abs(d) < 9e15 ? Int(d) : nil
        default: return nil
        }
    }
    /// The value of an integer (not of a float with an integral value).
    public var integerValue: Int64? { kind == .integer ? Int64(bitPattern: node.bits) : nil }
    /// The value of a float (not of an integer).
    public var floatValue: Double? { kind == .number ? Double(bitPattern: node.bits) : nil }

    /// The items at keys 1…n of a table (none for anything else).
    public var items: LuaItems {
        guard kind == .table else { return LuaItems(tree: tree, first: 0, count: 0) }
        let n = node
        return LuaItems(tree: tree, first: Int(n.first), count: Int(n.count))
    }

    /// The number of keys other than 1…n (0 for anything but a table).
    public var fieldCount: Int { kind == .table ? Int(node.fieldCount) : 0 }

    /// The keys other than 1…n, sorted, with their values.
    public var sortedFields: LuaFields {
        guard kind == .table else { return LuaFields(tree: tree, first: 0, count: 0) }
        let n = node
        return LuaFields(tree: tree, first: Int(n.fieldFirst), count: Int(n.fieldCount))
    }

    /// A record field; nil when absent or when this is not a table.
    public subscript(key: String) -> LuaNode {
        guard kind == .table else { return LuaNode(tree: tree, index: -1) }
        let n = node
        var low = Int(n.fieldFirst)
        var high = low + Int(n.fieldCount)
        while low < high {
            let mid = (low + high) / 2
            let k = tree.keys[mid]
            if k == key { return LuaNode(tree: tree, index: tree.values[mid]) }
            if k < key { low = mid + 1 } else { high = mid }
        }
        return LuaNode(tree: tree, index: -1)
    }

    /// The same data as a ``LuaValue``.
    public var value: LuaValue {
        switch kind {
        case .nil: return .nil
        case .boolean: return .boolean(boolValue!)
        case .integer: return .integer(integerValue!)
        case .number: return .number(floatValue!)
        case .string: return .string(stringValue!)
        case .table:
            var fields: [String: LuaValue] = [:]
            for (key, v) in sortedFields { fields[key] = v.value }
            return .table(LuaTable(array: items.map(\.value), fields: fields))
        }
    }
}

/// The items 1…n of a table in a ``LuaTree``.
public struct LuaItems: RandomAccessCollection {
    let tree: LuaTree
    let first: Int
    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> LuaNode { LuaNode(tree: tree, index: tree.items[first + i]) }
}

/// The keys other than 1…n of a table in a ``LuaTree``, sorted, with their values.
public struct LuaFields: RandomAccessCollection {
    let tree: LuaTree
    let first: Int
    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> (key: String, value: LuaNode) {
        (tree.keys[first + i], LuaNode(tree: tree, index: tree.values[first + i]))
    }
}

extension LuaState {
    /// Calls the function stored under `name` in a table held by `table`, and reads its result as
    /// a ``LuaTree`` (the limits of ``value(at:)`` apply, with the same messages).
    public func callTree(_ table: LuaRef, _ name: String, _ arguments: [LuaArgument] = []) throws(LuaError) -> LuaTree {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try pushFunction(table, name)
        try invoke(arguments)
        var reader = TreeReader(L: L)
        _ = try reader.read(at: lua_absindex(L, -1), depth: 0)
        return LuaTree(nodes: reader.nodes, strings: reader.strings, items: reader.items, keys: reader.keys, values: reader.values)
    }
}

/// One reading of a value into a ``LuaTree``: the walk of ``LuaState/value(at:)``, writing nodes
/// instead of building values. Children are gathered on scratch stacks and copied to the tree's
/// arrays when their table is done, so that each table's members are contiguous.
private struct TreeReader {
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let L: OpaquePointer
    var nodes: [LuaTree.Node] = []
    var strings: [String] = []
    var items: [Int32] = []
    var keys: [String] = []
    var values: [Int32] = []
    var conversion = LuaState.Conversion(budget: LuaState.maxResultBytes)
    var scratchItems: [Int32] = []
    var scratchFields: [(key: String, order: Int, value: Int32)] = []

    init(L: OpaquePointer) { self.L = L }

    mutating func string(at index: Int32) throws(LuaError) -> String {
        try conversion.string(at: index, in: L)
    }

    /// Reads the value at `index` (absolute) and returns its node's index.
    mutating func read(at index: Int32, depth: Int) throws(LuaError) -> Int32 {
        try conversion.spend(LuaState.valueCost)
        let me = Int32(nodes.count)
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: nodes.append(LuaTree.Node(kind: .nil))
        case LUA_TBOOLEAN: nodes.append(LuaTree.Node(kind: .boolean, bits: lua_toboolean(L, index) != 0 ? 1 : 0))
        case LUA_TNUMBER:
            if clua_isinteger(L, index) != 0 {
                nodes.append(LuaTree.Node(kind: .integer, bits: UInt64(bitPattern: Int64(lua_tointegerx(L, index, nil)))))
            } else {
                nodes.append(LuaTree.Node(kind: .number, bits: lua_tonumberx(L, index, nil).bitPattern))
            }
        case LUA_TSTRING:
            let text = try string(at: index)
            nodes.append(LuaTree.Node(kind: .string, first: Int32(strings.count)))
            strings.append(text)
        case LUA_TTABLE:
            guard depth < LuaState.maxDepth else {
                throw LuaError(.conversion, "a table nested deeper than \(LuaState.maxDepth) levels (or a cycle)")
            }
            guard lua_checkstack(L, 4) != 0 else { throw LuaError(.conversion, "Lua stack exhausted") }
            nodes.append(LuaTree.Node(kind: .table))  // its members are placed once they are read
            // The sequence 1…n first, by index; then every other key, in one traversal.
            let itemBase = scratchItems.count
            while lua_rawgeti(L, index, lua_Integer(scratchItems.count - itemBase + 1)) != LUA_TNIL {
                let item = try read(at: lua_gettop(L), depth: depth + 1)
                clua_pop(L, 1)
                scratchItems.append(item)
            }
            clua_pop(L, 1)
            let sequence = Int64(scratchItems.count - itemBase)
            let fieldBase = scratchFields.count
            var order = 0
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                if LuaState.Conversion.keyInSequence(L, sequence) {
                    clua_pop(L, 1)
                    continue
                }
                let item = try read(at: lua_gettop(L), depth: depth + 1)
                if let key = try conversion.keyText(in: L) {
                    scratchFields.append((key, order, item))
                    order += 1
                }
                clua_pop(L, 1)
            }
            let itemStart = Int32(items.count)
            items.append(contentsOf: scratchItems[itemBase...])
            scratchItems.removeSubrange(itemBase...)
            // Sorted by key; of keys with the same text, the one read last wins (as in a
            // LuaValue's dictionary, filled in traversal order).
            if scratchFields.count - fieldBase > 1 {
                scratchFields[fieldBase...].sort { $0.key != $1.key ? $0.key < $1.key : $0.order < $1.order }
            }
            let fieldStart = Int32(keys.count)
            var previous: String?
            for field in scratchFields[fieldBase...] {
                if field.key == previous {
                    values[values.count - 1] = field.value
                    continue
                }
                keys.append(field.key)
                values.append(field.value)
                previous = field.key
            }
            scratchFields.removeSubrange(fieldBase...)
            nodes[Int(me)].first = itemStart
            nodes[Int(me)].count = Int32(sequence)
            nodes[Int(me)].fieldFirst = fieldStart
            nodes[Int(me)].fieldCount = Int32(keys.count) - fieldStart
        default:
            let typeName = String(cString: lua_typename(L, lua_type(L, index)))
            throw LuaError(.conversion, "a \(typeName) value cannot leave the Lua state")
        }
        return me
    }
}
