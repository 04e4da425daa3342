import AsyncHTTPClient
import Foundation
import NIOCore

/// Fetches what a CDS client did not prefetch from its `fhirServer`, with the call's
/// `fhirAuthorization` bearer token, and only when that server is on the config's allow-list (the
/// token is never sent anywhere else, nor logged, nor kept after the call).
struct FHIRFetcher {
    let allowed: [String]
    let timeout: Duration

    /// Whether a `fhirServer` base URL is on the allow-list (same scheme, host and port as an entry).
    func allows(_ server: String) -> Bool {
        guard let origin = Self.origin(server) else { return false }
        return allowed.contains { Self.origin($0) == origin }
    }

    static func origin(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host):\(port)"
    }

    /// GET `{server}/{query}`; the resource or Bundle as a JSON object.
    func fetch(server: String, query: String, token: String) async throws(APIError) -> Any {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        var request = HTTPClientRequest(url: base + "/" + query)
        request.headers.add(name: "Accept", value: "application/fhir+json")
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        let object: Any
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
            let body = try await response.body.collect(upTo: 4 << 20)
            guard response.status == .ok else {
                throw APIError(
                    .preconditionFailed, code: "not-found", "the FHIR server answered \(response.status.code) for a required query")
            }
            object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.preconditionFailed, code: "not-found", "a required query could not be fetched from the FHIR server")
        }
        guard let dict = object as? [String: Any], dict["resourceType"] is String else {
            throw APIError(.preconditionFailed, code: "not-found", "the FHIR server did not answer a FHIR resource")
        }
        return dict
    }
}
