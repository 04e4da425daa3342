/// Generates valid cases from the field dictionary alone: every declared field, with values drawn
/// from its type, range and enumeration (some fields left out, as in real case files). It knows
/// nothing clinical, so it exercises the rules with combinations nobody wrote down — for
/// benchmarks, property tests and fuzz seeds. Deterministic for a given seed.
public struct CaseGenerator {
    public var dictionary: FieldDictionary
    /// Chance that an optional field is left out (unknown).
    public var missingRate = 0.08
    private var rng: SplitMix64

    public init(dictionary: FieldDictionary, seed: UInt64) {
        self.dictionary = dictionary
        self.rng = SplitMix64(seed: seed)
    }

    /// One case with the given id.
    public mutating func next(id: String) -> JSONValue {
        var value = object(under: "", depth: 0)
        if case .object(var pairs) = value {
            if let i = pairs.firstIndex(where: { $0.key == "id" }) { pairs[i].value = .string(id) }
            value = .object(pairs)
        }
        return value
    }

    /// A variation of a real case: `seed` (its `expect:` block dropped) with one to three of its
    /// fields replaced by generated values or left out (unknown), under the given id. Benchmarks run
    /// "cases from the corpus" this way: realistic combinations, varied without clinical choice.
    public mutating func mutant(of seed: CaseValue, id: String) -> CaseValue {
        let donor = next(id: id)
        var value = Self.set(seed, ["expect"], nil)
        let paths = Self.leafPaths(of: donor)
        for _ in 0..<(paths.isEmpty ? 0 : 1 + rng.below(3)) {
            let path = paths[rng.below(paths.count)]
            value = Self.set(value, path, rng.chance(0.25) ? nil : Self.get(donor, path))
        }
        return Self.set(value, ["id"], .string(id))
    }

    /// `section.field` and `lesions.N.field` (every lesion, its id excepted).
    private static func leafPaths(of value: CaseValue) -> [[String]] {
        guard case .object(let sections) = value else { return [] }
        var paths: [[String]] = []
        for (section, content) in sections {
            if case .object(let fields) = content {
                paths += fields.map { [section, $0.key] }
            } else if case .array(let items) = content {
                for (i, item) in items.enumerated() {
                    guard case .object(let fields) = item else { continue }
                    paths += fields.filter { $0.key != "id" }.map { [section, String(i), $0.key] }
                }
            }
        }
        return paths
    }

    private static func get(_ value: CaseValue, _ path: [String]) -> CaseValue? {
        var v = value
        for key in path {
            if case .array(let items) = v, let i = Int(key) {
                guard i < items.count else { return nil }
                v = items[i]
            } else if let next = v[key] {
                v = next
            } else {
                return nil
            }
        }
        return v
    }

    /// The value with the field at `path` set (nil removes it); a path into a missing object or
    /// list item changes nothing.
    private static func set(_ value: CaseValue, _ path: [String], _ newValue: CaseValue?) -> CaseValue {
        guard let key = path.first else { return newValue ?? value }
        let rest = Array(path.dropFirst())
        switch value {
        case .array(var items):
            guard let i = Int(key), i < items.count, !rest.isEmpty else { return value }
            items[i] = set(items[i], rest, newValue)
            return .array(items)
        case .object(var pairs):
            let index = pairs.firstIndex { $0.key == key }
            if rest.isEmpty {
                if let index {
                    if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
                } else if let newValue {
                    pairs.append((key, newValue))
                }
            } else if let index {
                pairs[index].value = set(pairs[index].value, rest, newValue)
            }
            return .object(pairs)
        default:
            return value
        }
    }

    private func children(of parent: String) -> [FieldDictionary.Field] {
        dictionary.fields.filter { FieldDictionary.parent(of: $0.path) == parent && $0.kind != .any }
    }

    private mutating func object(under parent: String, depth: Int) -> JSONValue {
        var pairs: [(key: String, value: JSONValue)] = []
        for field in children(of: parent) {
            if !field.required && rng.chance(missingRate) { continue }
            let key = String(field.path.split(separator: ".").last ?? "")
            pairs.append((key, value(for: field, depth: depth)))
        }
        return .object(pairs)
    }

    private mutating func value(for field: FieldDictionary.Field, depth: Int) -> JSONValue {
        switch field.kind {
        case .object:
            return object(under: field.path, depth: depth + 1)
        case .list:
            if field.itemKind == .object {
                let count = 1 + rng.below(3)
                var items: [JSONValue] = []
                for i in 0..<count {
                    var item = object(under: field.path + "[]", depth: depth + 1)
                    if case .object(var pairs) = item, let j = pairs.firstIndex(where: { $0.key == "id" }) {
                        pairs[j].value = .string("L\(i + 1)")
                        item = .object(pairs)
                    }
                    items.append(item)
                }
                return .array(items)
            }
            let pool = field.itemEnumeration ?? []
            guard !pool.isEmpty else { return .array([]) }
            var chosen: [JSONValue] = []
            for candidate in pool.shuffled(using: &rng).prefix(1 + rng.below(min(3, pool.count))) {
                chosen.append(candidate)
            }
            return .array(chosen)
        default:
            return scalar(
                kind: field.kind, enumeration: field.enumeration, minimum: field.minimum,
                maximum: field.maximum, multipleOf: field.multipleOf, path: field.path)
        }
    }

    private mutating func scalar(
        kind: FieldDictionary.Field.Kind, enumeration: [JSONValue]?, minimum: Double?,
        maximum: Double?, multipleOf: Double?, path: String
    ) -> JSONValue {
        if let enumeration, !enumeration.isEmpty {
            return enumeration[rng.below(enumeration.count)]
        }
        let lo = minimum ?? 0
        let hi = maximum ?? 100
        switch kind {
        case .boolean: return .bool(rng.chance(0.5))
        case .integer:
            let step = Int(multipleOf ?? 1)
            let n = (Int(hi) - Int(lo)) / max(1, step)
            return .int(Int64(Int(lo) + step * rng.below(n + 1)))
        case .number:
            // Two decimals, and now and then exactly on a bound, where rules have their edges.
            if rng.chance(0.05) { return .double(rng.chance(0.5) ? lo : hi) }
            let x = lo + (hi - lo) * rng.unit() * rng.unit()
            return .double((x * 100).rounded() / 100)
        case .string: return .string("generated \(path)")
        default: return .null
        }
    }

}

/// A small, fast, seedable generator (Steele et al.); the standard library's is not seedable.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

extension JSONValue {
    /// The value as JSON text (also valid YAML): generated cases are written this way.
    public var json: String {
        serialized(pretty: false)
    }

    /// The value as a Lua table constructor, for running the rules in the stock interpreter.
    public var luaLiteral: String {
        switch self {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONValue.format(d)
        case .string(let s):
            var out = ""
            JSONValue.quote(s, into: &out)
            return out
        case .array(let items): return "{" + items.map(\.luaLiteral).joined(separator: ",") + "}"
        case .object(let pairs):
            return "{" + pairs.filter { $0.value != .null }.map { "[\"\($0.key)\"]=\($0.value.luaLiteral)" }.joined(separator: ",") + "}"
        }
    }
}
