import Foundation

/// Reads JSON Lines from a file handle, one line at a time, in time linear in the input.
///
/// Each chunk read is searched for a newline once (never the whole pending line again), and a
/// line longer than `maxLineBytes` is not kept: its bytes are skipped up to the next newline and
/// the line comes back as ``Line/tooLong(number:bytes:)``, so that a line that never ends costs
/// neither quadratic time nor unbounded memory.
struct JSONLinesReader {
    enum Line {
        /// A whole line, without its newline.
        case text(number: Int, Data)
        /// A line of more than `maxLineBytes` bytes (`bytes` counted up to where it ended).
        case tooLong(number: Int, bytes: Int)
    }

    let handle: FileHandle
    let maxLineBytes: Int
    var chunkSize = 1 << 16

    private var buffer = [UInt8]()
    private var start = 0  // where the current line begins in `buffer`
    private var scanned = 0  // bytes from `start` already searched for a newline
    private var skipping = false  // inside a line that is too long: drop bytes up to its newline
    private var skipped = 0
    private var lineNumber = 0
    private var atEnd = false

    init(handle: FileHandle, maxLineBytes: Int) {
        self.handle = handle
        self.maxLineBytes = maxLineBytes
    }

    mutating func next() -> Line? {
        while true {
            // A newline in the bytes not yet searched ends a line.
            if let newline = buffer[(start + scanned)...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                start = newline + 1
                scanned = 0
                lineNumber += 1
                if skipping {
                    let bytes = skipped + line.count
                    skipping = false
                    skipped = 0
                    return .tooLong(number: lineNumber, bytes: bytes)
                }
                return .text(number: lineNumber, Data(line))
            }
            scanned = buffer.count - start
            if scanned > maxLineBytes {
                // Too long already: forget it, and look only for where it ends.
                skipping = true
                skipped += scanned
                start = buffer.count
                scanned = 0
            }
            if atEnd {
                let rest = buffer[start...]
                guard !rest.isEmpty || skipping else { return nil }
                lineNumber += 1
                start = buffer.count
                scanned = 0
                if skipping {
                    skipping = false
                    return .tooLong(number: lineNumber, bytes: skipped + rest.count)
                }
                return .text(number: lineNumber, Data(rest))
            }
            // Drop the lines already handed out before reading on.
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let chunk = handle.readData(ofLength: chunkSize)
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
