/// Why a call into Lua failed. The message carries the chunk name and line where Lua knew them
/// (`Rules/coagulation.lua:12: attempt to compare nil with number`).
public struct LuaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The chunk did not compile.
        case syntax
        /// The code raised an error.
        case runtime
        /// The state's memory cap was reached.
        case memory
        /// The instruction budget ran out.
        case instructionLimit = "instruction_limit"
        /// A value could not cross the boundary (a function, a cycle, too deep, too large).
        case conversion
        /// The state could not be created or the sandbox could not be opened.
        case setup
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The file and line at the head of the message, where Lua put one.
    public var position: LuaPosition? { LuaPosition(message: message) }
}

/// The `file:line:` position at the head of a Lua error message, as data. Lua reports positions
/// only inside its message text, so this is the one place that reads that format.
public struct LuaPosition: Sendable, Equatable {
    public var file: String
    public var line: Int
    /// The message after the position.
    public var text: String

    /// Nil when the message's first line does not start with `file:line:`.
    public init?(message: String) {
        let firstLine = message.prefix { $0 != "\n" }
        // The file part may itself hold colons (`[string "x"]:3:`): take the first `:digits:`.
        var search = firstLine.startIndex
        while let colon = firstLine[search...].firstIndex(of: ":") {
            let afterColon = firstLine.index(after: colon)
            let digits = firstLine[afterColon...].prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, digits.endIndex < firstLine.endIndex, firstLine[digits.endIndex] == ":",
                let line = Int(digits), colon > firstLine.startIndex
            {
                file = String(firstLine[..<colon])
                self.line = line
                let rest = message[message.index(after: digits.endIndex)...]
                text = String(rest.drop { $0 == " " })
                return
            }
            search = afterColon
        }
        return nil
    }
}

/// Resource limits of one Lua state.
public struct LuaLimits: Sendable, Equatable {
    /// Bytes the state may hold while running Lua code (the cap is lifted while the host builds
    /// values, so that a host push can never abort the process).
    public var memoryBytes: Int
    /// Instructions one budget window allows; the trusted runtime opens a window per rule call.
    public var instructionsPerWindow: Int
    /// Instructions one call from the host (one case) may run in all its windows together; 0 for
    /// no such budget. Without it, many rules each running close to their own budget, or one
    /// per-lesion rule over many lesions, add up to minutes.
    public var instructionsPerCase: Int
    /// CPU seconds one call from the host (one case) may take on its thread; 0 for none.
    /// A backstop for work no count sees (a VM instruction comparing two long strings); it is
    /// checked every few hundred instructions and before every charged library call. A rule
    /// stopped by it fails closed, and the output says so.
    public var secondsPerCase: Double

    public init(
        memoryBytes: Int = 32 << 20, instructionsPerWindow: Int = 1_000_000,
        instructionsPerCase: Int = 20_000_000, secondsPerCase: Double = 5
    ) {
        self.memoryBytes = memoryBytes
        self.instructionsPerWindow = instructionsPerWindow
        self.instructionsPerCase = instructionsPerCase
        self.secondsPerCase = secondsPerCase
    }
}
