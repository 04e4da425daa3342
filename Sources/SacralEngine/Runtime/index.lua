-- Closing the declaration phase: loads the files that were set aside, orders every declaration by
-- file path and position (never by load order), reads the ruleset's precedence and vocabulary,
-- indexes rules by pathway, and checks statically what can be checked before any case: unknown
-- pathways, statuses, strengths, alerts, plan steps and sources, effects that do not fit the
-- schema, and the strongest status a rule with a computed effect declares.
local _, need = ...
local U, S, Cb, D = need("util"), need("schema"), need("combine"), need("declarations")
local type, ipairs, tostring, pcall, sort = type, ipairs, tostring, pcall, table.sort
local string_sub, string_gsub, gmatch = string.sub, string.gsub, string.gmatch

local I = {}

-- Declarations in file path order (bytes, like Swift's sort of the paths), then in the order the
-- file made them. The few distinct paths are ranked once: comparing the paths byte by byte in
-- every comparison of the sort was a sixth of the engine's start.
local function reindex(list, by_key, key)
    local paths, rank = {}, {}
    for _, spec in ipairs(list) do
        local path = tostring(spec.load_path)
        if not rank[path] then rank[path] = true; paths[#paths + 1] = path end
    end
    sort(paths, U.bytes_less)
    for i, path in ipairs(paths) do rank[path] = i end
    local file_of = {}
    for _, spec in ipairs(list) do file_of[spec] = rank[tostring(spec.load_path)] end
    sort(list, function(a, b)
        if file_of[a] ~= file_of[b] then return file_of[a] < file_of[b] end
        return a.seq < b.seq
    end)
    for i, spec in ipairs(list) do by_key[spec[key]] = spec; spec.order = i end
end

-- The checks of one rule that need the ruleset: pathways, effects, declared status, sources.
local function check_rule(R, spec, problem)
    local meta, v = R.meta, R.vocabulary
    local function bad(message) problem(spec.file, spec.line, "rule '" .. spec.id .. "' " .. message) end
    for _, p in ipairs(spec.pathways) do
        if not R.pathway_by_id[p] then
            bad("names unknown pathway '" .. tostring(p) .. "'")
        else
            R.rules_by_pathway[p] = R.rules_by_pathway[p] or {}
            local list = R.rules_by_pathway[p]
            list[#list + 1] = spec
        end
    end
    if #spec.pathways == 0 then R.free_rules[#R.free_rules + 1] = spec end
    if spec.source == nil then bad("cites no source") end
    if spec.strength ~= nil and spec.status == nil then bad("declares a strength without a status") end
    if spec.status ~= nil then
        R.declared[spec] = S.statuses[spec.status] and R.precedence:key(spec.status, spec.strength) or nil
        if not R.declared[spec] then
            bad("declares status '" .. tostring(spec.status) .. (spec.strength and (":" .. tostring(spec.strength)) or "") ..
                "', which the precedence does not rank")
        end
    end
    -- Static effects are checked now; computed ones when they fire (execution.lua).
    local effects = {}
    if spec.effects ~= nil then
        local listed = {}
        for _, p in ipairs(spec.pathways) do listed[p] = true end
        for _, p in ipairs(U.sorted_keys(spec.effects)) do
            if not listed[p] then
                bad("has an effect for pathway '" .. tostring(p) .. "', which it does not list in pathways")
            end
            local e = spec.effects[p]
            if type(e) ~= "table" and type(e) ~= "function" then
                bad("effect for '" .. tostring(p) .. "' must be a table or a function")
            elseif type(e) == "table" then
                effects[#effects + 1] = e
            end
        end
    elseif type(spec.effect) == "table" then
        effects[1] = spec.effect
    end
    for _, e in ipairs(effects) do
        for _, m in ipairs(S.check_effect(e, "effect", v, R.declared[spec], false)) do bad(m) end
        if e.status ~= nil and R.declared[spec] and R.precedence:key(e.status, e.strength)
            and R.precedence:stronger(R.precedence:key(e.status, e.strength), R.declared[spec]) then
            bad("gives status '" .. tostring(e.status) .. "', stronger than the status it declares")
        end
    end
    if meta.sources and type(spec.source) == "string" then
        for part in gmatch(spec.source, "[^;]+") do
            part = string_gsub(string_gsub(part, "^%s+", ""), "%s+$", "")
            local known_source = false
            for _, name in ipairs(R.source_names) do
                if string_sub(part, 1, #name) == name then known_source = true; break end
            end
            if not known_source then bad("cites '" .. part .. "', which ruleset.sources does not list") end
        end
    end
end

--- Finishes loading: returns { ok, problems = { { file, line, message } } }.
function I.finish(R, env_of)
    local problems = {}
    local function problem(file, line, message)
        problems[#problems + 1] = { file = file, line = line or 0, message = message }
    end
    local settled = D.settle(R, env_of)
    R.loading = false
    if not settled.ok then
        if settled.file then
            problem(settled.file, settled.line, settled.problem)
        else
            local file, line, message = U.split_position(settled.message)
            if file then problem(file, line, message) else problem("Rules", 0, settled.message) end
        end
        return { ok = false, problems = problems }
    end
    local meta = R.meta
    if not meta then
        problem("Rules", 0, "no ruleset{} declaration")
        return { ok = false, problems = problems }
    end
    reindex(R.rules, R.rule_by_id, "id")
    reindex(R.scores, R.score_by_id, "id")
    reindex(R.fields, R.field_by_path, "path")
    R.pathway_by_id = {}
    for i, p in ipairs(meta.pathways) do
        if type(p) == "string" then p = { id = p }; meta.pathways[i] = p end
        R.pathway_by_id[p.id] = p
    end
    for _, key in ipairs(meta.precedence) do
        local status = Cb.split(tostring(key))
        if not S.statuses[status] then problem(meta.file, meta.line, "precedence names unknown status '" .. tostring(key) .. "'") end
    end
    local ok, precedence = pcall(Cb.precedence, meta.precedence, meta.default and meta.default.status)
    if not ok then
        problem(meta.file, meta.line, tostring(precedence))
        return { ok = false, problems = problems }
    end
    R.precedence = precedence
    -- P20: how lesion statuses combine into a per-lesion pathway's status, most favourable first.
    -- Without one, the reverse of the precedence. Every verdict of the precedence must be placed.
    local lesion_order = meta.lesion_order
    if lesion_order == nil then
        lesion_order = {}
        for i = #meta.precedence, 1, -1 do lesion_order[#lesion_order + 1] = meta.precedence[i] end
    end
    local placed = {}
    for _, key in ipairs(lesion_order) do
        if not precedence.rank[key] then
            problem(meta.file, meta.line, "lesion_order names '" .. tostring(key) .. "', which the precedence does not rank")
        end
        placed[key] = true
    end
    for _, key in ipairs(meta.precedence) do
        if not placed[key] then problem(meta.file, meta.line, "lesion_order does not place '" .. tostring(key) .. "'") end
    end
    R.lesion_order = lesion_order
    local targets = {}
    for id in pairs(R.pathway_by_id) do targets[id] = true end
    for _, p in ipairs(meta.sequence or {}) do targets[p] = true end
    R.vocabulary = { precedence = precedence, alerts = meta.alerts or {}, plan_targets = targets }
    R.rules_by_pathway, R.free_rules = {}, {}
    -- What the runtime derives from a rule is kept here, not on the rule's own table (which its
    -- file can still reach): the verdict it declares, and its name in messages.
    R.declared, R.effect_name = {}, {}
    for _, spec in ipairs(R.rules) do R.effect_name[spec] = "rule '" .. spec.id .. "': computed effect" end
    R.source_names = meta.sources and U.sorted_keys(meta.sources) or {}
    for _, spec in ipairs(R.rules) do check_rule(R, spec, problem) end
    return { ok = #problems == 0, problems = problems }
end

return I
