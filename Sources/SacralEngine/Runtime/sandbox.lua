-- What rule files see: read-only views of the standard libraries and of every table shared with
-- define()/use(), and the environment each rule file runs in. Nothing a rule can reach from here
-- lets it change what another rule, or the next case, sees.
local host, need = ...
local setmetatable, rawset, contents = host.setmetatable, host.rawset, host.contents
local where = host.where
local error, type, next, ipairs, pairs, tostring = error, type, next, ipairs, pairs, tostring
local string_format = string.format
local U = need("util")
local any_order = U.any_order

local Sb = {}

local function readonly(t, name)
    return setmetatable({}, {
        __index = t,
        __newindex = function(_, k)
            error(string_format("'%s' is read-only (tried to set %s.%s)", name, name, tostring(k)), 2)
        end,
        -- The iterator keeps the real table to itself: returning `next, t` would hand a rule the
        -- writable library table as the loop's state (`local _, raw = pairs(string)`).
        __pairs = function() return function(_, k) return next(t, k) end, nil, nil end,
        __metatable = false,
    })
end

--- The views of one registry (the loaded rule set): use(name) and the environment of a rule file.
function Sb.new(R)
    local views = {}    -- shared table -> its read-only view (weak: tables of a past case go)
    setmetatable(views, { __mode = "k" })
    local deep_view
    -- Every view's metatable and what it resolves, so that freeze() can give each a mirror.
    local made, mirror_views = {}, nil

    -- A read-only view of the table resolve() returns; nested tables come out as views too.
    local function view_of(resolve, name)
        local mt = {
            __index = function(_, k)
                local x = resolve()[k]
                if type(x) == "table" then return deep_view(x, name) end
                return x
            end,
            __newindex = function(_, k)
                error(string_format("'%s' is read-only (tried to set %s)", tostring(name), tostring(k)), 2)
            end,
            __len = function() return #resolve() end,
            __pairs = function()
                local t = resolve()
                return function(_, k)
                    local nk, nv = next(t, k)
                    if type(nv) == "table" then nv = deep_view(nv, name) end
                    return nk, nv
                end, nil, nil  -- not `t`: the state pairs() returns would be the writable table
            end,
            __metatable = false,
        }
        made[#made + 1] = { mt = mt, resolve = resolve, name = name }
        if mirror_views then mirror_views() end
        return setmetatable({}, mt)
    end

    deep_view = function(t, name)
        local v = views[t]
        if v then return v end
        v = view_of(function() return t end, name)
        views[t] = v
        return v
    end

    local lazy = {}
    --- use(name): what a file defined under that name (a table), read-only, resolved on access: a
    --- file may use() what a file loaded later defines. Read at load time before it is defined, the
    --- file is set aside and loaded again once the others have loaded (U.NOT_YET).
    local function use(name)
        local v = lazy[name]
        if v then return v end
        v = view_of(function()
            local t = R.defined[name]
            if t ~= nil then return t end
            local src, line = where(3)
            local message = string_format("%s:%d: nothing is defined under '%s'", tostring(src), line or 0, tostring(name))
            if R.loading then
                R.not_yet = { file = tostring(src), line = line or 0, message = message,
                    problem = "nothing is defined under '" .. tostring(name) .. "'" }
                error(U.NOT_YET, 0)
            end
            error(message, 0)
        end, name)
        lazy[name] = v
        return v
    end

    local base = {}
    for _, name in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
        "tostring", "type", "xpcall", "_VERSION" }) do
        base[name] = _ENV[name]
    end
    base.string = readonly(string, "string")
    base.table = readonly(table, "table")
    base.math = readonly(math, "math")
    base.utf8 = readonly(utf8, "utf8")
    base.use = use
    local logic = need("logic")
    base.any_of, base.all_of, base.known = logic.any_of, logic.all_of, logic.known
    for name, fn in pairs(need("declarations").helpers(R)) do base[name] = fn end

    local environments = {}  -- every rule file's environment and its metatable, for freeze()

    --- A fresh environment for one rule file: the helper library, and globals of its own that it
    --- may set only while it loads.
    local function environment()
        local mt = {
            __index = base,
            __newindex = function(t, k, v)
                if R.loading then rawset(t, k, v) return end
                error(string_format("rules may not set the global '%s' while evaluating (use a local)", tostring(k)), 2)
            end,
            __metatable = false,
        }
        local env = setmetatable({}, mt)
        environments[#environments + 1] = { env = env, mt = mt }
        return env
    end

    --- Once the rules are loaded, nothing a rule file holds may carry state from one call into the
    --- next (a file whose rules counted the cases they saw would decide differently in a batch
    --- than alone): each file's globals move out of its environment, where a write to an existing
    --- global would need no metamethod; every table the rule files can reach is frozen in place;
    --- and the upvalues of their functions are recorded for host.restore (execution.lua puts them
    --- back after every call and fails the rule that changed one). Returns the recorded slots:
    --- `all`, and what a call into one rule or score can change: `common` (what every file reaches
    --- through use()) and `of[spec]` (the functions, locals and globals of its file). A call
    --- reaches nothing else: values that cross between rules (derived values, scores, inputs) are
    --- plain data, so no function of one file is ever handed to another.
    local function freeze(rules, scores)
        local roots, own = {}, {}
        -- In any order: the slots host.slots records are a set (host.restore reports the least
        -- name of those changed).
        local function functions_of(t, depth, into)
            if depth > 16 then return end
            for _, v in any_order(t), t do
                if type(v) == "function" then into[#into + 1] = v
                elseif type(v) == "table" then functions_of(v, depth + 1, into) end
            end
        end
        local specs = {}
        for _, spec in ipairs(rules) do specs[#specs + 1] = spec end
        for _, spec in ipairs(scores) do specs[#specs + 1] = spec end
        for _, spec in ipairs(specs) do
            local fns = {}
            functions_of(spec, 0, fns)
            own[spec] = fns
            for _, f in ipairs(fns) do roots[#roots + 1] = f end
        end
        local shared = {}
        for _, name in ipairs(U.sorted_keys(R.defined)) do
            roots[#roots + 1] = R.defined[name]
            shared[#shared + 1] = R.defined[name]
        end
        for _, e in ipairs(environments) do
            local globals, keys = {}, {}
            for k, v in next, e.env do globals[k] = v; keys[#keys + 1] = k; roots[#roots + 1] = v end
            for _, k in ipairs(keys) do rawset(e.env, k, nil) end
            -- Tables, not a function, as __index: a rule reads a global as often as it reads a
            -- field, and a table lookup costs no call. The lookup reads a copy of the globals
            -- that falls back to the helper library; __frozen keeps the plain table, which the
            -- ordered next and host.slots read (a table with a metatable ends their walk).
            local lookup = {}
            for k, v in next, globals do lookup[k] = v end
            e.mt.__index = setmetatable(lookup, { __index = base })
            e.mt.__frozen = globals
        end
        environments = {}
        local slots = { all = host.freeze(roots), common = host.slots(shared), of = {} }
        -- One walk per rule file for all its rules and scores: what one of them reaches is within
        -- what its file's functions reach, and a cell its call cannot reach is found unchanged
        -- after it (restore reports the least name of the cells changed, the same either way).
        -- A walk per rule walked each file's state again for every rule of the file.
        local roots_of_file, files = {}, {}
        for _, spec in ipairs(specs) do
            local file = tostring(spec.load_path)
            local list = roots_of_file[file]
            if not list then list = {}; roots_of_file[file] = list; files[#files + 1] = file end
            for _, f in ipairs(own[spec]) do list[#list + 1] = f end
        end
        local slots_of_file = {}
        for _, file in ipairs(files) do slots_of_file[file] = host.slots(roots_of_file[file]) end
        for _, spec in ipairs(specs) do slots.of[spec] = slots_of_file[tostring(spec.load_path)] end
        -- Now that every shared table is frozen (its contents can no longer change), each view
        -- reads from a mirror: the table's values, its nested tables as their views. A view then
        -- answers a read with a table lookup instead of two calls; writes, # and pairs() still
        -- go through the view's own metamethods (same messages, same order).
        local done = 0
        mirror_views = function()
            while done < #made do
                done = done + 1
                local v = made[done]
                local ok, t = pcall(v.resolve)
                if ok and type(t) == "table" then
                    local mirror = {}
                    t = contents(t)
                    for k, x in any_order(t), t do
                        if type(x) == "table" then x = deep_view(x, v.name) end
                        mirror[k] = x
                    end
                    v.mt.__index = mirror
                end
            end
        end
        mirror_views()
        return slots
    end

    return { use = use, environment = environment, freeze = freeze }
end

return Sb
