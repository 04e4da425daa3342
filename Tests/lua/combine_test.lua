-- Table-driven tests of the P19 combiner (Sources/SacralEngine/Runtime/combine.lua) on synthetic
-- rule results: no clinical rules, no case, no engine. Run by scripts/test.sh:
--   lua5.4 Tests/lua/combine_test.lua
-- Each clause of Rules/README.md "How a pathway's status is combined" has its cases here.
local root = arg[0]:gsub("Tests/lua/combine_test%.lua$", "")
local f = assert(io.open(root .. "Sources/SacralEngine/Runtime/combine.lua", "rb"))
local C = assert(load(f:read("a"), "=sacral-runtime/combine", "t"))({}, function(name)
    error("the combiner needs no other module, asked for " .. name)
end)
f:close()

-- The shipped precedence (Rules/ruleset.lua), strongest first.
local P = C.precedence({ "contraindicated:absolute", "not_indicated", "contraindicated:relative", "undetermined",
    "option", "recommended" }, "not_indicated")

-- Result builders: fired(id, status, strength, extra), unknown(id, could, missing, extra), ...
local function fired(id, status, strength, extra)
    local r = { id = id, outcome = "fired", effect = status and { status = status, strength = strength } or {} }
    for k, v in pairs(extra or {}) do if k == "decisive" then r.effect.decisive = v else r[k] = v end end
    return r
