import Foundation
import Hummingbird
import SacralEngine

/// The REST API (docs/openapi.yaml): `POST /v1/evaluate` (a case, or a FHIR Bundle), `GET /v1/rules`,
/// `GET /v1/fhir/questionnaire`, `POST /v1/admin/reload`.
struct RESTRoutes {
    let state: ServiceState
    let evaluator: DecisionService

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/evaluate") { request, context in
            _ = try await state.authorize(request, context: context)
            let body = try await state.body(request)
            let format = try Self.format(of: request, body: body)
            let requestID = try Self.requestID(request) ?? UUID().uuidString.lowercased()
            if format == .json, Self.isFHIR(request, body: body) {
                if try Self.whatIf(request) {
                    throw APIError.badRequest("what_if: goes with a case only (a FHIR Bundle is evaluated as it is)")
                }
                return try await evaluateBundle(Data(body.readableBytesView), request: request, requestID: requestID, context: context)
            }
            // As on the command line: a case gives the age itself, so a date is a mistake.
            if request.uri.queryParameters.get("date") != nil {
                throw APIError.badRequest("date: goes with a FHIR Bundle only (a case file gives the age itself)")
            }
            let whatIf = try Self.whatIf(request)
            let outcome = try await evaluator.evaluate(
                bytes: Data(body.readableBytesView), format: format, origin: "rest", service: nil,
                requestID: requestID, patientID: nil, whatIfLimit: whatIf ? WhatIfExplorer.defaultLimit : nil, context: context)
            let text = whatIf ? outcome.evaluation.document.serialized() + "\n" : outcome.evaluation.text
            var response = Response.json(text: text, ruleset: outcome.evaluation.rulesetSHA256)
            // The log entry behind the answer (the board opens it at /cases/{id}).
            response.headers[.sacralDecision] = outcome.id
            return response
        }
        router.get("/v1/dictionary") { request, context in
            _ = try await state.authorize(request, context: context)
            let pool = state.rules.pool
            let dictionary: JSONValue
            do {
                dictionary = try await pool.run(deadline: state.deadline) { engine in PageReport.dictionary(engine) }
            } catch {
                throw APIError(.serviceUnavailable, code: "transient", "no engine was free; retry", headers: [.retryAfter: "1"])
            }
            return Response.json(dictionary, ruleset: pool.ruleSet.sha256)
        }
        router.post("/v1/fhir/case") { request, context in
            _ = try await state.authorize(request, context: context)
            return try await readBundle(request, context: context)
        }
        router.get("/v1/rules") { request, context in
            _ = try await state.authorize(request, context: context)
            let pool = state.rules.pool
            let catalogue = RuleCatalogue(catalog: pool.catalog, ruleSet: pool.ruleSet)
            return Response.json(catalogue.json(), ruleset: pool.ruleSet.sha256, pretty: true)
        }
        router.get("/v1/fhir/questionnaire") { request, context in
            _ = try await state.authorize(request, context: context)
            let pool = state.rules.pool
            guard let mapping = pool.fhirMapping else {
                throw APIError(.notFound, code: "not-supported", "the rules have no FHIR mapping (Rules/fhir.lua)")
            }
            let questionnaire = FHIRQuestionnaire.make(mapping, dictionary: pool.validator.dictionary)
            return Response.json(
                text: questionnaire.serialized() + "\n", ruleset: pool.ruleSet.sha256, contentType: "application/fhir+json")
        }
        router.post("/v1/admin/reload") { request, context in
            _ = try await state.authorize(request, context: context, admin: true)
            let outcome = await state.rules.reload(logger: context.logger)
            let status = state.rules.status
            var fields: [(String, JSONValue)] = []
            var code: HTTPResponse.Status = .ok
            switch outcome {
            case .replaced(let old, let new):
                state.metrics.reload(outcome: "replaced")
                fields = [("outcome", .string("replaced")), ("previous", .string(old)), ("sha256", .string(new))]
            case .unchanged(let sha):
                state.metrics.reload(outcome: "unchanged")
                fields = [("outcome", .string("unchanged")), ("sha256", .string(sha))]
            case .failed(let message):
                state.metrics.reload(outcome: "failed")
                code = .unprocessableContent
                fields = [("outcome", .string("failed")), ("error", .string(message)), ("sha256", .string(status.sha256))]
            case .busy:
                code = .conflict
                fields = [("outcome", .string("busy")), ("sha256", .string(status.sha256))]
            }
            return Response.json(.object(fields), status: code, ruleset: status.sha256)
        }
    }

    /// `?what_if=true`: the answer also says, for each undetermined pathway, what each value of each
    /// missing field would decide (at most ``WhatIfExplorer/defaultLimit`` evaluations; the log keeps
    /// the plain decision).
    static func whatIf(_ request: Request) throws(APIError) -> Bool {
        guard let value = request.uri.queryParameters.get("what_if") else { return false }
        switch value {
        case "true": return true
        case "false": return false
        default: throw APIError.badRequest("what_if: expected true or false, got '\(value)'")
        }
    }

    /// A FHIR Bundle rather than a case: sent as `application/fhir+json`, or JSON with a `resourceType`.
    static func isFHIR(_ request: Request, body: ByteBuffer) -> Bool {
        if (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/fhir+json") { return true }
        // A "resourceType" key is written with those letters or with a \u escape: a body holding
        // neither has no such key, and a case is not parsed here only to be parsed again.
        let mayName = body.withUnsafeReadableBytes { raw in
            Self.bytes(raw, contain: Array("resourceType".utf8)) || Self.bytes(raw, contain: Array("\\u".utf8))
        }
        guard mayName else { return false }
        let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return object?["resourceType"] != nil
    }

    /// Whether `needle` occurs in `haystack`. A plain loop: the generic `firstRange(of:)` over raw
    /// bytes cost more than parsing the body it was to spare (perf: 5.6 % of a REST call).
    static func bytes(_ haystack: UnsafeRawBufferPointer, contain needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    /// A Bundle made ready for reading: checked, its date chosen, its patient pseudonymised.
    struct PreparedBundle: Sendable {
        var inputs: [FHIRJSONDocument]
        var mapping: FHIRMapping
        var date: FHIRDate
        var fallbackID: String
        var patientID: String?
    }

    func prepare(bundle data: Data, request: Request) throws(APIError) -> PreparedBundle {
        let label = "request body"
        let object: Any
        let timestamp: String?
        do {
            (object, timestamp) = try FHIRReader.parseBundle(data, file: label)
        } catch {
            throw APIError.badRequest(error.message)
        }
        let date: FHIRDate
        if let text = request.uri.queryParameters.get("date") {
            guard let given = FHIRDate(text) else { throw APIError.badRequest("date: expected YYYY-MM-DD, got '\(text)'") }
            date = given
        } else if let stamp = timestamp.flatMap(FHIRDate.init) {
            date = stamp
        } else {
            throw APIError.badRequest("no evaluation date: give ?date=YYYY-MM-DD or a Bundle.timestamp")
        }
        guard let mapping = state.rules.pool.fhirMapping else {
            throw APIError(.unsupportedMediaType, code: "not-supported", "the rules have no FHIR mapping (Rules/fhir.lua)")
        }
        if let stamp = (object as? [String: Any])?["timestamp"], !(stamp is String) {
            throw APIError.badRequest("timestamp: expected an instant (a string)")
        }
        // The reader skips what it cannot use; a malformed entry is the sender's mistake, so say where.
        for (index, entry) in ((object as? [String: Any])?["entry"] as? [Any] ?? []).enumerated() {
            guard let entry = entry as? [String: Any] else { throw APIError.badRequest("entry[\(index)]: expected an object") }
            if let resource = entry["resource"], (resource as? [String: Any])?["resourceType"] as? String == nil {
                throw APIError.badRequest("entry[\(index)].resource: expected a FHIR resource (an object with a resourceType)")
            }
        }
        let patientID = PatientPseudonyms.patientID(in: [object])
        let pseudonyms = PatientPseudonyms(hasher: state.hasher, caseIDSystem: mapping.caseIDSystem)
        let inputs =
            patientID.map { pseudonyms.apply([("bundle", object)], patientID: $0) } ?? [FHIRJSONDocument(source: "bundle", object: object)]
        let fallbackID = patientID.map(pseudonyms.pseudonym) ?? "fhir-bundle"
        return PreparedBundle(inputs: inputs, mapping: mapping, date: date, fallbackID: fallbackID, patientID: patientID)
    }

    /// `POST /v1/fhir/case`: the case a Bundle gives, read as `evaluate` reads it, without deciding
    /// (the board loads it into its form; the decision follows, and is logged, as the form is used).
    func readBundle(_ request: Request, context: BasicRequestContext) async throws(APIError) -> Response {
        let body = try await state.body(request)
        let bundle = try prepare(bundle: Data(body.readableBytesView), request: request)
        let pool = state.rules.pool
        let result: Result<JSONValue, CaseRejection>
        do {
            result = try await pool.run(deadline: state.deadline) { engine in
                var reader = engine.fhirReader(bundle.mapping)
                reader.assumeOneLesionWhenNone = true
                do {
                    let read = try reader.read(
                        FHIRReader.resources(ofDocuments: bundle.inputs), evaluationDate: bundle.date,
                        fallbackID: bundle.fallbackID, file: CaseEvaluator.requestLabel)
                    return .success(
                        .object([
                            ("case", CaseJSON.encode(read.value)), ("evaluation_date", .string(read.evaluationDate.description)),
                            ("fhir_warnings", .array(read.warnings.map(JSONValue.string))),
                            ("provenance", .object(read.provenance.map { ($0.field, $0.json) })),
                        ]))
                } catch let error as FHIRInputError {
                    return .failure(.unreadable(error.message))
                } catch {
                    return .failure(.unreadable("\(error)"))
                }
            }
        } catch {
            throw APIError(.serviceUnavailable, code: "transient", "no engine was free; retry", headers: [.retryAfter: "1"])
        }
        switch result {
        case .success(let document): return Response.json(document, ruleset: pool.ruleSet.sha256)
        case .failure(let rejection): throw rejection.apiError
        }
    }

    /// A FHIR R4 Bundle of one patient, read through Rules/fhir.lua as `sacral evaluate --fhir` reads
    /// it, at `?date=YYYY-MM-DD` or else the Bundle's timestamp (never the clock). The answer is the
    /// decision with the provenance of every field; the patient's id is replaced by a pseudonym
    /// before reading, so that neither the log nor the answer hold it.
    func evaluateBundle(_ data: Data, request: Request, requestID: String, context: BasicRequestContext) async throws(APIError) -> Response
    {
        let bundle = try prepare(bundle: data, request: request)
        let (inputs, mapping, date, fallbackID, patientID) = (
            bundle.inputs, bundle.mapping, bundle.date, bundle.fallbackID, bundle.patientID
        )
        let outcome = try await evaluator.evaluate(
            origin: "rest", service: nil, requestID: requestID, patientID: patientID,
            context: context
        ) { engine in
            CaseEvaluator.evaluateFHIR(inputs, mapping: mapping, evaluationDate: date, fallbackID: fallbackID, engine: engine)
        }
        return Response.json(text: outcome.evaluation.document.serialized() + "\n", ruleset: outcome.evaluation.rulesetSHA256)
    }

    /// JSON or YAML, from Content-Type; without one, JSON when the body starts like JSON.
    static func format(of request: Request, body: ByteBuffer) throws(APIError) -> CaseDecoder.Format {
        let type =
            (request.headers[.contentType] ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
        switch type {
        case "application/json", "application/fhir+json": return .json
        case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml": return .yaml
        case "":
            let first = body.readableBytesView.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            return first == UInt8(ascii: "{") ? .json : .yaml
        default:
            throw APIError(.unsupportedMediaType, code: "not-supported", "send the case as application/json or application/yaml")
        }
    }

    /// The caller's `X-Request-Id`; it is stored in the log, so only a plain token of up to 128
    /// characters is accepted (400 otherwise).
    static func requestID(_ request: Request) throws(APIError) -> String? {
        guard let value = request.headers[.requestID] else { return nil }
        guard (1...128).contains(value.count),
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        else {
            throw .badRequest("X-Request-Id: expected 1 to 128 letters, digits or - _ . :")
        }
        return value
    }
}
