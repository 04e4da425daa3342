extension Sequence where Element == UInt8 {
    /// The bytes in lowercase hexadecimal, two digits each: how a digest (the ruleset's SHA-256, a
    /// patient hash, a feedback id) is written. `String(format: "%02x")` boxed every byte as a
    /// `CVarArg` and looked up its conformances: the 32 calls for a SHA-256 cost more than the hash
    /// of the whole rule set, once per engine start and once per logged request.
    public var lowercaseHex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
