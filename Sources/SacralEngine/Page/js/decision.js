// The decision view: alerts first (the cauda equina emergency unmistakable), the plan as a timeline,
// each pathway with its status in words, symbol and colour and its strength, per-lesion statuses,
// the reasons with their inputs and sources behind a disclosure, scores (intervals where items are
// missing), what would change an undetermined pathway, the missing data as links to the form, and
// the ruleset's name, version and SHA-256. Clinical words come from the decision and the rules.
"use strict";

Sacral.DecisionView = (function () {
    const { el, words, statusBadge } = Sacral.util;
    const timingWords = { emergency: "emergency", before: "before", same_session: "same session", after: "after" };

    function render(container, decision, dict, options) {
        options = options || {};
        container.replaceChildren();
        if (!decision) {
            container.appendChild(el("p", { class: "empty", text: "No decision yet: enter or load a case." }));
            return;
        }
        const title = (id) => { const p = dict.pathways.get(id); return p && p.title ? p.title : words(id); };
        container.append(
            header(decision),
            alerts(decision),
            el("div", { class: "overview" }, [
                el("div", { class: "overview-main" }, [plan(decision, title)]),
                el("figure", { class: "sacrum-figure", id: "sacrum-figure" }, [
                    Sacral.Sacrum.draw(options.caseData, decision),
                    el("figcaption", {}, [el("span", { text: "Sacroplasty status of each lesion, posterior view." }), Sacral.Sacrum.legend()]),
                ]),
            ]),
            pathwaysSummary(decision, title),
            missing(decision, dict, options.onMissing),
            whatIf(decision, dict, title),
            scores(decision),
            pathways(decision, dict, title),
            notices(decision),
            ruleset(decision),
        );
    }

    function section(id, heading, children, cls) {
        return el("section", { class: "block " + (cls || ""), id: id, "aria-labelledby": id + "-h" }, [
            el("h3", { id: id + "-h", text: heading }),
        ].concat(children));
    }

    function header(d) {
        return el("div", { class: "decision-header" }, [
            el("p", { class: "case-id" }, [el("strong", { text: d.case }), d.title ? " — " + d.title : ""]),
        ]);
    }

    function alerts(d) {
        const list = d.alerts || [];
        if (!list.length) return section("alerts", "Alerts", [el("p", { class: "none", text: "No alert." })], "alerts");
        const items = list.map((a) => {
            const emergency = a.level === "emergency";
            return el("div", { class: "alert alert-" + a.level, role: emergency ? "alert" : null, "data-alert": a.id }, [
                el("p", { class: "alert-level" }, [el("span", { "aria-hidden": "true", text: emergency ? "⚠ " : a.level === "warning" ? "▲ " : "ℹ " }),
                    emergency ? "EMERGENCY" : a.level]),
                el("p", { class: "alert-text", text: a.text }),
                el("p", { class: "alert-meta", text: "rule " + (a.rule || "—") + (a.source ? " · " + a.source : "") }),
            ]);
        });
        return section("alerts", "Alerts", items, "alerts");
    }

    function plan(d, title) {
        const steps = d.plan || [];
        const lesionsOf = (pathway) => {
            const p = d.pathways && d.pathways[pathway];
            return p && p.lesions ? Object.entries(p.lesions) : [];
        };
        const items = steps.map((s) => {
            const approaches = lesionsOf(s.pathway)
                .filter(([, l]) => (l.approach && l.approach.length) || l.modality)
                .filter(([id]) => !s.lesions || s.lesions.includes(id))
                .map(([id, l]) => el("li", { text: "lesion " + id + ": " + (l.approach && l.approach.length ? "approach " + words(l.approach) : words(l.modality)) }));
            return el("li", { class: "step timing-" + (s.timing || "none"), "data-pathway": s.pathway }, [
                el("span", { class: "step-number", text: String(s.step) }),
                el("div", { class: "step-body" }, [
                    el("p", { class: "step-title" }, [el("strong", { text: title(s.pathway) }),
                        s.timing ? el("span", { class: "timing", text: timingWords[s.timing] || words(s.timing) }) : null,
                        s.lesions ? el("span", { class: "step-lesions", text: "lesions " + s.lesions.join(", ") }) : null]),
                    el("p", { class: "step-text", text: s.text || "" }),
                    approaches.length ? el("ul", { class: "approaches" }, approaches) : null,
                ]),
            ]);
        });
        return section("plan", "Plan", items.length ? [el("ol", { class: "timeline" }, items)]
            : [el("p", { class: "none", text: "No pathway is recommended: nothing to sequence." })], "plan");
    }

    function pathwaysSummary(d, title) {
        const rows = Object.entries(d.pathways || {}).map(([id, p]) => el("tr", { "data-pathway": id, "data-status": p.status, "data-strength": p.strength || "" }, [
            el("th", { scope: "row" }, [el("a", { href: "#pathway-" + id, text: title(id) })]),
            el("td", {}, [statusBadge(p.status, p.strength)]),
            el("td", { class: "lesion-statuses" }, p.lesions ? Object.entries(p.lesions).map(([lid, l]) =>
                el("span", { class: "lesion-status-chip" }, ["lesion " + lid + ": ", statusBadge(l.status, l.strength)])) : []),
        ]));
        return section("pathways-summary", "Pathways", [el("table", { class: "pathway-table" }, [
            el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "Pathway" }), el("th", { scope: "col", text: "Status" }), el("th", { scope: "col", text: "Per lesion" })])]),
            el("tbody", {}, rows),
        ])], "pathways-summary");
    }

    function missing(d, dict, onMissing) {
        const list = d.missing || [];
        if (!list.length) return section("missing", "Missing data", [el("p", { class: "none", text: "Nothing missing that could change a status." })], "missing");
        return section("missing", "Missing data", [el("ul", { class: "missing-list" }, list.map((m) => el("li", {}, [
            el("a", { href: "#" + Sacral.util.fieldId(m.field), class: "missing-link", "data-field": m.field,
                onclick: (e) => { if (onMissing && onMissing(m.field)) e.preventDefault(); } }, [dict.label(m.field) + " (" + m.field + ")"]),
            " — affects " + (m.affects || []).map((p) => {
                const ids = m.lesions && m.lesions[p];
                return ids ? words(p) + " (lesion" + (ids.length === 1 ? " " : "s ") + ids.join(", ") + ")" : words(p);
            }).join(", "),
        ])))], "missing");
    }

    /** "INR ≤ 1.50 → recommended; INR > 1.50 → contraindicated (absolute)" for each undetermined pathway. */
    function whatIf(d, dict, title) {
        const w = d.what_if;
        if (!w) return el("div", { hidden: true });
        const blocks = [];
        for (const [pathway, fields] of Object.entries(w.pathways || {})) {
            blocks.push(el("div", { class: "what-if-pathway", "data-pathway": pathway }, [
                el("h4", {}, [title(pathway) + " ", statusBadge("undetermined")]),
                fields.length ? el("ul", {}, fields.map((f) => el("li", { class: "what-if-field", "data-field": f.field }, [
                    el("span", { class: "what-if-outcomes" }, f.outcomes.map((o, i) => el("span", { class: "what-if-outcome", "data-status": o.status, "data-strength": o.strength || "" }, [
                        i > 0 ? "; " : "", (f.label || f.field) + " " + (o.when.match(/^[<>≤≥]/) ? o.when : "= " + o.when) + " → ",
                        statusBadge(o.status, o.strength),
                    ]))),
                ]))) : el("p", { class: "none", text: "No missing field of this pathway could be explored." }),
            ]));
        }
        const unexplored = (w.unexplored || []).map((u) => el("li", { text: dict.label(u.field) + " (" + u.field + "): not explored — " + u.reason }));
        if (!blocks.length && !unexplored.length) return el("div", { hidden: true });
        return section("what-if", "What would change it", [
            el("p", { class: "help", text: "Each missing field tried alone with each of its possible values (" + w.evaluations + " evaluations, at most " + w.limit + ")." }),
        ].concat(blocks, unexplored.length ? [el("ul", { class: "unexplored" }, unexplored)] : []), "what-if");
    }

    function scores(d) {
        const entries = Object.entries(d.scores || {});
        if (!entries.length) return el("div", { hidden: true });
        const cards = entries.map(([id, s]) => {
            const value = s.total !== null && s.total !== undefined ? String(s.total)
                : (s.min !== undefined ? s.min + "–" + s.max + " (interval: items missing)" : "not computed");
            const items = s.items ? Object.entries(s.items).map(([k, v]) => el("tr", {}, [el("th", { scope: "row", text: words(k) }),
                el("td", { text: typeof v === "object" && v !== null ? (v.min !== undefined ? v.min + "–" + v.max : JSON.stringify(v)) : String(v) })])) : [];
            const perLesion = s.lesions ? Object.entries(s.lesions).map(([lid, l]) => el("li", {
                text: "lesion " + lid + ": " + (l.total !== null && l.total !== undefined ? l.total : (l.min !== undefined ? l.min + "–" + l.max : "—")) + (l.band ? " (" + words(l.band) + ")" : "") })) : [];
            const missingItems = s.missing_items ? el("p", { class: "score-missing", text: "missing items: " + words(s.missing_items) }) : null;
            const missingFields = Array.isArray(s.missing) ? el("p", { class: "score-missing", text: "missing: " + s.missing.map((m) => m.field || m).join(", ") }) : null;
            return el("div", { class: "score", "data-score": id }, [
                el("h4", {}, [id.toUpperCase() + " ", el("span", { class: "score-total", text: value }), s.band ? el("span", { class: "band", text: words(s.band) }) : null]),
                perLesion.length ? el("ul", { class: "score-lesions" }, perLesion) : null,
                items.length ? el("table", { class: "score-items" }, [el("caption", { class: "visually-hidden", text: id + " items" }), el("tbody", {}, items)]) : null,
                missingItems, missingFields,
            ]);
        });
        return section("scores", "Scores", [el("div", { class: "score-grid" }, cards)], "scores");
    }

    function pathways(d, dict, title) {
        // A reason that sets a status in several pathways (e.g. a missing tissue diagnosis) is printed
        // in full once; later copies name where it is, so that a case fits on two A4 pages.
        const firstSeen = new Map();
        const cards = Object.entries(d.pathways || {}).map(([id, p]) => {
            const detail = Object.entries(p.detail || {});
            const printedLong = ["outcomes", "technique"];
            const lesions = p.lesions ? el("table", { class: "lesion-table" }, [
                el("caption", { text: "Per lesion" }),
                el("thead", {}, [el("tr", {}, ["Lesion", "Status", "Approach or modality", "Missing"].map((h) => el("th", { scope: "col", text: h })))]),
                el("tbody", {}, Object.entries(p.lesions).map(([lid, l]) => el("tr", { "data-lesion": lid, "data-status": l.status }, [
                    el("th", { scope: "row", text: lid }), el("td", {}, [statusBadge(l.status, l.strength)]),
                    el("td", { text: l.approach && l.approach.length ? words(l.approach) : (l.modality ? words(l.modality) : "—") }),
                    el("td", { text: l.missing && l.missing.length ? l.missing.join(", ") : "—" }),
                ]))),
            ]) : null;
            const deciding = (p.reasons || []).filter((r) => r.status);
            const reasons = el("details", { class: "reasons" }, [
                el("summary", { text: "Reasons (" + (p.reasons || []).length + ", " + deciding.length + " with a status), inputs and sources" }),
                el("ol", {}, (p.reasons || []).map((r, i) => {
                    if (!r.status) return reason(r, dict, null);
                    const key = JSON.stringify([r.rule, r.status, r.strength, r.lesion, r.text, r.inputs, r.source]);
                    const first = firstSeen.get(key);
                    if (!first) firstSeen.set(key, title(id) + ", reason " + (i + 1));
                    return reason(r, dict, first || null);
                })),
            ]);
            return el("article", { class: "pathway status-border-" + p.status, id: "pathway-" + id, "data-pathway": id, "aria-labelledby": "pathway-" + id + "-h" }, [
                el("h4", { id: "pathway-" + id + "-h" }, [title(id) + " ", statusBadge(p.status, p.strength)]),
                deciding.length ? el("ul", { class: "deciding" }, deciding.map((r) => el("li", {}, [statusBadge(r.status, r.strength), " ", r.text]))) : null,
                detail.length ? el("dl", { class: "detail" }, detail.flatMap(([k, v]) => [el("dt", { text: words(k) }),
                    el("dd", { class: printedLong.includes(k) ? "long" : null, text: typeof v === "string" ? v : words(v) })])) : null,
                lesions,
                p.missing && p.missing.length ? el("p", { class: "pathway-missing", text: "missing: " + p.missing.join(", ") }) : null,
                reasons,
            ]);
        });
        return section("pathways", "Pathways in detail", cards, "pathways-detail");
    }

    /** One reason; `repeatOf` names the earlier place of the same reason (only printed, on paper). */
    function reason(r, dict, repeatOf) {
        const inputs = Object.entries(r.inputs || {});
        const full = r.source ? r.source.split("; ").map((s) => dict.sources[s] ? s + ": " + dict.sources[s] : s) : [];
        return el("li", { class: "reason outcome-" + (r.outcome || "fired") + (r.status ? " reason-deciding" : " reason-note") + (repeatOf ? " reason-repeat" : "") }, [
            el("p", { class: "reason-head" }, [
                el("code", { text: r.rule }), " ",
                r.status ? statusBadge(r.status, r.strength) : el("span", { class: "outcome", text: words(r.outcome) }),
                r.lesion ? el("span", { class: "reason-lesion", text: " lesion " + r.lesion }) : null,
            ]),
            el("p", { class: "reason-text", text: r.text }),
            repeatOf ? el("p", { class: "repeat-ref", text: "the same reason, inputs and source as under " + repeatOf }) : null,
            r.evidence ? el("p", { class: "evidence", text: r.evidence }) : null,
            r.correction ? el("p", { class: "correction", text: "correction: " + (typeof r.correction === "string" ? r.correction : JSON.stringify(r.correction)) }) : null,
            r.missing && r.missing.length ? el("p", { class: "reason-missing", text: "missing: " + [].concat(r.missing).join(", ") }) : null,
            inputs.length ? el("table", { class: "inputs" }, [el("caption", { text: "Inputs read" }),
                el("tbody", {}, inputs.map(([k, v]) => el("tr", {}, [el("th", { scope: "row", text: k }), el("td", { text: words(v) })])))]) : null,
            full.length ? el("p", { class: "source" }, ["Source: ", el("span", { class: "source-full", text: full.join("; ") }),
                el("span", { class: "source-short", text: r.source })]) : null,
            r.implements && r.implements.length ? el("p", { class: "implements", text: "implements " + r.implements.join(", ") }) : null,
        ]);
    }

    function notices(d) {
        const items = [];
        for (const w of d.warnings || []) items.push(el("li", { class: "warning", text: w }));
        for (const e of d.errors || []) items.push(el("li", { class: "error", text: "rule " + e.rule + " failed (" + e.kind + "): " + e.message }));
        if (!items.length) return el("div", { hidden: true });
        return section("notices", "Warnings", [el("ul", {}, items)], "notices");
    }

    function ruleset(d) {
        const r = d.ruleset || {};
        return el("p", { class: "ruleset", id: "ruleset" }, [
            "Rules ", el("strong", { text: r.name }), " version ", el("strong", { text: r.version }),
            ", SHA-256 ", el("code", { class: "sha", text: r.sha256 }), " · ", d.engine || "",
        ]);
    }

    return { render };
})();
