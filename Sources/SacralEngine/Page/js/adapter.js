// Where the page gets its dictionary and decisions. Two adapters with one shape:
//  - report: everything inline in the page (`sacral report`); no evaluation after a change.
//  - http: a `sacral serve` on the same origin: GET /v1/dictionary, POST /v1/evaluate?what_if=true
//    (debounced by the page; the answer names the logged decision in X-Sacral-Decision); a refused case comes back as a FHIR OperationOutcome (the server's error body), read
//    into { errors: [{ path, message }] } for the form.
"use strict";

Sacral.adapters = {
    /** The field messages of an error answer: an OperationOutcome's issues (expression → path,
     *  diagnostics → message) or a plain { errors: [...] }; never empty. */
    issues(body, status) {
        if (body && Array.isArray(body.errors) && body.errors.length) return body.errors;
        const list = (body && body.resourceType === "OperationOutcome" && Array.isArray(body.issue)) ? body.issue : [];
        const withPath = list.filter((i) => Array.isArray(i.expression) && i.expression.length);
        const chosen = withPath.length ? withPath : list;
        const out = chosen.map((i) => ({ path: withPath.length ? i.expression[0] : "", message: i.diagnostics || i.code || "refused" }));
        return out.length ? out : [{ path: "", message: "the server answered " + status }];
    },

    report(data) {
        return {
            mode: "report",
            live: false,
            dictionary: () => Promise.resolve(data.dictionary),
            initial: () => Promise.resolve({ caseData: data.case || null, decision: data.decision || null, source: data.source }),
            evaluate: null,
        };
    },

    /** `initial`: the case and decision the server opened the page with (a logged case), if any. */
    http(base, initial) {
        base = base || "";
        initial = initial || {};
        let inflight = null;
        async function json(response) {
            const body = await response.json().catch(() => ({}));
            return { ok: response.ok, status: response.status, body };
        }
        return {
            mode: "live",
            live: true,
            dictionary: async () => (await json(await fetch(base + "/v1/dictionary"))).body,
            initial: () => Promise.resolve({ caseData: initial.case || null, decision: initial.decision || null, source: initial.source }),
            /** A FHIR Bundle read into a case by the server's Rules/fhir.lua (POST /v1/fhir/case, at the
             *  Bundle's timestamp or else `date`): { record: { case, evaluation_date, fhir_warnings,
             *  provenance } } or { errors }. */
            async readFHIR(bundleText, date) {
                const query = date ? "?date=" + encodeURIComponent(date) : "";
                const response = await fetch(base + "/v1/fhir/case" + query, {
                    method: "POST", headers: { "Content-Type": "application/fhir+json", Accept: "application/json" }, body: bundleText,
                });
                const r = await json(response);
                if (r.ok) return { record: r.body };
                return { errors: Sacral.adapters.issues(r.body, r.status) };
            },
            /** Resolves to { decision } or { errors: [{ path, message }] }; an older request is aborted. */
            async evaluate(caseData) {
                if (inflight) inflight.abort();
                inflight = new AbortController();
                const response = await fetch(base + "/v1/evaluate?what_if=true", {
                    method: "POST", signal: inflight.signal,
                    headers: { "Content-Type": "application/json", Accept: "application/json" },
                    body: JSON.stringify(caseData),
                });
                const r = await json(response);
                if (r.ok) return { decision: r.body, logged: response.headers.get("X-Sacral-Decision") };
                return { errors: Sacral.adapters.issues(r.body, r.status) };
            },
        };
    },
};
