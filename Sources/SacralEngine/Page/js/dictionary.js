// The field dictionary of the rules (Rules/fields.lua, as the engine describes it): groups, lesion
// fields, and browser-side validation from the same declarations the engine validates with.
"use strict";

Sacral.Dictionary = class {
    constructor(described) {
        this.ruleset = described.ruleset;
        this.fields = described.fields;
        this.byPath = new Map(this.fields.map((f) => [f.path, f]));
        this.pathways = new Map((described.ruleset.pathways || []).map((p) => [p.id, p]));
        this.sources = described.ruleset.sources || {};
    }

    field(path) { return this.byPath.get(path.replace(/\[\d+\]/g, "[]")); }

    /** Label of a field ("INR"), the path when the rules give none. */
    label(path) { const f = this.field(path); return (f && f.label) || path; }

    /** Top-level scalar fields, the object groups with their fields, and the fields of a list item. */
    layout() {
        const top = [], groups = [], lists = [];
        for (const f of this.fields) {
            if (f.type === "any") continue;  // regression expectations are not entered on the page
            const parts = f.path.split(".");
            if (parts.length === 1) {
                if (f.type === "object") groups.push({ field: f, children: [] });
                else if (f.type === "list" && f.items && f.items.type === "object") lists.push({ field: f, children: [] });
                else top.push(f);
            }
        }
        for (const f of this.fields) {
            const parts = f.path.split(".");
            if (parts.length !== 2) continue;
            const group = groups.find((g) => g.field.path === parts[0]);
            if (group) { group.children.push(f); continue; }
            const list = lists.find((l) => l.field.path + "[]" === parts[0]);
            if (list) list.children.push(f);
        }
        return { top, groups, lists };
    }

    /** What is wrong with a value of a field, or null. undefined/"" is unknown, which is allowed unless required. */
    check(field, value) {
        if (value === undefined || value === null || value === "") {
            return field.required ? "required" : null;
        }
        const t = field.type;
        if (t === "boolean" && typeof value !== "boolean") return "expected yes or no";
        if (t === "integer" || t === "number") {
            if (typeof value !== "number" || Number.isNaN(value)) return "expected a number";
            if (t === "integer" && !Number.isInteger(value)) return "expected a whole number";
            if (field.min !== undefined && value < field.min) return "at least " + field.min;
            if (field.max !== undefined && value > field.max) return "at most " + field.max;
            if (field.multiple_of && Math.abs(value / field.multiple_of - Math.round(value / field.multiple_of)) > 1e-9) {
                return "a multiple of " + field.multiple_of;
            }
        }
        if (t === "string" && typeof value !== "string") return "expected text";
        if (field.enum && !field.enum.some((e) => e === value)) return "one of: " + field.enum.join(", ");
        if (t === "list") {
            if (!Array.isArray(value)) return "expected a list";
            if (field.min_items && value.length < field.min_items) return "at least " + field.min_items;
            if (field.unique && new Set(value).size !== value.length) return "each value once";
            const items = field.items || {};
            for (const v of value) {
                if (items.enum && !items.enum.includes(v)) return "each one of: " + items.enum.join(", ");
            }
        }
        return null;
    }
};
