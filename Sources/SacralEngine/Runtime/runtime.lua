-- The sacral rule runtime: the trusted Lua half of the engine, entry point.
--
-- The runtime is a set of modules in this directory, each with one job (its header says which).
-- The host compiles every module with a chunk name starting "=sacral-runtime/" (the instruction
-- hook never stops code of those chunks), runs this entry point with the host table, which rules
-- never see, hands it the other modules with provide(name, chunk), and calls start(). What start()
-- returns in this table is all the host calls: load_file, finish_loading, evaluate, describe,
-- active_lines, fresh_heap. Rules/README.md documents the helper library for rule authors.
--
-- A module chunk is called with (host, need); need(name) returns another module's table.

local host = ...
local error, type, tostring = error, type, tostring

local M = {}
local chunks, modules = {}, {}

local function need(name)
    local m = modules[name]
    if m == nil then
        local chunk = chunks[name]
        if chunk == nil then error("the runtime module '" .. tostring(name) .. "' is missing", 2) end
        modules[name] = false
        m = chunk(host, need)
        modules[name] = m
    elseif m == false then
        error("the runtime modules depend on each other in a cycle through '" .. name .. "'", 2)
    end
    return m
end

--- provide(name, chunk): a compiled runtime module.
function M.provide(name, chunk)
    if type(chunk) ~= "function" then error("provide() takes a compiled chunk", 2) end
    chunks[name] = chunk
end

--- start(): builds the registry the rule files will declare into, and the host's entry points.
function M.start()
    local D, I, O = need("declarations"), need("index"), need("output")
    local R = D.new_registry()
    local sandbox = need("sandbox").new(R)
    local env_of = sandbox.environment
    M.provide, M.start = nil, nil
    chunks = nil

    --- Runs a compiled rule file in its own environment: { ok, message }.
    function M.load_file(path, chunk) O.heap_touched() return D.load_file(R, env_of, path, chunk) end
    --- Closes the declaration phase: { ok, problems = { { file, line, message } } }.
    function M.finish_loading()
        O.heap_touched()
        local finished = I.finish(R, env_of)
        if finished.ok then
            R.upvalues = sandbox.freeze(R.rules, R.scores)
            need("context").prepare(R)
            need("execution").prepare(R)
            R.precedence:seal()
        end
        return finished
    end
    --- Evaluates one validated case: the decision as plain data.
    function M.evaluate(c, opts) return O.evaluate(R, c, opts) end
    function M.describe(part) O.heap_touched() return O.describe(R, part) end
    function M.active_lines() O.heap_touched() return O.active_lines(R) end
    --- The heap as the next case will find it (a full collection): the host calls it between
    --- cases, before pushing the next one.
    function M.fresh_heap() O.fresh_heap() return true end
    return true
end

return M
