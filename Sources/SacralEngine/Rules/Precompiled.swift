import LuaKit

/// The Lua bytecode of the engine's runtime and of the shipped rules, compiled into the binary at
/// build time (the EmbedFiles plugin, with the liblua5.4 the engine links) so that starting the
/// engine skips the parser.
///
/// A chunk is used only when both its chunk name and the text to compile are exactly those it was
/// made from; anything else (a changed or added rule file, a rules directory elsewhere, a Lua that
/// refuses the format) is compiled from its text as before. Rules never see this: binary chunks
/// are loaded by the host alone.
enum Precompiled {
    /// chunk name -> (embedded text, bytecode as one scalar per byte).
    private static let chunks: [String: (text: String, bytes: String)] = {
        var textOf: [String: String] = [:]
        for entry in EmbeddedFiles.all {
            let runtime = "Sources/SacralEngine/Runtime/"
            if entry.path.hasPrefix(runtime), entry.path.hasSuffix(".lua") {
                textOf[LuaState.trustedChunkPrefix + entry.path.dropFirst(runtime.count).dropLast(".lua".count)] = entry.text
            } else if entry.path.hasPrefix("Rules/") {
                textOf["@" + entry.path] = entry.text
            }
        }
        var chunks: [String: (text: String, bytes: String)] = [:]
        for (name, bytes) in EmbeddedFiles.precompiled {
            if let text = textOf[name] { chunks[name] = (text, bytes) }
        }
        return chunks
    }()

    /// `text` compiled as `chunkName` in `state`: from the bytecode when it was made from this very
    /// text under this name, else from the text.
    static func compile(_ text: String, chunkName: String, in state: LuaState) throws(LuaError) -> LuaRef {
        if let chunk = chunks[chunkName], RuleSet.sameBytes(chunk.text, text),
            let loaded = state.loadPrecompiled(bytes(chunk.bytes), chunkName: chunkName)
        {
            return loaded
        }
        return try state.compile(text, chunkName: chunkName)
    }

    /// The bytes of a literal written by embed-files: each scalar U+0000...U+00FF is one byte,
    /// one UTF-8 byte below 0x80, two (0xC2/0xC3 and a continuation byte) above.
    static func bytes(_ literal: String) -> [UInt8] {
        var literal = literal
        return literal.withUTF8 { utf8 in
            guard let source = utf8.baseAddress, !utf8.isEmpty else { return [] }
            return [UInt8](unsafeUninitializedCapacity: utf8.count) { out, count in
                let from = UnsafeRawPointer(source)
                let to = UnsafeMutableRawPointer(out.baseAddress!)
                var i = 0
                var n = 0
                while i < utf8.count {
                    // Eight bytes below 0x80 stand for themselves: copied as one word (four bytes in
                    // ten of a chunk are; byte by byte, this loop was a twentieth of an engine start).
                    // n <= i, so the word fits where i + 8 does.
                    if i + 8 <= utf8.count {
                        let word = from.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        if word & 0x8080_8080_8080_8080 == 0 {
                            to.storeBytes(of: word, toByteOffset: n, as: UInt64.self)
                            i += 8
                            n += 8
                            continue
                        }
                    }
                    let b = utf8[i]
                    if b < 0x80 {
                        out[n] = b
                        i += 1
                    } else {
                        out[n] = (b & 0x03) << 6 | (utf8[i + 1] & 0x3F)
                        i += 2
                    }
                    n += 1
                }
                count = n
            }
        }
    }
}
