-- The clinical predicates the rules share (knowledge base, part P, "Words"). Every predicate is
-- three-valued: it returns true or false from known facts, or stops the calling rule as unknown
-- (reporting the missing fields) when some value of the missing fields could change the answer.
--
--   epidural disease      lesions[].epidural other than "0"
--   compressive lesion    epidural disease or foraminal erosion
--   cauda equina syndrome symptoms.neurologic = cauda_equina, or retention/incontinence together
--                         with epidural disease
--   neural compression    radiculopathy, motor deficit or CES together with epidural disease or
--                         foraminal erosion (CES counts on its own)
--   unstable              a lesion with SINS 13-18, or lesions[].pelvic_instability = true
--   impending instability a lesion with SINS 7-12 and no unstable lesion
local t = use("thresholds")
local S = use("scoring")
local P = use("primaries")

local F = {}

-- Shares a fact's value (or its unknown) between the rules of one case through c:derive
-- (computed once per case, and per lesion in a lesion context).
local function shared(name, fn)
    return function(c) return c:derive(name, fn) end
end
F.shared = shared

F.lesions = function(c) return S.lesions(c) end

-- any_of / all_of over the lesions (safe to nest: they never re-enter c:any_lesion while iterating).
function F.any_lesion(c, fn)
    local fns = {}
    for i, l in ipairs(S.lesions(c)) do fns[i] = function() return fn(l) end end
    return any_of(table.unpack(fns))
end

function F.all_lesions(c, fn)
    local fns = {}
    for i, l in ipairs(S.lesions(c)) do fns[i] = function() return fn(l) end end
    return all_of(table.unpack(fns))
end

-- MARK: - Lesion facts (l is a lesion context)

function F.epidural(l) return l:get("lesion.epidural") ~= "0" end
function F.erosion(l) return l:get("lesion.foraminal_erosion") == true end
function F.compressive(l)
    return any_of(function() return F.epidural(l) end, function() return F.erosion(l) end)
end
-- Absent pelvic_instability means the clinicians have not judged the ring unstable (case-format.md).
function F.pelvic_instability(l) return l:opt("lesion.pelvic_instability") == true end

-- Three-valued: the lesion's SINS is at least n (shared per lesion and cut-off).
function F.sins_ge(l, n)
    return l:derive("facts.sins_ge_" .. n, function(x) return S.sins_at_least(x, n) end)
end

function F.lesion_unstable(l)
    return any_of(function() return F.pelvic_instability(l) end,
                  function() return F.sins_ge(l, t.sins_unstable_min) end)
end

function F.lesion_impending(l)
    return all_of(function() return not F.lesion_unstable(l) end,
                  function() return F.sins_ge(l, t.sins_impending_min) end)
end

-- Whether the lesion has been irradiated: lesions[].irradiated, else history.radiation.
function F.lesion_irradiated(l)
    if l:has("lesion.irradiated") then return l:get("lesion.irradiated") end
    if l:has("history.radiation") then return l:get("history.radiation") == "completed" end
    S.raise_unknown({ { l, "lesion.irradiated" }, { l, "history.radiation" } })
end

-- Sacral segments (S1-S5) the lesion occupies.
function F.sacral_bodies(l)
    local n = 0
    for _, lv in ipairs(l:get("lesion.levels")) do
        if lv:match("^S%d$") then n = n + 1 end
    end
    return n
end

function F.has_zone(l, z)
    for _, v in ipairs(l:get("lesion.zones")) do if v == z then return true end end
    return false
end

-- MARK: - Case facts

function F.any_epidural(c) return F.any_lesion(c, F.epidural) end
function F.any_compressive(c) return F.any_lesion(c, F.compressive) end

local codes = use("code_sets")
function F.deficit(c)
    local n = c:get("symptoms.neurologic")
    for _, d in ipairs(codes.neurological_deficits) do if n == d then return true end end
    return false
end

