// A regression case for the knowledge engineers: the case a decision was made for, with an
// `expect:` block (Cases/README.md grammar) filled from that decision, so that `sacral test`
// fails when a rule change moves any of it.
"use strict";

Sacral.Freeze = (function () {
    const SCORES = ["sins", "tokuhashi", "tomita"];

    /** The `expect:` mapping that the decision satisfies. */
    function expect(decision) {
        const out = {};
        for (const [id, p] of Object.entries(decision.pathways || {})) {
            out[id] = p.status;
            if (p.strength) out[id + ".strength"] = p.strength;
            for (const [lid, l] of Object.entries(p.lesions || {})) {
                out[id + ".lesions." + lid + ".status"] = l.status;
                if (Array.isArray(l.approach) && l.approach.length) out[id + ".lesions." + lid + ".approach"] = l.approach.slice();
            }
        }
        for (const name of SCORES) {
            const s = (decision.scores || {})[name];
            if (!s) continue;
            if (typeof s.total === "number") out["scores." + name + ".total"] = s.total;
            if (typeof s.band === "string") out["scores." + name + ".band"] = s.band;
        }
        const alerts = (decision.alerts || []).map((a) => a.id);
        if (alerts.length) out.alerts = alerts;
        const plan = (decision.plan || []).map((s) => s.pathway);
        if (plan.length > 1) out.plan_order = plan;
        const reasons = {};
        for (const [id, p] of Object.entries(decision.pathways || {})) {
            const rules = [...new Set((p.reasons || []).filter((r) => r.status).map((r) => r.rule))];
            if (rules.length) reasons[id] = rules;
        }
        if (Object.keys(reasons).length) out.reasons = reasons;
        return out;
    }

    /** The case file text: a header naming the ruleset that decided, the case, then `expect:`. */
    function caseFile(caseData, decision) {
        const r = decision.ruleset || {};
        const body = Object.assign({}, caseData);
        delete body.expect;
        body.expect = expect(decision);
        return "# Frozen from the tumour-board page: the expectations are the decision of ruleset "
            + (r.name || "?") + " " + (r.version || "?") + "\n# (sha256 " + (r.sha256 || "?")
            + "). Review each one against the knowledge base before adding the file to Cases/.\n"
            + jsyaml.dump(body, { flowLevel: 3, lineWidth: 120 });
    }

    return { expect, caseFile };
})();
