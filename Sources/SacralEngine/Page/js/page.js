// The page: picks an adapter, builds the form from the dictionary, shows the decision, and keeps
// the sacrum and the case file in step with the form.
"use strict";

Sacral.Page = class {
    constructor(adapter) {
        this.adapter = adapter;
        this.decision = null;
        this.loaded = null;
        this.status = document.getElementById("form-status");
    }

    async start() {
        this.dict = new Sacral.Dictionary(await this.adapter.dictionary());
        this.form = new Sacral.Form(document.getElementById("case-form"), this.dict, (c) => this.changed(c));
        const initial = await this.adapter.initial();
        this.loaded = initial.caseData || { lesions: [{}] };
        this.decision = initial.decision;
        this.source = initial.source;
        this.form.setCase(this.loaded);
        // The case the decision shown was made for (what a frozen regression case holds).
        this.decided = this.decision ? this.form.read() : null;
        this.showDecision(this.form.read());
        this.bindActions();
        const note = document.getElementById("mode-note");
        note.textContent = this.adapter.live
            ? (this.source ? this.source + ". " : "") + "Live: the decision follows the form."
            : "Report of " + (this.source || "a case") + ": the decision shown is for the case as loaded. Changes to the form redraw the sacrum; a new decision needs `sacral serve` or `sacral report` again.";
        document.getElementById("board-nav").hidden = !this.adapter.live;
        this.evaluateSoon = Sacral.util.debounce(() => this.evaluate(), 400);
        document.body.dataset.ready = "true";
    }

    showDecision(caseData) {
        const title = document.getElementById("case-title");
        title.textContent = this.decision ? "— " + this.decision.case : "";
        Sacral.DecisionView.render(document.getElementById("decision-body"), this.decision, this.dict, {
            caseData: caseData,
            onMissing: (field) => this.form.focus(field),
        });
        this.showCaseFile(caseData);
    }

    showCaseFile(caseData) {
        let pre = document.getElementById("case-file");
        if (!pre) {
            const details = Sacral.util.el("details", { class: "case-file" }, [
                Sacral.util.el("summary", { text: "The case as a file (YAML)" }),
                pre = Sacral.util.el("pre", { id: "case-file", tabindex: "0" }),
            ]);
            document.getElementById("case").appendChild(details);
        }
        pre.textContent = jsyaml.dump(caseData, { flowLevel: 2, lineWidth: 120 });
    }

    changed(caseData) {
        this.edited = true;
        if (this.adapter.live) {
            this.evaluateSoon();
        } else {
            // No engine in a report: redraw what depends only on the case; say the decision is older.
            const figure = document.getElementById("sacrum-figure");
            if (figure) figure.replaceChild(Sacral.Sacrum.draw(caseData, this.decision), figure.querySelector("svg"));
            this.status.textContent = "The form differs from the case the decision was made for.";
            this.showCaseFile(caseData);
        }
    }

    async evaluate() {
        const caseData = this.form.read();
        if (!this.form.validateAll()) { this.status.textContent = "Correct the marked fields to evaluate."; return; }
        try {
            const result = await this.adapter.evaluate(caseData);
            if (result.errors) {
                const unplaced = this.form.showIssues(result.errors);
                this.status.textContent = unplaced.map((e) => (e.path ? e.path + ": " : "") + e.message).join("; ") || "The case has errors.";
                return;
            }
            this.decision = result.decision;
            this.decided = caseData;
            this.status.textContent = "Decision updated.";
            this.showDecision(caseData);
            this.showLogged(result.logged);
        } catch (e) {
            if (e.name !== "AbortError") this.status.textContent = "Could not evaluate: " + e.message;
        }
    }

    /** Links the decision shown to its entry in the server's decision log (its URL opens it again). */
    showLogged(id) {
        const link = document.getElementById("logged-link");
        if (!link) return;
        this.decisionID = id || null;
        if (!id) { link.hidden = true; return; }
        link.href = "/cases/" + encodeURIComponent(id);
        link.textContent = "Logged as decision " + id;
        link.hidden = false;
    }

    bindActions() {
        document.getElementById("load-file").addEventListener("change", (e) => this.loadFile(e.target.files[0]));
        document.getElementById("save-yaml").addEventListener("click", () => this.save("yaml"));
        document.getElementById("save-json").addEventListener("click", () => this.save("json"));
        document.getElementById("freeze-case").addEventListener("click", () => this.freeze());
        document.getElementById("reset-case").addEventListener("click", () => {
            this.form.setCase(this.loaded);
            this.changed(this.form.read());
            this.status.textContent = "Form reset to the case as loaded.";
        });
    }

    /** Reads a case file (YAML or JSON; YAML is a superset of JSON) into the form. */
    async loadFile(file) {
        if (!file) return;
        try {
            const text = await file.text();
            let data = jsyaml.load(text);
            if (data && data.resourceType === "Bundle") {
                data = await this.readBundle(text, data, file.name);
                if (!data) return;
            }
            if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error("expected an object of case fields");
            this.loaded = data;
            this.form.setCase(data);
            this.changed(this.form.read());
            // After changed(), which words the report's older decision; a live page re-evaluates.
            this.status.textContent = "Loaded " + file.name + "." + (this.fhirNote ? " " + this.fhirNote : "")
                + (this.adapter.live ? "" : " The decision shown is still the report's own case.");
            this.fhirNote = null;
        } catch (e) {
            this.status.textContent = file.name + ": " + e.message;
        }
    }

    /** A FHIR Bundle becomes a case through the server's mapping (Rules/fhir.lua); a report has none.
     *  Without a Bundle timestamp, today is the evaluation date (the age is computed at it). */
    async readBundle(text, bundle, name) {
        if (!this.adapter.readFHIR) {
            this.status.textContent = name + ": a FHIR Bundle is read by `sacral serve` (open the page at /board).";
            return null;
        }
        const today = new Date().toISOString().slice(0, 10);
        const result = await this.adapter.readFHIR(text, bundle.timestamp ? null : today);
        if (result.errors) {
            this.status.textContent = name + ": " + result.errors.map((e) => (e.path ? e.path + ": " : "") + e.message).join("; ");
            return null;
        }
        this.fhirNote = "Read from the FHIR Bundle at " + result.record.evaluation_date
            + (result.record.fhir_warnings.length ? " (" + result.record.fhir_warnings.join("; ") + ")" : "") + ".";
        return result.record.case;
    }

    /** Downloads the decided case with `expect:` from its decision, named CASE-ID.yaml as Cases/ wants. */
    freeze() {
        if (!this.decision || !this.decided) { this.status.textContent = "No decision to freeze yet."; return; }
        const name = (this.decided.id || "case") + ".yaml";
        Sacral.util.download(name, Sacral.Freeze.caseFile(this.decided, this.decision), "application/yaml");
        const differs = JSON.stringify(this.form.read()) !== JSON.stringify(this.decided);
        this.status.textContent = "Saved " + name + " with expect: from the decision shown"
            + (differs ? " (the case it was made for, not the edited form)." : ".");
    }

    save(format) {
        const data = this.form.read();
        const name = (data.id || "case") + (format === "yaml" ? ".yaml" : ".json");
        const text = format === "yaml" ? jsyaml.dump(data, { flowLevel: 2, lineWidth: 120 }) : JSON.stringify(data, null, 2) + "\n";
        Sacral.util.download(name, text, format === "yaml" ? "application/yaml" : "application/json");
        this.status.textContent = "Saved " + name + ".";
    }
};

document.addEventListener("DOMContentLoaded", () => {
    const inline = document.getElementById("sacral-data");
    const data = inline ? JSON.parse(inline.textContent) : null;
    const adapter = data && data.mode === "report" ? Sacral.adapters.report(data) : Sacral.adapters.http("", data);
    window.Sacral.page = new Sacral.Page(adapter);
    window.Sacral.page.start().catch((e) => {
        document.getElementById("decision-body").textContent = "The page could not start: " + e.message;
    });
});
