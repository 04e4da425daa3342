// Where the page gets its dictionary and decisions. Two adapters with one shape:
//  - report: everything inline in the page (`sacral report`); no evaluation after a change.
//  - http: a `sacral serve` on the same origin: GET /v1/dictionary, POST /v1/evaluate (debounced by
//    the page); validation messages come back as { errors: [{ path, message }] }.
"use strict";

Sacral.adapters = {
    report(data) {
        return {
            mode: "report",
            live: false,
            dictionary: () => Promise.resolve(data.dictionary),
            initial: () => Promise.resolve({ caseData: data.case || null, decision: data.decision || null, source: data.source }),
            evaluate: null,
        };
    },

    http(base) {
        base = base || "";
        let inflight = null;
        async function json(response) {
            const body = await response.json().catch(() => ({}));
            return { ok: response.ok, status: response.status, body };
        }
        return {
            mode: "live",
            live: true,
            dictionary: async () => (await json(await fetch(base + "/v1/dictionary"))).body,
            initial: () => Promise.resolve({ caseData: null, decision: null }),
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
                if (r.ok) return { decision: r.body };
                return { errors: r.body.errors || [{ path: "", message: "the server answered " + r.status }] };
            },
        };
    },
};
