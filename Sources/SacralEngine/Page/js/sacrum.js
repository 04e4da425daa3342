// The sacrum drawn from the case: levels S1–S5 (L5 and the coccyx when a lesion involves them), the
// ilia, Denis zones I–III on each side, every lesion at its levels, zones and side, coloured and
// patterned by its sacroplasty status, with its preferred needle approach. Posterior view: the
// patient's left is on the left.
"use strict";

["svg", "g", "path", "rect", "line", "text", "title", "desc", "defs", "pattern", "marker", "polygon", "ellipse", "circle", "tspan"]
    .forEach((t) => Sacral.util.svgTags.add(t));

Sacral.Sacrum = (function () {
    const el = Sacral.util.el;
    const W = 600, CX = 300, TOP = 70, LEVEL_H = 58;
    const LEVELS = ["S1", "S2", "S3", "S4", "S5"];
    // Half-width of the sacrum at the top of level i (it narrows caudally).
    const half = (i) => 150 - i * 26;
    // Denis zones as fractions of the half-width: III central (body and canal), II foraminal, I ala.
    const ZONES = { 3: [0, 0.3], 2: [0.3, 0.55], 1: [0.55, 1] };

    function levelY(level) {
        if (level === "L5") return [TOP - LEVEL_H, TOP - 6];
        if (level === "coccyx") return [TOP + 5 * LEVEL_H + 4, TOP + 5 * LEVEL_H + 40];
        const i = LEVELS.indexOf(level);
        return [TOP + i * LEVEL_H, TOP + (i + 1) * LEVEL_H];
    }

    function halfAt(y) {
        const t = (y - TOP) / LEVEL_H;
        if (t < 0) return 110;                      // L5 body
        if (t > 5) return 22;                       // coccyx
        return half(0) - t * 26;
    }

    function outline() {
        const pts = [];
        for (let i = 0; i <= 5; i++) pts.push([CX - half(i) * (i === 5 ? 0.4 : 1), TOP + i * LEVEL_H]);
        const right = pts.map(([x, y]) => [2 * CX - x, y]).reverse();
        return pts.concat(right).map((p) => p.join(",")).join(" ");
    }

    /** Rectangles of a lesion: for each side half and zone, the band of its levels clipped to the shape. */
    function shapes(lesion) {
        const levels = (lesion.levels || []).filter((l) => l === "L5" || l === "coccyx" || LEVELS.includes(l));
        const zones = (lesion.zones && lesion.zones.length ? lesion.zones : [1, 2, 3]);
        const side = lesion.side || "bilateral";
        const sides = side === "left" ? [-1] : side === "right" ? [1] : [-1, 1];
        const out = [];
        for (const level of levels) {
            const [y0, y1] = levelY(level);
            const h = Math.min(halfAt(y0), halfAt(y1 - 1)) - 2;
            for (const s of sides) {
                for (const z of zones) {
                    const [a, b] = ZONES[z] || ZONES[3];
                    const x0 = CX + s * a * h, x1 = CX + s * b * h;
                    out.push({ x: Math.min(x0, x1), y: y0 + 4, w: Math.abs(x1 - x0), h: y1 - y0 - 8 });
                }
            }
        }
        return out;
    }

    /** The arrow of a needle approach onto a lesion's centre. */
    function approachPath(approach, cx, cy, side) {
        const s = side === "right" ? 1 : side === "left" ? -1 : 1;
        switch (approach) {
            case "long_axis": return [cx + s * 20, TOP + 4.6 * LEVEL_H, cx, cy];           // from S4, cephalad
            case "transiliac": return [CX + s * 270, cy, cx, cy];                          // through the ilium
            case "anterior_oblique": return [cx + s * 120, cy - 60, cx, cy];
            case "interpedicular": return [CX, TOP - 40, cx, cy];                          // between the pedicles, from above
            case "short_axis": default: return [cx + s * 70, cy + 60, cx, cy];            // perpendicular to the dorsal ala
        }
    }

    function draw(caseData, decision) {
        const lesions = Array.isArray(caseData && caseData.lesions) ? caseData.lesions : [];
        const sacroplasty = decision && decision.pathways && decision.pathways.sacroplasty;
        const showL5 = lesions.some((l) => (l.levels || []).includes("L5"));
        const showCoccyx = lesions.some((l) => (l.levels || []).includes("coccyx"));
        const titleId = "sacrum-title", descId = "sacrum-desc";
        const svg = el("svg", { viewBox: "0 " + (showL5 ? -10 : 20) + " " + W + " " + (showL5 ? 470 : 420) + "",
            role: "img", "aria-labelledby": titleId + " " + descId, class: "sacrum", xmlns: "http://www.w3.org/2000/svg" });
        const description = lesions.map((l) => {
            const st = sacroplasty && sacroplasty.lesions && sacroplasty.lesions[l.id];
            return "lesion " + l.id + ": " + Sacral.util.words(l.levels || []) + ", zones " + Sacral.util.words(l.zones || []) +
                ", " + (l.side || "side not known") + (st ? ", sacroplasty " + Sacral.util.words(st.status) : "") +
                (st && st.approach && st.approach.length ? ", approach " + Sacral.util.words(st.approach[0]) : "");
        }).join("; ");
        svg.append(el("title", { id: titleId, text: "Sacrum, posterior view" }),
            el("desc", { id: descId, text: description || "no lesion entered" }));

        const defs = el("defs");
        defs.appendChild(el("marker", { id: "arrowhead", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
            [el("path", { d: "M0,0 L10,5 L0,10 z", class: "needle-head" })]));
        // Patterns so that a status is told apart without colour.
        const patterns = { contraindicated: "M0,0 L8,8 M8,0 L0,8", undetermined: "M0,4 L8,4", option: "M0,8 L8,0", not_indicated: "M4,0 L4,8" };
        for (const [status, d] of Object.entries(patterns)) {
            defs.appendChild(el("pattern", { id: "hatch-" + status, width: 8, height: 8, patternUnits: "userSpaceOnUse" },
                [el("rect", { width: 8, height: 8, class: "fill-" + status }), el("path", { d: d, class: "hatch" })]));
        }
        svg.appendChild(defs);

        // Ilia, each side; highlighted where a lesion involves it.
        const ilium = (s) => {
            // The wing beside S1–S2 (the sacroiliac joint).
            return [CX + s * 156, TOP - 4, CX + s * 238, TOP - 34, CX + s * 250, TOP + 60, CX + s * 128, TOP + 2.2 * LEVEL_H].join(",");
        };
        const iliumStatus = { "-1": null, "1": null };
        for (const l of lesions) {
            const st = sacroplasty && sacroplasty.lesions && sacroplasty.lesions[l.id];
            const status = st ? st.status : "none";
            if (l.ilium === "left" || l.ilium === "bilateral") iliumStatus["-1"] = status;
            if (l.ilium === "right" || l.ilium === "bilateral") iliumStatus["1"] = status;
        }
        for (const s of [-1, 1]) {
            const involved = iliumStatus[String(s)];
            svg.appendChild(el("polygon", { points: ilium(s), class: "ilium" + (involved ? " involved status-fill-" + involved : ""),
                fill: involved && patterns[involved] ? "url(#hatch-" + involved + ")" : null }));
            svg.appendChild(el("text", { x: CX + s * 204, y: TOP + 40, class: "ilium-label", "text-anchor": "middle",
                text: "ilium" + (involved ? " (involved)" : "") }));
        }
        if (showL5) {
            svg.appendChild(el("rect", { x: CX - 110, y: TOP - LEVEL_H, width: 220, height: LEVEL_H - 8, rx: 10, class: "vertebra" }));
            svg.appendChild(el("text", { x: 14, y: TOP - LEVEL_H / 2 + 6, class: "level-label", text: "L5" }));
        }
        svg.appendChild(el("polygon", { points: outline(), class: "sacrum-outline" }));
        LEVELS.forEach((level, i) => {
            const y = TOP + i * LEVEL_H;
            if (i > 0) svg.appendChild(el("line", { x1: CX - half(i), x2: CX + half(i), y1: y, y2: y, class: "level-line" }));
            svg.appendChild(el("text", { x: 14, y: y + LEVEL_H / 2 + 6, class: "level-label", text: level }));
            // Foramina between levels S1–S4 on each side (zone II).
            if (i < 4) for (const s of [-1, 1]) {
                svg.appendChild(el("ellipse", { cx: CX + s * 0.42 * half(i + 1), cy: y + LEVEL_H, rx: 9, ry: 6, class: "foramen" }));
            }
        });
        if (showCoccyx) {
            svg.appendChild(el("polygon", { points: [CX - 22, TOP + 5 * LEVEL_H + 4, CX + 22, TOP + 5 * LEVEL_H + 4, CX, TOP + 5 * LEVEL_H + 40].join(","), class: "vertebra" }));
            svg.appendChild(el("text", { x: 14, y: TOP + 5 * LEVEL_H + 26, class: "level-label", text: "coccyx" }));
        }
        // Zone boundaries and names.
        for (const s of [-1, 1]) {
            for (const f of [0.3, 0.55]) {
                const pts = [];
                for (let i = 0; i <= 5; i++) pts.push((CX + s * f * half(i) * (i === 5 ? 0.4 : 1)) + "," + (TOP + i * LEVEL_H));
                svg.appendChild(el("path", { d: "M" + pts.join(" L"), class: "zone-line" }));
            }
            svg.appendChild(el("text", { x: CX + s * 0.78 * half(0), y: TOP - 8, class: "zone-label", "text-anchor": "middle", text: "I" }));
            svg.appendChild(el("text", { x: CX + s * 0.42 * half(0), y: TOP - 8, class: "zone-label", "text-anchor": "middle", text: "II" }));
        }
        svg.appendChild(el("text", { x: CX, y: TOP - 8, class: "zone-label", "text-anchor": "middle", text: "III" }));
        svg.appendChild(el("text", { x: 12, y: showL5 ? 5 : 38, class: "side-label", text: "patient's left" }));
        svg.appendChild(el("text", { x: W - 12, y: showL5 ? 5 : 38, class: "side-label", "text-anchor": "end", text: "patient's right" }));

        // Lesions, then their needles on top.
        const needles = [];
        lesions.forEach((lesion) => {
            const st = sacroplasty && sacroplasty.lesions && sacroplasty.lesions[lesion.id];
            const status = st ? st.status : "unknown";
            const group = el("g", { class: "lesion status-fill-" + status, "data-lesion": lesion.id, "data-status": status });
            const rects = shapes(lesion);
            for (const r of rects) {
                group.appendChild(el("rect", { x: r.x, y: r.y, width: Math.max(r.w, 4), height: Math.max(r.h, 4), rx: 5,
                    fill: patterns[status] ? "url(#hatch-" + status + ")" : null, class: "lesion-area" }));
            }
            if (rects.length) {
                const minX = Math.min(...rects.map((r) => r.x)), maxX = Math.max(...rects.map((r) => r.x + r.w));
                const minY = Math.min(...rects.map((r) => r.y)), maxY = Math.max(...rects.map((r) => r.y + r.h));
                const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
                const word = st ? (Sacral.util.statusWords[status] || { text: status }).text : "no sacroplasty status";
                group.appendChild(el("text", { x: cx, y: cy - 2, class: "lesion-label", "text-anchor": "middle", text: lesion.id }));
                group.appendChild(el("text", { x: cx, y: cy + 18, class: "lesion-status", "text-anchor": "middle", text: word }));
                const approach = st && st.approach && st.approach[0];
                if (approach && status !== "contraindicated" && status !== "not_indicated") {
                    const [x0, y0, x1, y1] = approachPath(approach, cx, cy, lesion.side);
                    needles.push(el("g", { class: "needle", "data-approach": approach }, [
                        el("line", { x1: x0, y1: y0, x2: x1, y2: y1, "marker-end": "url(#arrowhead)" }),
                        el("text", { x: x0, y: y0 + (y0 > y1 ? 14 : -6), "text-anchor": "middle", class: "needle-label",
                            text: "needle: " + Sacral.util.words(approach) }),
                    ]));
                }
            }
            svg.appendChild(group);
        });
        needles.forEach((n) => svg.appendChild(n));
        return svg;
    }

    /** The key to the colours and patterns. */
    function legend() {
        const items = ["recommended", "option", "undetermined", "contraindicated", "not_indicated"];
        return el("ul", { class: "sacrum-legend" }, items.map((s) => el("li", {}, [Sacral.util.statusBadge(s)])));
    }

    return { draw, legend };
})();