end
local function unknown(id, could, missing, extra)
    local r = { id = id, outcome = "unknown", could = could, missing = {} }
    for _, m in ipairs(missing or { id .. ".field" }) do r.missing[#r.missing + 1] = { field = m } end
    for k, v in pairs(extra or {}) do r[k] = v end
    return r
end
local function failed(id, extra)
    local r = { id = id, outcome = "error" }
    for k, v in pairs(extra or {}) do r[k] = v end
    return r
end
local function quiet(id) return { id = id, outcome = "false" } end

local function ids(list)
    local out = {}
    for i, r in ipairs(list) do out[i] = r.id end
    return table.concat(out, ",")
end

local cases = {
    -- Precedence: the strongest fired effect wins.
    { "strongest fired effect wins", { fired("a", "recommended"), fired("b", "option") }, "option" },
    { "absolute beats not indicated", { fired("a", "not_indicated"), fired("b", "contraindicated", "absolute") },
        "contraindicated:absolute" },
    { "not indicated beats relative", { fired("a", "contraindicated", "relative"), fired("b", "not_indicated") },
        "not_indicated" },
    { "relative beats recommended", { fired("a", "recommended"), fired("b", "contraindicated", "relative") },
        "contraindicated:relative" },
    { "a rule that did not fire says nothing", { quiet("a"), fired("b", "recommended") }, "recommended" },
    { "an informational effect says nothing", { fired("a", nil), fired("b", "option") }, "option", fired_ids = "a,b" },
    -- Default.
    { "nothing fired: the default", { quiet("a") }, "not_indicated", by_default = true },
    { "no results at all: the default", {}, "not_indicated", by_default = true },
    { "informational only: the default", { fired("a", nil) }, "not_indicated", by_default = true },
    -- Known facts decide first; an unknown binds only where it could change the status.
    { "unknown exclusion holds a recommendation", { fired("a", "recommended"),
        unknown("x", "contraindicated:absolute", { "labs.inr" }) }, "undetermined", blocking = "x", missing = "labs.inr" },
    { "unknown exclusion does not hold a known contraindication", { fired("a", "contraindicated", "absolute"),
        unknown("x", "not_indicated") }, "contraindicated:absolute", blocking = "" },
    { "unknown weaker verdict does not bind", { fired("a", "option"), unknown("x", "recommended") }, "option",
        blocking = "" },
    { "unknown stronger than a relative contraindication does not bind (relative is above undetermined)",
        { fired("a", "contraindicated", "relative"), unknown("x", "contraindicated:absolute") },
        "contraindicated:relative", blocking = "" },
    { "nothing fired: an unknown indication holds", { unknown("x", "recommended", { "f" }) }, "undetermined",
        blocking = "x", missing = "f" },
    { "nothing fired: an unknown option holds", { unknown("x", "option", { "f" }) }, "undetermined", blocking = "x" },
    { "nothing fired: an unknown exclusion changes nothing", { unknown("x", "contraindicated:absolute") },
        "not_indicated", blocking = "", by_default = true },
    { "unknown that could say anything always holds", { fired("a", "recommended"), unknown("x", nil, { "g" }) },
        "undetermined", blocking = "x", missing = "g" },
    { "every binding unknown reports its fields", { fired("a", "recommended"), unknown("x", "not_indicated", { "f1" }),
        unknown("y", "contraindicated:absolute", { "f2", "f3" }) }, "undetermined", blocking = "x,y",
        missing = "f1,f2,f3" },
    { "optional reads are not missing", { fired("a", "recommended"),
        { id = "x", outcome = "unknown", could = "not_indicated",
          missing = { { field = "o", optional = true }, { field = "m" } } } }, "undetermined", missing = "m" },
    -- on_unknown.
    { "on_unknown = ignore never holds", { fired("a", "recommended"),
        unknown("x", "contraindicated:absolute", nil, { on_unknown = "ignore" }) }, "recommended", blocking = "" },
    -- Errors fail closed below an absolute contraindication.
    { "an error holds a recommendation", { fired("a", "recommended"), failed("e") }, "undetermined", blocking = "e" },
    { "an error with nothing fired: undetermined", { failed("e") }, "undetermined", blocking = "e" },
    { "an error stays below an absolute contraindication", { fired("a", "contraindicated", "absolute"), failed("e") },
        "contraindicated:absolute", blocking = "e" },
    { "an error stays below not indicated", { fired("a", "not_indicated"), failed("e") }, "not_indicated",
        blocking = "e" },
    { "an error ignores on_unknown", { fired("a", "recommended"), failed("e", { on_unknown = "ignore" }) },
        "undetermined", blocking = "e" },
    { "an error holds even a decisive pathway", { fired("a", "recommended", nil, { decisive = true }), failed("e") },
        "undetermined", blocking = "e" },
    { "an unranked fired status fails closed, never dropped", { fired("a", "recommended"),
        fired("b", "contraindicated") }, "undetermined", blocking = "b", fired_ids = "a,b" },
    -- Decisive.
    { "decisive stops unknowns of other rules", { fired("a", "recommended", nil, { decisive = true }),
        unknown("x", "contraindicated:absolute") }, "recommended", blocking = "" },
    { "decisive does not beat a known stronger fact", { fired("a", "recommended", nil, { decisive = true }),
        fired("b", "contraindicated", "relative") }, "contraindicated:relative" },
    -- Ties: the same verdict twice, both listed among the fired results.
    { "tie: same status twice", { fired("a", "option"), fired("b", "option") }, "option", fired_ids = "a,b" },
    { "tie: same strength twice", { fired("a", "contraindicated", "absolute"), fired("b", "contraindicated", "absolute") },
        "contraindicated:absolute", fired_ids = "a,b" },
}

local failures, count = 0, 0
local function check(name, got, want)
    count = count + 1
    if got ~= want then
        failures = failures + 1
        io.stderr:write(string.format("FAIL %s: got %s, want %s\n", name, tostring(got), tostring(want)))
    end
end

for _, t in ipairs(cases) do
    local name, results, want = t[1], t[2], t[3]
    local got = C.combine(P, results)
    check(name .. " (status)", got.strength and (got.status .. ":" .. got.strength) or got.status, want)
    if t.blocking then check(name .. " (blocking)", ids(got.blocking), t.blocking) end
    if t.missing then check(name .. " (missing)", table.concat(got.missing, ","), t.missing) end
    check(name .. " (by_default)", got.by_default, t.by_default or false)
    if t.fired_ids then check(name .. " (fired)", ids(got.fired), t.fired_ids) end
end

-- stronger / strongest / key: the comparisons the combiner is written in.
check("stronger: absolute over relative", P:stronger("contraindicated:absolute", "contraindicated:relative"), true)
check("stronger: not over itself", P:stronger("option", "option"), false)
check("stronger: anything over nothing", P:stronger("recommended", nil), true)
check("stronger: nothing over anything", P:stronger(nil, "recommended"), false)
check("strongest: a tie keeps the first", P:strongest("option", "option"), "option")
check("key: status with a ranked strength", P:key("contraindicated", "relative"), "contraindicated:relative")
check("key: contraindicated without strength is unranked here", P:key("contraindicated", nil), nil)
check("key: a strength on a bare status falls back to the status", P:key("option", "absolute"), "option")
check("precedence without undetermined is refused", pcall(C.precedence, { "recommended" }), false)

-- A precedence with a bare contraindicated: strengths rank as the bare status.
local bare = C.precedence({ "contraindicated", "undetermined", "recommended" })
local got = C.combine(bare, { fired("a", "contraindicated", "relative") })
check("bare precedence: strength ranks as the status", got.status .. ":" .. tostring(got.strength), "contraindicated:nil")
check("bare precedence: default is not_indicated", C.combine(bare, {}).status, "not_indicated")

-- Per lesion: case-level results count for every lesion; each lesion adds its own.
do
    local results = {
        fired("case", "recommended"),
        fired("l1", "contraindicated", "absolute", { lesion = 1 }),
        unknown("l2", "contraindicated:absolute", { "lesions[1].epidural" }, { lesion = 2 }),
        quiet("l3"),
    }
    results[4].lesion = 3
    local per = C.per_lesion(P, results, 3)
    check("per lesion: count", #per, 3)
    check("per lesion: lesion 1 excluded", per[1].status .. ":" .. per[1].strength, "contraindicated:absolute")
    check("per lesion: lesion 2 held by its unknown", per[2].status, "undetermined")
    check("per lesion: lesion 2 names its field", table.concat(per[2].missing, ","), "lesions[1].epidural")
    check("per lesion: lesion 3 takes the case-level verdict", per[3].status, "recommended")
    check("per lesion: combining every result at once gives the worst lesion", C.combine(P, results).status,
        "contraindicated")
    -- P20: the pathway's status is the most favourable lesion.
    local order = { "recommended", "option", "undetermined", "not_indicated", "contraindicated:relative",
        "contraindicated:absolute" }
    check("most favourable: the recommended lesion wins", C.most_favourable(P, order, per), 3)
    check("most favourable: undetermined beats contraindicated", C.most_favourable(P, order, { per[1], per[2] }), 2)
    local rel = { status = "contraindicated", strength = "relative" }
    local abs = { status = "contraindicated", strength = "absolute" }
    check("most favourable: relative beats absolute", C.most_favourable(P, order, { abs, rel }), 2)
    check("most favourable: undetermined beats not_indicated",
        C.most_favourable(P, order, { { status = "not_indicated" }, { status = "undetermined" } }), 2)
    check("most favourable: a tie goes to the first lesion",
        C.most_favourable(P, order, { { status = "option" }, { status = "option" } }), 1)
end

if failures > 0 then
    io.stderr:write(string.format("combine_test: %d of %d checks failed\n", failures, count))
    os.exit(1)
end
print(string.format("combine_test: %d checks passed", count))
