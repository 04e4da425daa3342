import Foundation
import JWTKit
import Synchronization

/// Who called, once their token has been verified.
public struct Caller: Sendable {
    public var issuer: String
    public var subject: String?
    public var tenant: String?
    public var admin: Bool
}

/// The claims read from a CDS Hooks client's token. Times are checked by `TokenVerifier`, with the
/// service's own skew and lifetime bounds, not by jwt-kit.
struct CallerClaims: JWTPayload {
    var iss: String?
    var sub: String?
    var aud: [String]?
    var exp: Double?
    var iat: Double?
    var jti: String?
    var tenant: String?

    enum CodingKeys: String, CodingKey { case iss, sub, aud, exp, iat, jti, tenant }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iss = try? c.decodeIfPresent(String.self, forKey: .iss)
        sub = try? c.decodeIfPresent(String.self, forKey: .sub)
        if let one = try? c.decodeIfPresent(String.self, forKey: .aud) {
            aud = [one]
        } else {
            aud = try? c.decodeIfPresent([String].self, forKey: .aud)
        }
        exp = try? c.decodeIfPresent(Double.self, forKey: .exp)
        iat = try? c.decodeIfPresent(Double.self, forKey: .iat)
        jti = try? c.decodeIfPresent(String.self, forKey: .jti)
        tenant = try? c.decodeIfPresent(String.self, forKey: .tenant)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Verifies the bearer token every call carries, as CDS Hooks 2.0 asks (and a little stricter):
///
/// 1. the header names an asymmetric `alg` (never `none`, never HMAC) and a `kid`;
/// 2. `iss` is a configured issuer (else 403);
/// 3. the keys are that issuer's own: its JWKS file, or a `jku` on its allow-list (else 403);
/// 4. the signature verifies with the key the `kid` names, and the algorithm fits that key;
/// 5. `aud` is the exact URL of the endpoint called, computed from the configured public base URL;
/// 6. `exp` is not past and `iat` not in the future (skew at most 60 s), `exp - iat` is bounded;
/// 7. `jti` is present and has not been seen for that issuer before the token expires.
///
/// 401 means "we cannot tell who you are"; 403 means "the token names an issuer or key location
/// this service does not accept". Messages never quote the token.
public final class TokenVerifier: Sendable {
    static let asymmetric: Set<String> = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]

    private let issuers: [String: ServerConfig.Issuer]
    private let keys: IssuerKeys
    private let skew: Double
    private let maxLifetime: Double
    private let replay = ReplayCache()

    init(config: ServerConfig) async throws {
        var issuers: [String: ServerConfig.Issuer] = [:]
        for issuer in config.issuers { issuers[issuer.iss] = issuer }
        self.issuers = issuers
        keys = try await IssuerKeys(config: config)
        skew = Double(config.limits.clockSkewSeconds)
        maxLifetime = Double(config.limits.maxTokenLifetimeSeconds)
    }

    /// Checks an `Authorization` header value for a call to `audience` (the endpoint's full URL).
    public func verify(authorization: String?, audience: String, now: Date = Date()) async throws(APIError) -> Caller {
        guard let authorization, authorization.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        else {
            throw .unauthorized("a bearer token is required (Authorization: Bearer <JWT>)")
        }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.count <= 16 * 1024,
            let headerData = Self.base64URL(parts[0]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let payloadData = Self.base64URL(parts[1]),
            let unverified = try? JSONDecoder().decode(CallerClaims.self, from: payloadData)
        else {
            throw .unauthorized("the token is not a well-formed JWT")
        }
        guard let alg = header["alg"] as? String, Self.asymmetric.contains(alg) else {
            throw .unauthorized("the token's algorithm is not accepted (asymmetric signatures only)")
        }
        guard let kid = header["kid"] as? String, !kid.isEmpty else {
            throw .unauthorized("the token's header has no kid")
        }
        guard let iss = unverified.iss, let issuer = issuers[iss] else {
            throw .forbidden("the token's issuer is not on this service's allow-list")
        }
        let keySet: KeySet
        if let jku = header["jku"] {
            guard let jku = jku as? String, issuer.jkuAllow.contains(jku) else {
                throw .forbidden("the token's jku is not on its issuer's allow-list")
            }
            do {
                keySet = try await keys.remoteKeys(url: jku, kid: kid)
            } catch {
                throw .unauthorized("the issuer's key set could not be fetched")
            }
        } else if let fileKeys = keys.fileKeys(for: iss) {
            keySet = fileKeys
        } else {
            throw .unauthorized("the token has no jku and its issuer has no configured key set")
        }
        guard keySet.info[kid] != nil else { throw .unauthorized("the token's kid is not among its issuer's keys") }
        guard keySet.allows(kid: kid, alg: alg) else { throw .unauthorized("the token's algorithm does not fit the key its kid names") }
        let claims: CallerClaims
        do {
            claims = try await keySet.keys.verify(token, as: CallerClaims.self)
        } catch {
            throw .unauthorized("the token's signature does not verify")
        }
        guard claims.iss == iss else { throw .unauthorized("the token's issuer changed under verification") }
        guard let aud = claims.aud, aud.contains(audience) else {
            throw .unauthorized("the token's aud is not this endpoint's URL")
        }
        let t = now.timeIntervalSince1970
        guard let exp = claims.exp, let iat = claims.iat else { throw .unauthorized("the token needs exp and iat") }
        guard exp > t - skew else { throw .unauthorized("the token has expired") }
        guard iat <= t + skew else { throw .unauthorized("the token was issued in the future (iat)") }
        guard exp - iat <= maxLifetime, exp >= iat else {
            throw .unauthorized("the token lives longer than this service accepts (exp - iat over \(Int(maxLifetime)) s)")
        }
        guard let jti = claims.jti, !jti.isEmpty, jti.count <= 256 else { throw .unauthorized("the token has no jti") }
        guard replay.firstUse(issuer: iss, jti: jti, until: exp + skew, now: t) else {
            throw .unauthorized("the token's jti was already used (replay)")
        }
        return Caller(issuer: iss, subject: claims.sub, tenant: claims.tenant, admin: issuer.admin)
    }

    static func base64URL(_ part: Substring) -> Data? {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

/// `jti`s seen per issuer, each kept until its token would have expired anyway.
final class ReplayCache: Sendable {
    private struct State {
        var seen: [String: Double] = [:]
        var sweepAt: Double = 0
    }

    private let state = Mutex(State())
    static let capacity = 1_000_000

    /// True the first time (issuer, jti) is presented before `until`.
    func firstUse(issuer: String, jti: String, until: Double, now: Double) -> Bool {
        let key = issuer + "\u{0}" + jti
        return state.withLock { s in
            if now >= s.sweepAt || s.seen.count >= Self.capacity {
                s.seen = s.seen.filter { $0.value > now }
                s.sweepAt = now + 30
            }
            if let expiry = s.seen[key], expiry > now { return false }
            // Full of live entries: refuse rather than forget one (forgetting would allow a replay).
            if s.seen.count >= Self.capacity { return false }
            s.seen[key] = until
            return true
        }
    }
}
