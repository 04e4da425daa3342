// Small helpers shared by the page's scripts: element building, words for values, timing.
// UI words live here and in page.html; clinical words come from the rules (the dictionary and the decision).
"use strict";
window.Sacral = window.Sacral || {};

Sacral.util = (function () {
    /** el("p", { class: "x", text: "…" }, [children]): an element. Attributes starting "on" are listeners. */
    function el(tag, attrs, children) {
        const node = tag === "svg" || Sacral.util.svgTags.has(tag)
            ? document.createElementNS("http://www.w3.org/2000/svg", tag)
            : document.createElement(tag);
        for (const [key, value] of Object.entries(attrs || {})) {
            if (value === undefined || value === null || value === false) continue;
            if (key === "text") node.textContent = String(value);
            else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
            else node.setAttribute(key, value === true ? "" : String(value));
        }
        for (const child of [].concat(children || [])) {
            if (child === null || child === undefined || child === false) continue;
            node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
        }
        return node;
    }

    /** A value of the rules as people read it: snake_case words spaced, lists joined. */
    function words(value) {
        if (value === null || value === undefined) return "—";
        if (Array.isArray(value)) return value.map(words).join(", ");
        if (typeof value === "boolean") return value ? "yes" : "no";
        if (typeof value === "object") return JSON.stringify(value);
        return String(value).replace(/_/g, " ");
    }

    /** Status words and the symbol that goes with the colour (never colour alone). */
    const statusWords = {
        recommended: { text: "recommended", symbol: "✔" },
        option: { text: "option", symbol: "◐" },
        not_indicated: { text: "not indicated", symbol: "–" },
        contraindicated: { text: "contraindicated", symbol: "✖" },
        undetermined: { text: "undetermined", symbol: "?" },
    };

    function statusBadge(status, strength) {
        const s = statusWords[status] || { text: words(status), symbol: "•" };
        const label = s.text + (strength ? " (" + strength + ")" : "");
        return el("span", { class: "status status-" + status + (strength ? " strength-" + strength : "") }, [
            el("span", { class: "status-symbol", "aria-hidden": "true", text: s.symbol }), " " + label,
        ]);
    }

    function debounce(fn, ms) {
        let timer = null;
        return function (...args) {
            clearTimeout(timer);
            timer = setTimeout(() => fn.apply(this, args), ms);
        };
    }

    function download(name, text, type) {
        const url = URL.createObjectURL(new Blob([text], { type: type }));
        const a = el("a", { href: url, download: name });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
    }

    /** The id of the form control for a field path as the output writes it ("lesions[0].epidural"). */
    function fieldId(path) {
        return "f-" + path.replace(/\[(\d+)\]/g, "-$1").replace(/[^A-Za-z0-9_-]/g, "-");
    }

    return { el, words, statusWords, statusBadge, debounce, download, fieldId, svgTags: new Set() };
})();
