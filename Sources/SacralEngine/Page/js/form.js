// The case form, generated from the field dictionary: a fieldset per group, lesions as a repeatable
// group, each field with its label, unit, range, values and help text. A field added to
// Rules/fields.lua appears here without a rebuild. Reads back a case object in dictionary order.
"use strict";

Sacral.Form = class {
    constructor(form, dictionary, onChange) {
        this.form = form;
        this.dict = dictionary;
        this.onChange = onChange || (() => {});
        this.layout = dictionary.layout();
        this.lesionCount = 0;
        form.addEventListener("input", (e) => this.changed(e));
        form.addEventListener("change", (e) => this.changed(e));
        form.addEventListener("submit", (e) => e.preventDefault());
    }

    // MARK: building

    /** Builds the form for a case (an object as a case file holds it). */
    setCase(data) {
        const el = Sacral.util.el;
        data = data || {};
        this.form.replaceChildren();
        const top = el("fieldset", { class: "group", id: "g-case" }, [el("legend", { text: "Case" })]);
        for (const f of this.layout.top) top.appendChild(this.control(f, f.path, data[f.path]));
        this.form.appendChild(top);
        for (const g of this.layout.groups) {
            const values = data[g.field.path] || {};
            const set = el("fieldset", { class: "group", id: "g-" + g.field.path }, [
                el("legend", { text: g.field.label || g.field.path }),
                g.field.doc ? el("p", { class: "help", text: g.field.doc }) : null,
            ]);
            for (const f of g.children) {
                const key = f.path.split(".")[1];
                set.appendChild(this.control(f, f.path, values[key]));
            }
            this.form.appendChild(set);
        }
        for (const l of this.layout.lists) {
            const items = Array.isArray(data[l.field.path]) ? data[l.field.path] : [];
            const box = el("fieldset", { class: "group list-group", id: "g-" + l.field.path }, [
                el("legend", { text: l.field.label || l.field.path }),
                l.field.doc ? el("p", { class: "help", text: l.field.doc }) : null,
                el("div", { class: "list-items", id: "items-" + l.field.path }),
                el("button", { type: "button", class: "add-item", id: "add-" + l.field.path,
                    text: "Add to " + (l.field.label || l.field.path).toLowerCase(),
                    onclick: () => { this.addItem(l, {}); this.changed(); } }),
            ]);
            this.form.appendChild(box);
            const list = box.querySelector(".list-items");
            list.replaceChildren();
            for (const item of (items.length ? items : [{}])) this.addItem(l, item, list);
        }
        this.validateAll();
    }

    addItem(list, values, container) {
        const el = Sacral.util.el;
        container = container || this.form.querySelector("#items-" + CSS.escape(list.field.path));
        const index = container.children.length;
        const name = (list.field.label || list.field.path);
        const item = el("fieldset", { class: "list-item", "data-index": index }, [
            el("legend", { text: name + " " + (index + 1) }),
        ]);
        for (const f of list.children) {
            const key = f.path.split(".")[1];
            item.appendChild(this.control(f, list.field.path + "[" + index + "]." + key, values[key]));
        }
        item.appendChild(el("button", { type: "button", class: "remove-item", text: "Remove " + name.toLowerCase() + " " + (index + 1),
            onclick: () => { this.removeItem(list, index); } }));
        container.appendChild(item);
    }

    removeItem(list, index) {
        const data = this.read();
        const items = data[list.field.path] || [];
        items.splice(index, 1);
        data[list.field.path] = items;
        this.setCase(data);
        this.changed();
    }

    /** One field: label, control, unit, range and help; `path` as the output writes it. */
    control(f, path, value) {
        const el = Sacral.util.el, words = Sacral.util.words;
        const id = Sacral.util.fieldId(path);
        const label = f.label || f.path;
        const hints = [];
        if (f.unit) hints.push(f.unit);
        if (f.min !== undefined || f.max !== undefined) {
            hints.push((f.min !== undefined ? f.min : "") + "–" + (f.max !== undefined ? f.max : ""));
        }
        if (f.multiple_of) hints.push("steps of " + f.multiple_of);
        if (f.required) hints.push("required");
        const helpId = id + "-help", errorId = id + "-error";
        const help = el("span", { class: "help", id: helpId }, [
            hints.length ? el("span", { class: "range", text: hints.join(", ") }) : null,
            f.doc ? el("span", { class: "doc", text: (hints.length ? " · " : "") + f.doc }) : null,
        ]);
        const error = el("span", { class: "field-error", id: errorId, "aria-live": "polite" });
        const described = helpId + " " + errorId;
        const row = el("div", { class: "field field-" + f.type, "data-path": path, "data-field": f.path });
        const options = f.enum || (f.items && f.items.enum);

        if (f.type === "boolean" || (f.enum && f.enum.length <= 4 && f.type === "string")) {
            // A radio group; "not known" leaves the field out of the case (unknown is not false).
            const choices = f.type === "boolean" ? [[true, "yes"], [false, "no"]] : f.enum.map((e) => [e, words(e)]);
            const group = el("fieldset", { class: "radios", id: id, "aria-describedby": described, "data-kind": f.type }, [
                el("legend", { class: "field-label", text: label }),
            ]);
            const name = id + "-r";
            const all = [[undefined, "not known"]].concat(choices);
            all.forEach(([v, text], i) => {
                const rid = id + "-" + i;
                group.appendChild(el("span", { class: "radio" }, [
                    el("input", { type: "radio", name: name, id: rid, value: v === undefined ? "" : String(v),
                        checked: v === value || (v === undefined && (value === undefined || value === null)) }),
                    el("label", { for: rid, text: text }),
                ]));
            });
            row.append(group, help, error);
        } else if (f.type === "list" && options) {
            const group = el("fieldset", { class: "checks", id: id, "aria-describedby": described }, [
                el("legend", { class: "field-label", text: label }),
            ]);
            const chosen = Array.isArray(value) ? value : [];
            options.forEach((v, i) => {
                const cid = id + "-" + i;
                group.appendChild(el("span", { class: "check" }, [
                    el("input", { type: "checkbox", id: cid, value: String(v), "data-type": typeof v, checked: chosen.includes(v) }),
                    el("label", { for: cid, text: words(v) }),
                ]));
            });
            row.append(group, help, error);
        } else if (f.enum) {
            const select = el("select", { id: id, "aria-describedby": described },
                [el("option", { value: "", text: "not known" })].concat(f.enum.map((e) =>
                    el("option", { value: String(e), text: words(e), selected: e === value }))));
            row.append(el("label", { class: "field-label", for: id, text: label }), select, help, error);
        } else if (f.type === "integer" || f.type === "number") {
            const input = el("input", { type: "number", id: id, "aria-describedby": described, inputmode: "decimal",
                min: f.min, max: f.max, step: f.multiple_of || (f.type === "integer" ? 1 : "any"),
                value: typeof value === "number" ? String(value) : "" });
            row.append(el("label", { class: "field-label", for: id, text: label + (f.unit ? " (" + f.unit + ")" : "") }), input, help, error);
        } else {
            const input = el("input", { type: "text", id: id, "aria-describedby": described, required: f.required,
                value: typeof value === "string" ? value : "" });
            row.append(el("label", { class: "field-label", for: id, text: label }), input, help, error);
        }
        return row;
    }

    // MARK: reading

    /** The value of one field row, or undefined when not known. */
    valueOf(row) {
        const f = this.dict.field(row.dataset.field);
        const radios = row.querySelectorAll("input[type=radio]");
        if (radios.length) {
            const checked = [...radios].find((r) => r.checked);
            if (!checked || checked.value === "") return undefined;
            if (f.type === "boolean") return checked.value === "true";
            return f.enum.find((e) => String(e) === checked.value);
        }
        const checks = row.querySelectorAll("input[type=checkbox]");
        if (checks.length) {
            const chosen = [...checks].filter((c) => c.checked).map((c) => (c.dataset.type === "number" ? Number(c.value) : c.value));
            return chosen.length ? chosen : undefined;
        }
        const control = row.querySelector("select, input");
        const raw = control.value.trim();
        if (raw === "") return control.validity && control.validity.badInput ? NaN : undefined;
        if (f.enum) return f.enum.find((e) => String(e) === raw);
        if (f.type === "integer" || f.type === "number") return Number(raw);
        return raw;
    }

    /** The case as a case file holds it: known fields only, in dictionary order. */
    read() {
        const out = {};
        const set = (path, value) => {
            if (value === undefined) return;
            const m = path.match(/^([^.[]+)(?:\[(\d+)\])?(?:\.(.+))?$/);
            if (!m[3]) { out[m[1]] = value; return; }
            if (m[2] !== undefined) {
                out[m[1]] = out[m[1]] || [];
                const item = (out[m[1]][Number(m[2])] = out[m[1]][Number(m[2])] || {});
                item[m[3]] = value;
            } else {
                out[m[1]] = out[m[1]] || {};
                out[m[1]][m[3]] = value;
            }
        };
        // Groups first appear in dictionary order, lesions too.
        for (const row of this.form.querySelectorAll(".field")) set(row.dataset.path, this.valueOf(row));
        for (const l of this.layout.lists) {
            if (Array.isArray(out[l.field.path])) out[l.field.path] = out[l.field.path].map((x) => x || {});
        }
        const ordered = {};
        for (const f of this.dict.fields) if (!f.path.includes(".") && out[f.path] !== undefined) ordered[f.path] = out[f.path];
        return ordered;
    }

    // MARK: validation

    changed(event) {
        const row = event && event.target && event.target.closest ? event.target.closest(".field") : null;
        if (row) this.validate(row);
        this.onChange(this.read());
    }

    validate(row) {
        const f = this.dict.field(row.dataset.field);
        const message = this.dict.check(f, this.valueOf(row));
        this.showError(row, message);
        return message === null;
    }

    showError(row, message) {
        const error = row.querySelector(".field-error");
        const control = row.querySelector("select, input[type=number], input[type=text], fieldset");
        error.textContent = message ? message : "";
        row.classList.toggle("invalid", !!message);
        if (control) {
            if (message) control.setAttribute("aria-invalid", "true");
            else control.removeAttribute("aria-invalid");
        }
    }

    validateAll() {
        let ok = true;
        for (const row of this.form.querySelectorAll(".field")) ok = this.validate(row) && ok;
        return ok;
    }

    /** Messages from the engine (a server's validation), each shown next to the field it names. */
    showIssues(issues) {
        const unplaced = [];
        for (const issue of issues || []) {
            // "lesions[0].levels[1]" is shown at the field lesions[0].levels: the nearest enclosing field.
            let path = issue.path || "", row = null;
            while (path) {
                row = this.form.querySelector('.field[data-path="' + CSS.escape(path) + '"]');
                const shorter = path.replace(/(\[\d+\]|\.[^.[\]]+)$/, "");
                if (row || shorter === path) break;
                path = shorter;
            }
            if (row) this.showError(row, issue.message); else unplaced.push(issue);
        }
        return unplaced;
    }

    /** Moves the focus to a field's control (links from the missing data). */
    focus(path) {
        const target = document.getElementById(Sacral.util.fieldId(path));
        if (!target) return false;
        const control = target.matches("fieldset") ? target.querySelector("input") : target;
        target.scrollIntoView({ block: "center" });
        control.focus();
        return true;
    }
};
