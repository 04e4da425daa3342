-- The P19 combination, as a pure function: rule results in, one status per pathway (and per lesion)
-- out. It owns the meaning of the ruleset's precedence list and nothing else: no case, no rule
-- specs, no Lua state beyond its arguments. Rules/README.md ("How a pathway's status is combined")
-- describes exactly this code; Tests/lua/combine_test.lua pins every clause with synthetic results.
--
-- A verdict is a key of the precedence list: "contraindicated:absolute", "not_indicated", ...
-- A result is a table:
--   outcome    "fired" | "false" | "unknown" | "error"
--   effect     (fired) { status =, strength =, decisive = } or nil: what the rule said here
--   could      (unknown) the verdict the rule could give if it fired, or nil when not known
--   on_unknown "ignore" to never hold the pathway when unknown
--   missing    (unknown) { { field =, optional = }, ... }
--   lesion     index of the lesion a per-lesion result belongs to (nil: the whole case)
local error, type, ipairs, tostring = error, type, ipairs, tostring
local math = math
local string_match = string.match

local C = {}

local Precedence = {}  -- the methods of a precedence (plain fields: no metatable needed)

--- The order of a ruleset's `precedence` list (strongest first) and the status of a pathway no rule
--- spoke to. Raises when the list does not place `undetermined`.
function C.precedence(list, default_status)
    local p = { rank = {}, cache = {}, list = list, default = default_status or "not_indicated",
        key = Precedence.key, stronger = Precedence.stronger, strongest = Precedence.strongest,
        seal = Precedence.seal }
    for i, key in ipairs(list) do
        p.rank[key] = i
    end
    if not p.rank.undetermined then error("precedence must place 'undetermined'", 0) end
    return p
end

--- "status:strength" -> status, strength; "status" -> status, nil.
function C.split(key)
    local status, strength = string_match(key, "^([%w_]+):(%w+)$")
    if status then return status, strength end
    return key, nil
end

--- The verdict a status and strength rank as: the "status:strength" entry when the list has one,
--- else the bare status; nil when the list ranks neither (the caller must treat that as an error).
function Precedence:key(status, strength)
    if type(status) ~= "string" then return nil end
    local by_strength = self.cache[status]
    local slot = strength == nil and true or strength
    local k = by_strength and by_strength[slot]
    if k == nil then
        k = false
        if strength ~= nil and self.rank[status .. ":" .. tostring(strength)] then
            k = status .. ":" .. tostring(strength)
        elseif self.rank[status] then
            k = status
        end
        if not self.sealed then
            if by_strength == nil then by_strength = {}; self.cache[status] = by_strength end
            by_strength[slot] = k
        end
    end
    return k or nil
end

