-- Three-valued logic for rule authors: any_of, all_of and known. A known true (any_of) or false
-- (all_of) decides even when other operands are unknown; unknown travels as the UNKNOWN error
-- value so that the field that was missing is still reported.
local _, need = ...
local UNKNOWN = need("util").UNKNOWN
local pcall, error = pcall, error

local L = {}

--- fns evaluated in order; `want` decides as soon as one gives it.
function L.three_valued(fns, want)
    local unknown = false
    for i = 1, #fns do
        local ok, v = pcall(fns[i])
        if not ok then
            if v ~= UNKNOWN then error(v, 0) end
            unknown = true
        elseif (not not v) == want then
            return want
        end
    end
    if unknown then error(UNKNOWN, 0) end
    return not want
end

--- any_of(f1, f2, ...): true if any is true, even when others are unknown; unknown if none is true
--- and some are unknown; else false.
function L.any_of(...) return L.three_valued({ ... }, true) end

--- all_of(f1, f2, ...): false if any is false, even when others are unknown; unknown if none is
--- false and some are unknown; else true.
function L.all_of(...) return L.three_valued({ ... }, false) end

--- known(fn, ...): fn's result, or nil when it needed an unknown value (no undetermined status).
function L.known(fn, ...)
    local ok, v = pcall(fn, ...)
    if ok then return v end
    if v == UNKNOWN then return nil end
    error(v, 0)
end

return L
