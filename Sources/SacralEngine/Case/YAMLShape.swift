internal import CYaml

/// The shape of a YAML text, checked on the events of libyaml (the parser Yams itself runs,
/// linked once, through Yams) before Yams builds its tree of nodes: every mapping key is a
/// scalar, and nothing nests deeper than the case format's limit.
///
/// Why before, and why these two: Yams checks a mapping's keys for duplicates as it builds the
/// tree, and orders duplicated keys that are lists or mappings by a comparison that compares
/// each element pair twice, recursively: a 5 KB file of nested complex keys (`? - ? - …`, found
/// by the fuzzer) took minutes. A case file's keys are names, and the decoder refuses deeper
/// nesting anyway; refusing both here, in one linear pass, keeps decoding linear in the text.
enum YAMLShape {
    /// What is wrong, as the decoder's message ("is nested deeper than …", naming the line); nil
    /// when the text has neither problem. A text libyaml cannot parse is not judged here: Yams
    /// reports it with its own message.
    static func problem(in text: String, maxDepth: Int) -> String? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> String? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            // One entry per open collection: for a mapping, whether its next node is a key;
            // nil for a sequence.
            var open: [Bool?] = []
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let type = event.type
                let line = Int(event.start_mark.line) + 1
                let isKey = open.last.flatMap { $0 } ?? false
                switch type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT, YAML_ALIAS_EVENT:
                    if isKey && type == YAML_ALIAS_EVENT {
                        return "has an alias (*name) as a key (line \(line)); the keys of a case file are plain names"
                    }
                    Self.completeNode(in: &open)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    if isKey { return "has a list or a mapping as a key (line \(line)); the keys of a case file are plain names" }
                    if open.count > maxDepth { return "is nested deeper than \(maxDepth) levels (line \(line))" }
                    open.append(type == YAML_MAPPING_START_EVENT ? true : nil)
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    _ = open.popLast()
                    Self.completeNode(in: &open)
                default:
                    continue  // stream, document start and end
                }
            }
            return nil
        }
    }

    /// A whole node ended inside the innermost collection: in a mapping, a key is followed by a
    /// value and a value by a key.
    private static func completeNode(in open: inout [Bool?]) {
        guard let last = open.last, let expectsKey = last else { return }
        open[open.count - 1] = !expectsKey
    }
}
