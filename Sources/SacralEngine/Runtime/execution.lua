-- Running untrusted code: one budget window helper for every call into a rule file (a file's
-- top-level code, a score, a rule's condition and effects), scores and rules memoised per
-- evaluation, and the check of every computed effect when it fires (a status, strength, alert,
-- plan pathway or timing outside the ruleset's vocabulary is a rule error, never dropped).
local host, need = ...
local arm, disarm, collect = host.arm, host.disarm, host.collect
local memory_tripped, work_tripped = host.memory_tripped, host.work_tripped
local where, restore, depth, usage = host.where, host.restore, host.depth, host.usage
local U, S, X = need("util"), need("schema"), need("context")
local UNKNOWN, copy = U.UNKNOWN, U.copy
local xpcall, error, type, tostring = xpcall, error, type, tostring
local string_sub, string_format = string.sub, string.format

local E = {}

-- What a memo holds for a rule or score while it runs (a cycle finds it there). One table for all:
-- never changed, and made when the runtime loads, so a case allocates nothing for it.
local BUSY = {}

local WORK_MESSAGE = "instruction limit exceeded (the rule allocated more memory or made library " ..
    "functions do more work than its instruction budget allows)"

--- What an allocation failure means: the rule's work budget, or the state's memory cap.
function E.allocation_failure(work)
    collect()
    if work then return WORK_MESSAGE, "instruction_limit" end
    return "not enough memory (memory cap reached)", "memory"
end

-- The message handler of every call into rule code notes the position of the rule-file code that
-- raised the error: the first frame inside this window that is neither C nor the runtime. Frames
-- below the window are not looked at: they belong to the rule that asked (c:status), not to the
-- one that failed. It does no string work (it runs while the budget is armed, and the string
-- functions charge by the length of a message a rule may make huge).
-- Fields of a table, not upvalues: what a case stores in an upvalue of the runtime's is kept old
-- by the generational collector's barrier and outlives the case (collect_between_cases, shims.c).
local W = {
    bases = {},  -- the stack depth at each open window's entry (innermost last)
    raised_at = nil,  -- { src, line } of the last error, for attribute()
}

local function locate(msg)
    W.raised_at = nil
    if type(msg) ~= "string" then return msg end
    local bases = W.bases
    local top = depth() - (bases and bases[#bases] or 0)
    for level = 2, top do
        local src, line = where(level)
        if src == nil then break end
        if src ~= "[C]" and string_sub(src, 1, 15) ~= "sacral-runtime/" then
            W.raised_at = { src, line }
            break
        end
    end
    return msg
end

-- The message with the position it was raised at in front, unless Lua put that very position
-- there. A message that claims a position of its own ("rules/other.lua:12: ...") or names the
-- runtime's own line (error(msg, 2)) is thus never taken for where the error came from.
local function attribute(msg, at)
    msg = U.message_text(msg)
    local prefix = string_format("%s:%d:", at[1], at[2])
    if string_sub(msg, 1, #prefix) == prefix then return msg end
    local file, _, rest = U.split_position(msg)
    -- A position the runtime's own code put there says nothing about the rule.
    if file and string_sub(file, 1, 15) == "sacral-runtime/" then msg = rest end
    return prefix .. " " .. msg
end

--- Drops the case's list of window depths before the collection between cases; the next window
--- makes a new one, after the collection. A list grown by one case's nesting would stay grown (a
--- table's array part does not shrink), and one made before the collection would be kept old
--- by it: either way the next case would find a heap a fresh engine does not have.
function E.end_case()
    W.bases = nil
end

--- Runs fn(...) under a fresh budget window. `w` counts open windows (an evaluation, or the load
--- of a file): a window opened inside another re-arms the outer one, with what it had left, when
--- it closes. `owner` is the rule or score spec fn runs for (nil for a file's top-level code): the
--- upvalues its call can reach are restored after it. Returns true
--- and fn's first two results, or false, a message (or UNKNOWN / NOT_YET) and a kind: "unknown",
--- "not_yet", "error", "instruction_limit" or "memory".
function E.window(w, owner, fn, ...)
    -- A window opened inside another (a rule asking c:status or c:score runs other rules and
    -- scores) has a budget of its own, so they decide the same whoever asks first and a failing
    -- one does not take its caller down with it; the caller's window is paused meanwhile and goes
    -- on with what it had left, never with a fresh budget.
    local outer_left, outer_work
    if w.depth > 0 then outer_left, outer_work = usage() end
    w.depth = w.depth + 1
    arm()
    local bases = W.bases
    if bases == nil then
        bases = {}
        W.bases = bases
    end
    bases[#bases + 1] = depth()
    W.raised_at = nil
    local ok, a, b = xpcall(fn, locate, ...)
    bases[#bases] = nil
    local tripped = disarm()
    local work = work_tripped()
    w.depth = w.depth - 1
    local raised_at = W.raised_at
    if not ok and raised_at and type(a) == "string" then a = attribute(a, raised_at) end
    W.raised_at = nil
    -- A rule file keeps no state between calls: an upvalue its code changed is put back, and the
    -- call that changed it fails.
    local slots = w.R and w.R.upvalues
    local changed
    if slots then
        changed = restore(slots.common)
        local own = restore(owner and slots.of[owner] or slots.all)
        changed = changed or own
    end
    if outer_left then arm(outer_left, outer_work) end
    if changed and (ok or a == UNKNOWN) then
        ok, a = false, "changed the file-level local '" .. tostring(changed) .. "' (rule files keep no state " ..
            "from one call to the next: use a local inside the function)"
    end
    if ok then return true, a, b end
    if a == UNKNOWN then return false, UNKNOWN, "unknown" end
    if a == U.NOT_YET then return false, a, "not_yet" end
    if (work or memory_tripped()) and a == "not enough memory" then
        local msg, kind = E.allocation_failure(work)
        return false, msg, kind
    end
    a = U.message_text(a)
    if tripped then return false, a, "instruction_limit" end
    return false, a, "error"
end

-- MARK: - Scores

--- A score of this evaluation: { value = }, { missing = }, or { error =, kind = }.
function E.compute_score(ev, id)
    local memo = ev.score_memo
    local s = memo[id]
    if s then
        if s == BUSY then return { error = "score '" .. id .. "' depends on itself" } end
        return s
    end
    local spec = ev.R.score_by_id[id]
    if not spec then error("no score '" .. tostring(id) .. "'", 4) end
    memo[id] = BUSY
    local c = X.new(ev, spec, nil)
    local ok, v, kind = E.window(ev, spec, spec.compute, c)
    if ok and type(v) ~= "table" then ok, v, kind = false, "compute must return a table", "error" end
    if ok then
        -- Plain data only: a function in a score would carry its file's upvalues into the rules
        -- that read it, out of reach of the restore after their calls.
        local problem = S.data_problem({ v }, 1)
        if problem then ok, v, kind = false, "compute returned a value that " .. problem, "error" end
    end
    if ok then v = copy(v) end  -- plain tables only cross into Swift (a frozen table reads as empty there)
    local rec = X.recorded(c)
    if ok then
        s = { value = v, inputs = rec.inputs }
    elseif kind == "unknown" then
        local missing = {}
        for _, m in ipairs(X.missing_of(rec)) do if not m.optional then missing[#missing + 1] = m end end
        s = { missing = missing }
    else
        s = { error = v, kind = kind }
    end
    memo[id] = s
    return s
end

-- MARK: - Rules

--- The effect a rule declares for a pathway (a table, a function or nil).
function E.effect_for(spec, pathway)
    if spec.effects then return spec.effects[pathway] end
    return spec.effect
end

-- The rule's condition and effects, in one window: false when it does not fire, else the effect
-- of each pathway it speaks to (an effect shared by several pathways is computed once).
local NO_PATHWAY = { false }  -- the targets of a rule that speaks to no pathway (never changed)

local function apply_rule(R, spec, c)
    if spec.when and not spec.when(c) then return false end
    local effects = {}
    local targets = #spec.pathways > 0 and spec.pathways or NO_PATHWAY
    local done = #targets > 1 and {} or nil  -- one target: nothing to share
    for i = 1, #targets do
        local p = targets[i]
        local declared = E.effect_for(spec, p or nil)
        local e = done and done[declared or false]
        if e == nil then
            e = declared
            if type(e) == "function" then
                e = e(c)
                -- Checked as returned, then copied (plain tables only cross into Swift): a copy would
                -- turn a file's read-only table in the detail into an empty one before the check.
                if e ~= nil then
                    local problems = S.check_effect(e, R.effect_name[spec], R.vocabulary, R.declared[spec], true)
                    if #problems > 0 then error(problems[1], 0) end
                end
                if type(e) == "table" then e = copy(e) end
            end
            if e and type(e.text) == "function" then
                local text = e.text(c)
                if type(text) ~= "string" then
                    error(R.effect_name[spec] .. ": its text function returned a " .. type(text) .. " value, not a string", 0)
                end
                e = copy(e)
                e.text = text
            end
            if done and declared ~= nil then done[declared] = e or false end
        end
        effects[p or "_"] = e or nil
    end
    return true, effects
end

-- The memo keys of per-lesion rules ("id#2"), made when the rules load for as many lesions as the
-- field dictionary allows, so that a case does not build (and intern) one string per rule and
-- lesion; a case with more lesions than that (refused by validation) would build the rest.
local lesion_keys = {}

--- Makes the per-lesion memo keys, once the rules have loaded.
function E.prepare(R)
    local lesions = R.field_by_path["lesions"]
    local max_lesions = lesions and lesions.max_items or 0
    for _, spec in ipairs(R.rules) do
        if spec.per_lesion then
            local keys = {}
            for i = 1, max_lesions do keys[i] = spec.id .. "#" .. i end
            lesion_keys[spec] = keys
        end
    end
end

--- The key of a rule's result in the evaluation's memo: its id, or "id#i" for lesion i.
function E.memo_key(spec, lesion_index)
    if not lesion_index then return spec.id end
    local keys = lesion_keys[spec]
    return keys and keys[lesion_index] or (spec.id .. "#" .. lesion_index)
end

--- A rule's result in this evaluation (once per case, or once per lesion for per-lesion rules):
--- { spec, lesion, outcome = "fired"|"false"|"unknown"|"error", effects, inputs, missing, kind, message }.
function E.run_rule(ev, spec, lesion_index)
    -- E.memo_key, inlined: this is the runtime's most frequent call.
    local key = spec.id
    if lesion_index then
        local keys = lesion_keys[spec]
        key = keys and keys[lesion_index] or (key .. "#" .. lesion_index)
    end
    local memo = ev.memo
    local r = memo[key]
    if r then
        if r == BUSY then
            return { outcome = "error", kind = "error", inputs = {}, missing = {},
                message = spec.file .. ":" .. spec.line .. ": rule '" .. spec.id .. "' depends on itself (cycle)" }
        end
        return r
    end
    memo[key] = BUSY
    local c = X.new(ev, spec, lesion_index)
    local rec = X.recorded(c)  -- before the rule runs: what it records, whatever it does to c
    local ok, fired, effects = E.window(ev, spec, apply_rule, ev.R, spec, c)
    -- One constructor with every field (a field added afterwards would grow the table).
    if ok then
        r = { spec = spec, lesion = lesion_index, inputs = rec.inputs, missing = X.missing_of(rec),
            outcome = fired and "fired" or "false", effects = fired and effects or nil }
    elseif effects == "unknown" then
        r = { spec = spec, lesion = lesion_index, inputs = rec.inputs, missing = X.missing_of(rec), outcome = "unknown" }
    else
        local msg = fired
        if type(msg) ~= "string" then msg = "(error object is a table value)" end
        if not U.has_position(msg) then msg = spec.file .. ":" .. spec.line .. ": " .. msg end
        r = { spec = spec, lesion = lesion_index, inputs = rec.inputs, missing = X.missing_of(rec), outcome = "error",
            kind = effects == "not_yet" and "error" or effects, message = msg }
    end
    memo[key] = r
    return r
end

return E
