-- Small pure helpers every runtime module shares: the UNKNOWN sentinel a rule raises when it needs
-- a value the case does not give, deep copies, ordered keys, safe error messages. No state.
local host = ...
local setmetatable, getmetatable, raw_next = host.setmetatable, host.getmetatable, host.raw_next
local error, type, next, ipairs, tostring, tonumber = error, type, next, ipairs, tostring, tonumber
local sort, string_sub, string_byte = table.sort, string.sub, string.byte

local U = {}

-- A marker shared by every rule and every case: a rule can catch it with pcall, so it must hold
-- nothing and take nothing (a field written during one case would be read during the next).
local function marker(text)
    return setmetatable({}, {
        __tostring = function() return text end,
        __newindex = function() error("the runtime's '" .. text .. "' marker is read-only", 2) end,
        __metatable = false,
    })
end

--- Raised (as an error value) by c:get when a field is unknown; never a string, so no rule text can
--- fake it. Read-only: it is shared by every rule and every case.
U.UNKNOWN = marker("unknown value")

--- Raised by use() at load time when a file reads what no file has defined yet: the file is set
--- aside and loaded again later (declarations.lua).
U.NOT_YET = marker("not defined yet")

--- The traversal for a loop whose result does not depend on the order of the keys (a copy, a
--- merge, a check that only asks whether anything is wrong): the library's own next for a plain
--- table, the ordered next (the sandbox's) for any other. The ordered next sorts a table's keys
--- on its first step; a frozen rule-file table shows its contents only through it.
local function any_order(t)
    if getmetatable(t) == nil then return raw_next end
    return next
end
U.any_order = any_order

local function copy(v, depth)
    if type(v) ~= "table" then return v end
    depth = (depth or 0) + 1
    if depth > 32 then error("table nested too deeply", 0) end
    local out = {}
    -- A value that is no table is its own copy: no call for it (most of what is copied).
    for k, x in any_order(v), v do
        if type(x) == "table" then x = copy(x, depth) end
        out[k] = x
    end
    return out
end
U.copy = copy

--- A total order over keys of any type: by type name, then by value (numbers numerically).
function U.key_less(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
end

--- Byte order of two strings (locale-independent, like Swift's sort of the file paths).
function U.bytes_less(a, b)
    local n = #a < #b and #a or #b
    for i = 1, n do
        local x, y = string_byte(a, i), string_byte(b, i)
        if x ~= y then return x < y end
    end
    return #a < #b
end

function U.sorted_keys(t)
    local keys = {}
    for k in any_order(t), t do keys[#keys + 1] = k end
    sort(keys, U.key_less)
    return keys
end

function U.list_of(v)
    if v == nil then return {} end
    if type(v) ~= "table" then return { v } end
    return v
end

function U.unique_sorted(list)
    local seen, out = {}, {}
    for _, v in ipairs(list) do if not seen[v] then seen[v] = true; out[#out + 1] = v end end
    sort(out)
    return out
end

-- A rule's error message, made safe to report: a string, at most MAX_MESSAGE bytes (a rule may
-- raise a message of megabytes; copying or prefixing it could hit the memory cap in trusted code).
local MAX_MESSAGE = 2000
function U.message_text(v)
    if type(v) ~= "string" then return "(error object is a " .. type(v) .. " value)" end
    if #v > MAX_MESSAGE then return string_sub(v, 1, MAX_MESSAGE) .. "... (message cut)" end
    return v
end

-- Where a message's Lua "file:line:" position is, like the pattern "^([^\n]-):(%d+): ?": the
-- first ':' followed by digits and ':' before any newline. Plain code, not string.find: the
-- guarded pattern functions refuse long subjects, and a refusal here would raise inside the
-- runtime's own bookkeeping. Returns the byte indexes of the two colons, or nil.
local function position_of(msg)
    local n = #msg
    for i = 1, n do
        local b = string_byte(msg, i)
        if b == 10 then return nil end
        if b == 58 then  -- ':' then digits then ':'
            local j = i + 1
            while j <= n do
                local d = string_byte(msg, j)
                if d < 48 or d > 57 then break end
                j = j + 1
            end
            if j > i + 1 and string_byte(msg, j) == 58 then return i, j end
        end
    end
    return nil
end

--- Whether a message starts with a "file:line:" position.
function U.has_position(msg)
    return position_of(msg) ~= nil
end

--- "file:line: message" -> file, line, message; nil when the message has no position.
function U.split_position(msg)
    local i, j = position_of(msg)
    if not i then return nil end
    local rest = j + 1
    if string_byte(msg, rest) == 32 then rest = rest + 1 end
    return string_sub(msg, 1, i - 1), tonumber(string_sub(msg, i + 1, j - 1)), string_sub(msg, rest)
end

return U
