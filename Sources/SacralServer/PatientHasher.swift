import Crypto
import Foundation
import SacralEngine

/// Turns a patient identifier into the only form the decision log keeps: HMAC-SHA256 under a
/// secret key. The same patient gets the same hash on every replica that shares the key, so a
/// patient's decisions can be found again by whoever holds the key and the identifier, but the log
/// alone (a backup, an export) does not reveal who the patients are.
public struct PatientHasher: Sendable {
    private let key: SymmetricKey

    public init(key: Data) {
        self.key = SymmetricKey(data: key)
    }

    public func hash(_ patientID: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(patientID.utf8), using: key)
        return mac.lowercaseHex
    }

    /// The key from `patient_hash_key_file`; without one, a key kept beside an SQLite log (made on
    /// first start, readable by its owner only). A shared PostgreSQL log needs the key configured,
    /// so that every replica hashes alike.
    public static func load(config: ServerConfig, log: DecisionLog.Kind) throws -> PatientHasher {
        let path: String
        if let file = config.patientHashKeyFile {
            path = config.resolve(file)
        } else if case .sqlite(let db) = log {
            path = db + ".key"
            if !FileManager.default.fileExists(atPath: path) {
                var bytes = [UInt8](repeating: 0, count: 32)
                var generator = SystemRandomNumberGenerator()
                for i in bytes.indices { bytes[i] = generator.next() }
                let text = Data(bytes).base64EncodedString() + "\n"
                guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw ServerConfigError("\(path): the patient hash key could not be written")
                }
            }
        } else {
            throw ServerConfigError("patient_hash_key_file: required with a PostgreSQL log, so that every replica hashes patients alike")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerConfigError("\(path): the patient hash key cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let key = Data(base64Encoded: text) ?? Data(text.utf8)
        guard key.count >= 16 else { throw ServerConfigError("\(path): the patient hash key must hold at least 16 bytes") }
        return PatientHasher(key: key)
    }
}
