-- What an evaluation returns to the host, and what the host can ask about the loaded rules. It
-- owns the per-evaluation state table `ev` (created here, passed along to every module, dropped
-- at the end) and the shape of the result table Swift reads (Decision.swift): pathways, scores,
-- alerts, plan, missing, errors, warnings, trace.
local host, need = ...
local U, X, E, Dn, Ex = need("util"), need("context"), need("execution"), need("decision"), need("extras")
local type, next, ipairs, pcall, tostring, sort = type, next, ipairs, pcall, tostring, table.sort
local fresh_heap, collect = host.fresh_heap, host.collect

local O = {}

--- A fresh evaluation of case c with the registry R: everything that lives for one case.
local function new_evaluation(R, c)
    return { R = R, case = c, nlesions = c.lesions and #c.lesions or 0, memo = {}, score_memo = {}, paths = {},
        pathway_memo = {}, in_progress = {}, derive_memo = {}, warnings = {}, warning_seen = {}, depth = 0,
        reduced = false, unexplained = {} }
end

local function score_entries(ev)
    local out = {}
    for _, s in ipairs(ev.R.scores) do
        if s.output ~= false then
            local r = E.compute_score(ev, s.id)
            local entry = { id = s.id }
            if r.value then
                entry.value = r.value
            elseif r.missing then
                local names = {}
                for _, m in ipairs(r.missing) do names[#names + 1] = m.field end
                entry.missing = U.unique_sorted(names)
            else
                entry.error = r.error
            end
            out[#out + 1] = entry
        end
    end
    return out
end

-- Missing fields and the undetermined pathways they hold, by field (a per-lesion pathway with an
-- undetermined lesion counts, whatever its own status: P20), and for a per-lesion pathway the
-- lesions the field holds undetermined, in lesion order: `lesions = { { pathway, ids } }`.
local function missing_fields(ev, decisions)
    local affects, at, fields_seen = {}, {}, {}
    for _, p in ipairs(ev.R.meta.pathways) do
        local d = decisions[p.id]
        if d.status == "undetermined" or d.lesions then
            for _, f in ipairs(d.missing) do
                if not affects[f] then affects[f] = {}; at[f] = {}; fields_seen[#fields_seen + 1] = f end
                affects[f][#affects[f] + 1] = p.id
            end
            for _, l in ipairs(d.lesions or {}) do
                if l.status == "undetermined" then
                    for _, f in ipairs(l.missing) do
                        local list = at[f]  -- nil: the pathway does not report f missing
                        if list then
                            local last = list[#list]
                            if not last or last.pathway ~= p.id then
                                last = { pathway = p.id, ids = {} }
                                list[#list + 1] = last
                            end
                            last.ids[#last.ids + 1] = l.id
                        end
                    end
                end
            end
        end
    end
    sort(fields_seen)
    local out = {}
    for _, f in ipairs(fields_seen) do out[#out + 1] = { field = f, affects = affects[f], lesions = at[f] } end
    return out
end

-- Rule results of this evaluation (only those with the given outcome, when one is given) in rule
-- order, then lesion order.
local function results_in_order(ev, outcome)
    local list = {}
    for _, r in U.any_order(ev.memo), ev.memo do  -- sorted below, by a total order
        if r.spec and (outcome == nil or r.outcome == outcome) then list[#list + 1] = r end
    end
    sort(list, function(a, b)
        if a.spec.order ~= b.spec.order then return a.spec.order < b.spec.order end
        return (a.lesion or 0) < (b.lesion or 0)
    end)
    return list
end

-- The result reduced to what the cohort outputs read (CohortSummary.swift): each
-- pathway's status, strength, missing fields, its reasons' rule, outcome, status and strength, and
-- each lesion's status, strength, approach, modality and missing fields; alerts, missing fields,
-- failures and warnings whole; no scores, plan, texts, inputs or details. It runs once every rule
-- has run and every window has closed, on the finished result: what a rule decided and the budget
-- it was charged are those of the full evaluation (the scores, computed after every rule, are
-- not computed at all), and the next case starts from a fresh heap either way.
local function for_summary(out)
    local pathways = {}
    for i, d in ipairs(out.pathways) do
        local lesions
        if d.lesions then
            lesions = {}
            for j, l in ipairs(d.lesions) do
                lesions[j] = { id = l.id, status = l.status, strength = l.strength, approach = l.approach,
                    modality = l.modality, missing = l.missing }
            end
        end
        -- The reasons are compact already (decision.lua builds them so for a reduced evaluation).
        pathways[i] = { id = d.id, status = d.status, strength = d.strength, missing = d.missing, reasons = d.reasons,
            lesions = lesions }
    end
    return { pathways = pathways, alerts = out.alerts, missing = out.missing, errors = out.errors,
        warnings = out.warnings, trace = out.trace }
end

-- Whether the heap is as the last O.fresh_heap() left it: nothing but the host's pushing of the
-- next case has run since. Every other entry point clears it (O.heap_touched).
local heap_fresh = false

--- The heap every case starts from: the runtime's per-case lists dropped, then (once this host
--- call has returned) the collection between cases. The host calls it between cases, before it
--- pushes the next case (a server, once it has answered: the collection is then off the request's
--- path); a case that finds the heap not fresh collects for itself.
function O.fresh_heap()
    -- The per-case lists are dropped now and made by the case that needs them, after the
    -- collection (which runs once this host call has returned): young, like all the case makes
    -- (collect_between_cases in shims.c says why that matters).
    E.end_case()
    fresh_heap()
    heap_fresh = true
end

--- Something other than a case ran on the heap: the next case collects first.
function O.heap_touched()
    heap_fresh = false
end

--- Evaluates one case (a validated table) and returns the decision as plain data.
function O.evaluate(R, c, opts)
    -- The same heap for every case: a full collection, and no key order remembered from an
    -- earlier case. A runaway rule grows the Lua stack, earlier cases leave strings interned and
    -- tables' key orders remembered: without it, the next case's allocations are charged
    -- differently, a rule near its budget stops at another point, and the same case gives other
    -- bytes after other cases (SandboxAttackTests: "unbounded recursion"). The engine collects
    -- before it pushes the case (Engine.prepareNextCase), so that a case meets the same heap
    -- whether the collection ran just before it or right after the case before. A host that did
    -- not (the harness) gets a full collection here, with the case already pushed; the next
    -- collection between cases is then a full one too (host.collect drops the sentinel).
    if not heap_fresh then
        E.end_case()
        collect()
    end
    heap_fresh = false
    local ev = new_evaluation(R, c)
    ev.reduced = opts and opts.summary or false
    X.flatten_case(ev)
    local out = { pathways = {}, errors = {} }
    local decisions = {}
    for _, p in ipairs(R.meta.pathways) do
        local ok, d = pcall(Dn.decide, ev, p.id)
        if not ok then
            d = Dn.failed(p.id, tostring(d))
            ev.pathway_memo[p.id] = d
        end
        decisions[p.id] = d
    end
    -- Rules that speak to no pathway (alerts, warnings, plan steps only).
    for _, spec in ipairs(R.free_rules) do
        if spec.per_lesion then
            for i = 1, ev.nlesions do E.run_rule(ev, spec, i) end
        else
            E.run_rule(ev, spec, nil)
        end
    end
    -- Every rule has run: the reasons now (decision.lua, Dn.explain), compact for a reduced
    -- evaluation. Up to here a reduced and a full evaluation ran exactly the same code.
    for _, p in ipairs(R.meta.pathways) do
        local d = decisions[p.id]
        local ok, err = pcall(Dn.explain, ev, d)
        if not ok then
            d = Dn.failed(p.id, tostring(err))
            decisions[p.id] = d
        end
        out.pathways[#out.pathways + 1] = d
    end
    -- The scores the output lists are computed here, after every rule (a rule that asks for one,
    -- c:score, has had it computed already; a score failing is not a rule failing): the summary,
    -- which lists none, skips them, and what the rules decided is the same.
    out.scores = not (opts and opts.summary) and score_entries(ev) or {}
    out.alerts, out.plan = Ex.collect(ev, decisions)
    out.missing = missing_fields(ev, decisions)
    for _, r in ipairs(results_in_order(ev, "error")) do
        -- A per-lesion rule fails at one lesion: that lesion's status is decided fail-closed, and
        -- the others stand on their own rules (P20).
        out.errors[#out.errors + 1] = { rule = r.spec.id, message = r.message, kind = r.kind,
            pathways = r.spec.pathways, lesion = r.lesion and ev.case.lesions[r.lesion].id or nil }
    end
    out.warnings = ev.warnings
    if opts and opts.trace then
        -- For coverage: every rule evaluated in this case and what came of it.
        local trace = {}
        for _, r in ipairs(results_in_order(ev, nil)) do
            trace[#trace + 1] = { rule = r.spec.id, outcome = r.outcome }
        end
        out.trace = trace
    end
    if opts and opts.summary then return for_summary(out) end
    return out
end

--- What the loaded rules declare about themselves, as plain data. `part` "evaluation" gives what
--- evaluating a case needs (the ruleset's metadata and the field dictionary), "catalogue" the rest
--- (the shared tables' numbers, the rules, the scores), nil everything: a cold `sacral evaluate`
--- asks for the first alone, and the catalogue only if its output names rules (Engine.catalog).
function O.describe(R, part)
    if part ~= nil and part ~= "evaluation" and part ~= "catalogue" then
        error("describe() takes \"evaluation\", \"catalogue\" or nothing, not " .. tostring(part), 2)
    end
    local meta = R.meta
    local out = {}
    if part ~= "catalogue" then
        out.ruleset, out.fields = {}, {}
        if meta then
            out.ruleset = { name = meta.name, version = meta.version, pathways = {}, alerts = {},
                precedence = meta.precedence, sources = meta.sources, criteria = meta.criteria,
                preposition = meta.preposition }
            for _, p in ipairs(meta.pathways) do
                out.ruleset.pathways[#out.ruleset.pathways + 1] = type(p) == "table" and
                    { id = p.id, title = p.title, per_lesion = p.per_lesion or false, preposition = p.preposition } or { id = p }
            end
            for _, k in ipairs(U.sorted_keys(meta.alerts or {})) do
                local a = meta.alerts[k]
                out.ruleset.alerts[#out.ruleset.alerts + 1] = { id = k, level = a.level, text = a.text }
            end
        end
        local internal = { seq = true, load_path = true, order = true }
        for _, f in ipairs(R.fields) do
            local entry = {}
            for k, v in next, f do if type(v) ~= "function" and not internal[k] then entry[k] = v end end
            out.fields[#out.fields + 1] = entry
        end
        if part == "evaluation" then return out end
    end
    -- The numbers of every shared table, by name (sacral check compares texts with the thresholds).
    out.numbers = {}
    for _, name in ipairs(U.sorted_keys(R.defined)) do
        local numbers = {}
        for k, v in next, R.defined[name] do
            if type(k) == "string" and type(v) == "number" then numbers[k] = v end
        end
        out.numbers[name] = numbers
    end
    out.rules, out.scores = {}, {}
    for _, r in ipairs(R.rules) do
        local computed = type(r.effect) == "function"
        for _, e in next, (type(r.effects) == "table" and r.effects or {}) do
            if type(e) == "function" then computed = true end
        end
        out.rules[#out.rules + 1] = { id = r.id, pathways = r.pathways, implements = r.implements,
            source = r.source, summary = r.summary, file = r.file, line = r.line, per_lesion = r.per_lesion or false,
            computed = computed, declared = R.declared and R.declared[r] or nil, path = r.load_path }
    end
    for _, s in ipairs(R.scores) do
        out.scores[#out.scores + 1] = { id = s.id, implements = s.implements, source = s.source,
            summary = s.summary, file = s.file, line = s.line }
    end
    return out
end

--- The lines of the rule files that can run (for line coverage).
function O.active_lines(R)
    return host.active_lines({ R.rules, R.scores, R.defined, R.meta })
end

return O