--- Remembers the verdict of every status the list ranks, with and without each strength it
--- names, and nothing more from now on: what an evaluation asks beyond those is worked out each
--- time, so that no case leaves an entry for the next.
function Precedence:seal()
    local strengths = {}
    for _, key in ipairs(self.list) do
        local _, strength = C.split(key)
        if strength then strengths[#strengths + 1] = strength end
    end
    for _, key in ipairs(self.list) do
        local status = C.split(key)
        self:key(status, nil)
        for _, strength in ipairs(strengths) do self:key(status, strength) end
    end
    self.sealed = true
end

--- Whether verdict a is stronger than verdict b; anything is stronger than no verdict (nil).
function Precedence:stronger(a, b)
    if a == nil then return false end
    if b == nil then return true end
    return self.rank[a] < self.rank[b]
end

--- The stronger of two verdicts (a on a tie).
function Precedence:strongest(a, b)
    if self:stronger(b, a) then return b end
    return a
end

-- Whether an open (unknown or failed) result holds the pathway `undetermined`, given the verdict
-- the known facts gave (`known`, nil when nothing fired) and whether a fired effect was decisive.
local function holds(p, r, known, decisive)
    if r.outcome == "error" then return true end  -- fail closed
    if r.on_unknown == "ignore" or decisive then return false end
    -- Not knowing what the rule could say, assume it could say anything.
    if r.could == nil then return true end
    if known == nil then
        -- Nothing decided: only a possible indication is held open; a possible exclusion of a
        -- pathway nothing indicates changes nothing a clinician would do.
        return not p:stronger(r.could, "undetermined")
    end
    -- It could change the status only if it is stronger than the known verdict, and holding the
    -- pathway open matters only if `undetermined` itself is stronger than that verdict.
    return p:stronger(r.could, known) and p:stronger("undetermined", known)
end

--- Combines the results of one pathway (or one lesion) into a status.
--- Returns { status, strength, fired = {results}, blocking = {results}, missing = {fields},
--- by_default = bool }; fired and blocking hold the given result tables, in the given order.
function C.combine(p, results)
    local best, decisive = nil, false
    local fired, open, blocking, missing = {}, {}, {}, {}
    for _, r in ipairs(results) do
        if r.outcome == "fired" then
            local e = r.effect
            if e and e.status ~= nil then
                local k = p:key(e.status, e.strength)
                if k == nil then
                    -- A status the precedence does not rank: never dropped, it fails closed.
                    open[#open + 1] = { outcome = "error", item = r }
                elseif p:stronger(k, best) then
                    best = k
                end
                if e.decisive then decisive = true end
            end
            fired[#fired + 1] = r
        elseif r.outcome == "unknown" or r.outcome == "error" then
            open[#open + 1] = r
        end
    end
    -- Every open result is weighed against what the known facts decided, so that all the fields
    -- that could change the status are reported, not only the first rule's.
    local known = best
    for _, r in ipairs(open) do
        if holds(p, r, known, decisive) then
            blocking[#blocking + 1] = r.item or r
            if r.outcome == "unknown" then
                for _, m in ipairs(r.missing or {}) do
                    if not m.optional then missing[#missing + 1] = m.field end
                end
            end
            best = p:strongest(best, "undetermined")
        end
    end
    local by_default = false
    if best == nil then best, by_default = p.default, true end
    local status, strength = C.split(best)
    -- An open result can never leave a pathway recommended or an option, whatever the list says.
    if #blocking > 0 and (status == "recommended" or status == "option") then
        status, strength = "undetermined", nil
    end
    return { status = status, strength = strength, fired = fired, blocking = blocking,
        missing = missing, by_default = by_default }
end

--- Each lesion's own status: the case-level results (lesion == nil) and that lesion's results.
--- Returns a list of combinations, one per lesion 1..nlesions.
function C.per_lesion(p, results, nlesions)
    local case_level, by_lesion = {}, {}
    for i = 1, nlesions do by_lesion[i] = {} end
    for _, r in ipairs(results) do
        if r.lesion == nil then
            case_level[#case_level + 1] = r
        elseif by_lesion[r.lesion] then
            local list = by_lesion[r.lesion]
            list[#list + 1] = r
        end
    end
    local out = {}
    for i = 1, nlesions do
        local rs = {}
        for _, r in ipairs(case_level) do rs[#rs + 1] = r end
        for _, r in ipairs(by_lesion[i]) do rs[#rs + 1] = r end
        out[i] = C.combine(p, rs)
    end
    return out
end

--- P20: the pathway status of a per-lesion pathway is the most favourable lesion status. `order`
--- lists verdicts most favourable first (the ruleset's `lesion_order`); `combos` are the lesions'
--- combinations (C.per_lesion). Returns the index of the winning lesion: the first in `order`, ties
--- to the lowest index (deterministic). A verdict `order` does not list ranks last.
function C.most_favourable(p, order, combos)
    local rank = {}
    for i, key in ipairs(order) do rank[key] = i end
    local best, best_rank = nil, math.huge
    for i, lc in ipairs(combos) do
        local r = rank[p:key(lc.status, lc.strength) or lc.status] or (#order + 1)
        if r < best_rank then best, best_rank = i, r end
    end
    return best
end

return C