--- Whether an ESCC grade is high-grade (thresholds.lua code_sets.escc_high_grade).
function F.escc_high_grade(grade)
    for _, g in ipairs(codes.escc_high_grade) do if grade == g then return true end end
    return false
end

function F.ces(c)
    return any_of(
        function() return c:get("symptoms.neurologic") == "cauda_equina" end,
        function()
            return all_of(
                function()
                    local bb = c:get("symptoms.bowel_bladder")
                    return bb == "retention" or bb == "incontinence"
                end,
                function() return F.any_epidural(c) end)
        end)
end

function F.neural_compression(c)
    return any_of(
        function() return F.ces(c) end,
        function()
            return all_of(function() return F.deficit(c) end, function() return F.any_compressive(c) end)
        end)
end

function F.unstable(c) return F.any_lesion(c, F.lesion_unstable) end

function F.impending(c)
    return all_of(function() return not F.unstable(c) end,
                  function() return F.any_lesion(c, function(l) return F.sins_ge(l, t.sins_impending_min) end) end)
end

-- Whether some sacral lesion was irradiated before (P20: each lesion's own flag first,
-- history.radiation only where the flag is absent).
function F.irradiated(c) return F.any_lesion(c, F.lesion_irradiated) end

-- Prior radiation of this lesion followed by persistent pain or progression ("failed radiation",
-- K36, K43). history.radiation_response describes what followed radiation at the irradiated lesions.
function F.lesion_radiation_failed(l)
    return all_of(function() return F.lesion_irradiated(l) end,
        function()
            local r = l:get("history.radiation_response")
            return r == "persistent_pain" or r == "progression"
        end)
end

-- Some lesion's radiation failed.
function F.radiation_failed(c) return F.any_lesion(c, F.lesion_radiation_failed) end

-- MARK: - Attributing a neurological deficit to a lesion (P20)

-- Whether the patient has a radicular or motor deficit (the deficits P20 attributes to a lesion;
-- cauda equina syndrome stays patient-wide, P8).
function F.radicular_or_motor(c)
    local n = c:get("symptoms.neurologic")
    return n == "radiculopathy" or n == "motor_deficit"
end

-- Whether a lesion lies where a deficit on `side` could come from (its own side unknown: it could).
local function on_side(l, side)
    if side == nil or side == "bilateral" then return true end
    local ls = l:opt("lesion.side")
    return ls == nil or ls == side or ls == "bilateral" or ls == "midline"
end

-- Whether the lesion's anatomy can cause a deficit (epidural disease, foraminal erosion or Denis
-- zone II/III involvement at it): true, false or nil (unknown).
local function anatomy_can(l)
    return known(function()
        return any_of(function() return F.epidural(l) end, function() return F.erosion(l) end,
                      function() return F.has_zone(l, 2) end, function() return F.has_zone(l, 3) end)
    end)
end

