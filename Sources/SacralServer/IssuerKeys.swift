import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import Synchronization

/// One JWKS as the verifier uses it: jwt-kit's key collection plus what each key may verify.
///
/// jwt-kit falls back to a default key when a `kid` is unknown and takes the algorithm from the
/// token's header when a key names none, so both are checked here first: a token is only ever
/// tried against the key its `kid` names, with an algorithm that fits that key.
struct KeySet: Sendable {
    struct KeyInfo: Sendable {
        var kty: String
        var crv: String?
        var alg: String?
    }

    let keys: JWTKeyCollection
    let info: [String: KeyInfo]

    /// Parses a JWKS document; symmetric (`oct`) keys and keys without `kid` are refused.
    static func parse(_ data: Data, origin: String) async throws -> KeySet {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = object["keys"] as? [[String: Any]]
        else {
            throw KeySetError("\(origin): not a JWKS (expected an object with a \"keys\" array)")
        }
        var info: [String: KeyInfo] = [:]
        var kept: [[String: Any]] = []
        for key in list {
            guard let kid = key["kid"] as? String, let kty = key["kty"] as? String else { continue }
            guard ["EC", "RSA", "OKP"].contains(kty) else { continue }  // never a shared secret
            if let use = key["use"] as? String, use != "sig" { continue }
            info[kid] = KeyInfo(kty: kty, crv: key["crv"] as? String, alg: key["alg"] as? String)
            kept.append(key)
        }
        let collection = JWTKeyCollection()
        do {
            let json = try JSONSerialization.data(withJSONObject: ["keys": kept])
            try await collection.add(jwksJSON: String(decoding: json, as: UTF8.self))
        } catch {
            throw KeySetError("\(origin): a key could not be read (\(error))")
        }
        return KeySet(keys: collection, info: info)
    }

    /// Whether a token signed with `alg` may be checked with the key `kid`.
    func allows(kid: String, alg: String) -> Bool {
        guard let key = info[kid] else { return false }
        if let declared = key.alg, declared != alg { return false }
        switch alg {
        case "ES256": return key.kty == "EC" && key.crv == "P-256"
        case "ES384": return key.kty == "EC" && key.crv == "P-384"
        case "ES512": return key.kty == "EC" && key.crv == "P-521"
        case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512": return key.kty == "RSA"
        case "EdDSA": return key.kty == "OKP"
        default: return false
        }
    }
}

struct KeySetError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The keys of every configured issuer: a JWKS file read at start, or JWKS fetched from the
/// issuer's allow-listed `jku` URLs, cached for five minutes and fetched again (at most every ten
/// seconds per URL) when a token names a `kid` the cached set does not hold, so key rotation works.
final class IssuerKeys: Sendable {
    private struct Cached {
        var keys: KeySet
        var fetched: ContinuousClock.Instant
    }

    private let files: [String: KeySet]
    private let cache = Mutex<[String: Cached]>([:])
    private let lastAttempt = Mutex<[String: ContinuousClock.Instant]>([:])
    private let fetchTimeout: Duration
    static let maxAge: Duration = .seconds(300)
    static let minRefetch: Duration = .seconds(10)

    init(config: ServerConfig) async throws {
        var files: [String: KeySet] = [:]
        for issuer in config.issuers {
            guard let file = issuer.jwksFile else { continue }
            let path = config.resolve(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ServerConfigError("issuer \(issuer.iss): jwks_file \(path) cannot be read")
            }
            files[issuer.iss] = try await KeySet.parse(data, origin: path)
        }
        self.files = files
        fetchTimeout = .milliseconds(config.limits.fetchTimeoutMilliseconds)
    }

    /// The file-configured keys of an issuer.
    func fileKeys(for iss: String) -> KeySet? { files[iss] }

    /// The keys behind an allow-listed `jku`, holding `kid` if the issuer publishes it.
    func remoteKeys(url: String, kid: String) async throws -> KeySet {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[url] }), now - cached.fetched < Self.maxAge {
            if cached.keys.info[kid] != nil { return cached.keys }
            // An unknown kid: the issuer may have rotated its keys; look again, but not too often.
            let recent = lastAttempt.withLock { $0[url].map { now - $0 < Self.minRefetch } ?? false }
            if recent { return cached.keys }
        }
        lastAttempt.withLock { $0[url] = now }
        let keys = try await fetch(url)
        cache.withLock { $0[url] = Cached(keys: keys, fetched: .now) }
        return keys
    }

    private func fetch(_ url: String) async throws -> KeySet {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .init(fetchTimeout))
        guard response.status == .ok else { throw KeySetError("\(url): answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: 256 * 1024)
        return try await KeySet.parse(Data(body.readableBytesView), origin: url)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
