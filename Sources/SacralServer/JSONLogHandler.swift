import Foundation
import Logging
import SacralEngine

/// swift-log handler writing one JSON object per line to standard error (time, level, label,
/// message, then the metadata), for log shippers. The server never puts a token, a request body
/// or a patient identifier in metadata; this handler writes only what it is given.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private static let lock = NSLock()

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, JSONValue)] = [
            ("time", .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))),
            ("level", .string(event.level.rawValue)), ("logger", .string(label)), ("message", .string(event.message.description)),
        ]
        // An attached error (`event.error`) is not written: its description is text the server
        // did not choose, and may quote a request; what an error means goes in the message.
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        for key in all.keys.sorted() { fields.append((key, .string("\(all[key]!)"))) }
        let text = JSONValue.object(fields).serialized(pretty: false) + "\n"
        Self.lock.lock()
        FileHandle.standardError.write(Data(text.utf8))
        Self.lock.unlock()
    }
}