--- F.deficit_at(l): is the patient's radiculopathy or motor deficit attributable to this lesion?
--- (P20.) The clinicians' attribution (lesions[].causes_deficit) decides first; else the candidates
--- are the lesions on the deficit's side (symptoms.neurologic_side) whose anatomy can cause it (all
--- the side's lesions when none can). One candidate carries it (a single lesion does, as before P20);
--- with several, each is unknown, naming the side and its own attribution as missing.
function F.deficit_at(l)
    if not F.radicular_or_motor(l) then return false end
    local lesions = S.lesions(l)
    local attributed = false
    for _, x in ipairs(lesions) do
        if x:opt("lesion.causes_deficit") == true then attributed = true end
    end
    if attributed then return l:opt("lesion.causes_deficit") == true end
    local side = l:opt("symptoms.neurologic_side")
    local eligible, by_anatomy, me = {}, {}, nil
    for _, x in ipairs(lesions) do
        if x:opt("lesion.causes_deficit") ~= false and on_side(x, side) then
            eligible[#eligible + 1] = x
            if anatomy_can(x) ~= false then by_anatomy[#by_anatomy + 1] = x end
        end
    end
    local candidates = #by_anatomy > 0 and by_anatomy or eligible
    for _, x in ipairs(candidates) do
        if x:lesion_id() == l:lesion_id() then me = x end
    end
    if me == nil then return false end
    if #candidates == 1 then return true end
    S.raise_unknown({ { l, "symptoms.neurologic_side" }, { l, "lesion.causes_deficit" } })
end

-- NOMS radiosensitivity of the histology: "sensitive" | "intermediate" | "resistant".
-- cancer.radiosensitive overrides the primary's class; a defaulted class raises its note as a warning.
function F.radiosensitivity(c)
    if c:has("cancer.radiosensitive") then
        return c:get("cancer.radiosensitive") and "sensitive" or "resistant"
    end
    local row = P[c:get("cancer.primary")]
    if row.notes and row.notes.radio then c:warn(row.notes.radio) end
    return row.radio
end

function F.primary_label(c)
    local p = c:opt("cancer.primary")
    return p and P[p].label or "primary not given"
end

function F.hypervascular(c)
    if c:has("cancer.hypervascular") then return c:get("cancer.hypervascular") end
    return P[c:get("cancer.primary")].hypervascular
end

-- P11: the patient is judged unfit for open surgery or declines it.
function F.unfit_or_declines(c)
    return any_of(function() return c:get("patient.fit_for_surgery") == false end,
                  function() return c:get("patient.accepts_surgery") == false end)
end

-- P13: a biopsy is needed before elective treatment.
function F.biopsy_needed(c)
    return all_of(
        function() return c:get("cancer.tissue_diagnosis") == "none" end,
        function() return c:get("cancer.direct_extension") ~= true end,
        function() return not F.ces(c) end)
end

-- P9: decompression is indicated by neural compression (CES included).
F.decompression_indicated = F.neural_compression

-- P10: fixation is indicated by instability, or by impending instability with neural compression.
function F.fixation_indicated(c)
    return any_of(function() return F.unstable(c) end,
        function()
            return all_of(function() return F.impending(c) end, function() return F.neural_compression(c) end)
        end)
end

-- P10 / K47: unilateral ilium involvement -> unilateral fixation on the unaffected side.
-- Returns extent, side, text. Unknown ilium fields do not block (bilateral is the default).
function F.fixation_extent(c)
    local sides, unknown = {}, false
    for _, l in ipairs(S.lesions(c)) do
        local il = l:opt("lesion.ilium")
        if il == nil then unknown = true
        elseif il ~= "none" then sides[il] = true end
    end
    if (sides.left and not sides.right and not sides.bilateral) or (sides.right and not sides.left and not sides.bilateral) then
        local affected = sides.left and "left" or "right"
        local other = affected == "left" and "right" or "left"
        return "unilateral", other, string.format(
            "The %s ilium is involved with the sacral metastasis: unilateral lumbopelvic instrumentation on " ..
            "the unaffected (%s) side (Mika & Mesfin 2018, Fig 3).",
            affected, other)
    end
    local text = "Bilateral lumbopelvic fixation (lumbar pedicle screws and iliac screws)."
    if sides.left or sides.right or sides.bilateral then
        text = "Both ilia are involved: bilateral lumbopelvic fixation."
    elseif unknown then
        text = "Iliac involvement not given (lesions[].ilium): bilateral fixation assumed; with one ilium " ..
            "involved Mika & Mesfin 2018 instrument the unaffected side only."
    end
    return "bilateral", nil, text
end

-- Computed once per case (see shared()).
for _, name in ipairs({ "compressive", "lesion_unstable", "lesion_impending", "any_epidural", "any_compressive",
                        "ces", "neural_compression", "unstable", "impending", "irradiated", "radiation_failed",
                        "lesion_radiation_failed", "deficit_at",
                        "fixation_indicated", "biopsy_needed", "unfit_or_declines" }) do
    F[name] = shared("facts." .. name, F[name])
end
F.decompression_indicated = F.neural_compression

define("facts", F)
