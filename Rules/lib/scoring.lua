-- Score arithmetic shared by Rules/scores/*.lua (what the output shows) and the rules that reason
-- with a score (SINS bands, Tokuhashi for life expectancy and the surgical veto, Tomita, KPS).
--
-- P21: a score with unknown items is an interval, not an unknown. Every score is computed with
-- bounds: an item whose points are not fixed counts with its lowest and highest possible points.
-- Every comparison of a score with a threshold goes through S.meets (the interval helper): it
-- decides when the whole interval lies on one side (known facts decide first, P19) and stops the
-- rule as unknown, reporting the fields of the missing items, only when the interval straddles.
local t = use("thresholds")
local settings = use("settings")
local P = use("primaries")

local S = {}

-- MARK: - Plumbing

-- Stops the calling rule or score as unknown, reporting every field in `needs` ({ctx, path} pairs)
-- as missing (each c:get of an absent field notes it; all_of runs them all before giving up).
function S.raise_unknown(needs)
    local fns = {}
    for i, n in ipairs(needs) do
        local ctx, path = n[1], n[2]
        fns[i] = function() return ctx:get(path) end
    end
    all_of(table.unpack(fns))
    error("internal: a score was incomplete but none of its fields is missing", 0)
end

-- The per-lesion contexts of a case (each reads "lesion.*" of its own lesion).
function S.lesions(c)
    local vs = {}
    c:any_lesion(function(l) vs[#vs + 1] = l; return false end)
    return vs
end

local function item(ctx, path, map, lo, hi)
    if ctx:has(path) then
        local v = ctx:get(path)
        return { points = map[v], value = v }
    end
    return { min = lo, max = hi, need = { { ctx, path } } }
end

-- Sums items ({name = item}) into { min, max, total (only when every item's points are fixed),
-- items = {name = points} (the fixed ones), missing_items = {names} (sorted), need = {...} }.
local function tally(names, items)
    local r = { min = 0, max = 0, items = {}, values = {}, need = {}, missing_items = {} }
    for _, name in ipairs(names) do
        local it = items[name]
        if it.points ~= nil then
            r.min, r.max = r.min + it.points, r.max + it.points
            r.items[name] = it.points
            r.values[name] = it.value
        else
            r.min, r.max = r.min + it.min, r.max + it.max
            r.missing_items[#r.missing_items + 1] = name
            for _, n in ipairs(it.need) do r.need[#r.need + 1] = n end
        end
    end
    table.sort(r.missing_items)
    if #r.missing_items == 0 then r.total = r.min end
    return r
end
S.tally = tally

local OPS = {
    [">="] = function(r, n) return r.min >= n, r.max < n end,
    [">"] = function(r, n) return r.min > n, r.max <= n end,
    ["<="] = function(r, n) return r.max <= n, r.min > n end,
    ["<"] = function(r, n) return r.max < n, r.min >= n end,
}

--- S.meets(r, op, n): does the score r ({ min, max, need }) satisfy `op n`? op is ">=", ">", "<="
--- or "<". True when every value of [r.min, r.max] does, false when none does; otherwise (the
--- interval straddles n) the calling rule stops as unknown and the fields of the missing items
--- (r.need) are reported missing (P21, P19). Every comparison of a score, or of a KPS interval,
--- with a threshold in Rules/ goes through it. Wrap it in known(...) where a straddle must not block.
function S.meets(r, op, n)
    local cmp = OPS[op]
    if cmp == nil then error("S.meets: the operator must be >=, >, <= or <, not " .. tostring(op), 2) end
    local all, none = cmp(r, n)
    if all then return true end
    if none then return false end
    S.raise_unknown(r.need)
end

--- S.band(r, band_of): the band the whole interval lies in, or nil (a band is display, never a criterion).
function S.band(r, band_of)
    local lo, hi = band_of(r.min), band_of(r.max)
    if lo == hi then return lo end
    return nil
end

local function item_words(names)
    local out = {}
    for i, n in ipairs(names) do out[i] = (n:gsub("_", " ")) end
    return table.concat(out, ", ")
end

--- S.format(r, name): "SINS 9", or for an interval "SINS 9–13 (items missing: alignment)": never a
--- bound printed as if it were the score (P21).
function S.format(r, name)
    if r.total ~= nil then return string.format("%s %s", name, tostring(r.total)) end
    return string.format("%s %s–%s (items missing: %s)", name, tostring(r.min), tostring(r.max),
        item_words(r.missing_items or {}))
end

--- The output of a score: its total and band when complete; else min, max, missing_items, and the
--- band only when the whole interval lies in one band (P21).
function S.output(r, band_of, extra)
    local out = { items = r.items }
    if r.total ~= nil then
        out.total = r.total
        out.band = band_of and band_of(r.total) or nil
    else
        out.min, out.max, out.missing_items = r.min, r.max, r.missing_items
        out.band = band_of and S.band(r, band_of) or nil
    end
    for k, v in pairs(extra or {}) do out[k] = v end
    return out
end

-- Three-valued comparisons of a bounded score with a cut-off (through S.meets).
function S.at_least(r, n) return S.meets(r, ">=", n) end
function S.at_most(r, n) return S.meets(r, "<=", n) end

-- MARK: - Performance status (B5)

-- Conventional KPS -> ECOG (display only; KPS is what the rules use).
S.kps_to_ecog = { [100] = 0, [90] = 0, [80] = 1, [70] = 1, [60] = 2, [50] = 2, [40] = 3, [30] = 3,
                  [20] = 4, [10] = 4, [0] = 5 }

--- KPS as an interval (P21, B5): measured -> { total }; converted from ECOG -> the conventional
--- table's range (ECOG 0 = 90-100, 1 = 70-80, 2 = 50-60, 3 = 30-40, 4 = 10-20), with a warning;
--- neither -> 0-100. `need` names patient.karnofsky, the field that would fix it.
function S.kps(c)
    if c:has("patient.karnofsky") then
        local k = c:get("patient.karnofsky")
        return { min = k, max = k, total = k, need = {}, missing_items = {} }
    end
    local need = { { c, "patient.karnofsky" } }
    if c:has("patient.ecog") then
        local ecog = c:get("patient.ecog")
        local range = t.ecog_kps[ecog]
        if range[1] == range[2] then
            return { min = range[1], max = range[2], total = range[1], ecog = ecog, converted = true, need = {},
                missing_items = {} }
        end
        c:warn(string.format("KPS %d-%d was converted from ECOG %d by the conventional table; no single " ..
            "KPS-ECOG mapping is authoritative, so the rules use the whole range (knowledge base B5, P21).",
            range[1], range[2], ecog))
        c:input("kps (converted from ECOG)", string.format("%d-%d", range[1], range[2]))
        return { min = range[1], max = range[2], ecog = ecog, converted = true, need = need,
            missing_items = { "karnofsky" } }
    end
    return { min = 0, max = 100, need = need, missing_items = { "karnofsky" } }
end

function S.ecog(c)
    if c:has("patient.ecog") then return c:get("patient.ecog"), false end
    if c:has("patient.karnofsky") then
        local kps = c:get("patient.karnofsky")
        local ecog = S.kps_to_ecog[kps]
        c:warn(string.format("ECOG %d was converted from KPS %d by the conventional table (knowledge base B5).", ecog, kps))
        return ecog, true
    end
    return nil
end

-- MARK: - SINS per lesion (B1, P17)

local SINS_PAIN = { mechanical = 3, non_mechanical = 1, none = 0 }
local SINS_BONE = { lytic = 2, mixed = 1, blastic = 0 }
local SINS_ALIGN = { subluxation = 4, deformity = 2, normal = 0 }
local SINS_COLLAPSE = { over_half = 3, under_half = 2, none_over_half_involved = 1, none = 0 }
local SINS_POSTEROLATERAL = { bilateral = 3, unilateral = 1, none = 0 }
S.sins_items = { "location", "pain", "bone_lesion", "alignment", "collapse", "posterolateral" }

-- Sacral location mapping (B1): a lesion involving L5 or S1 is junctional (L5-S1) = 3; S2-S5 and the
-- coccyx are rigid = 0; the worst involved level counts.
local function sins_location(l)
    if not l:has("lesion.levels") then return { min = 0, max = 3, need = { { l, "lesion.levels" } } } end
    local levels = l:get("lesion.levels")
    for _, lv in ipairs(levels) do
        if lv == "L5" or lv == "S1" then return { points = 3, value = "junctional (L5-S1)" } end
    end
    return { points = 0, value = "rigid (S2-S5)" }
end

function S.sins(l)
    local items = {
        location = sins_location(l),
        pain = item(l, "symptoms.pain_type", SINS_PAIN, 0, 3),
        bone_lesion = item(l, "lesion.bone_lesion", SINS_BONE, 0, 2),
        alignment = item(l, "lesion.alignment", SINS_ALIGN, 0, 4),
        collapse = item(l, "lesion.collapse", SINS_COLLAPSE, 0, 3),
        posterolateral = item(l, "lesion.posterolateral", SINS_POSTEROLATERAL, 0, 3),
    }
    local r = tally(S.sins_items, items)
    r.lesion = l:lesion_id()
    r.notes = {}
    if items.location.points == 0 and items.posterolateral.points and items.posterolateral.points > 0 then
        r.notes[#r.notes + 1] = "Posterolateral item scored below S1, where there are no facets: the " ..
            "pedicle/lateral-mass analogue was scored as given (B1, UNCONFIRMED for the sacrum)."
    end
    l:input("SINS of lesion " .. tostring(r.lesion), r.total or S.format(r, "SINS"))
    return r
end

function S.sins_band(total)
    if total >= t.sins_unstable_min then return "unstable" end
    if total >= t.sins_impending_min then return "indeterminate" end
    return "stable"
end

-- Three-valued: the lesion's SINS is at least n.
function S.sins_at_least(l, n) return S.meets(S.sins(l), ">=", n) end

-- MARK: - Revised Tokuhashi (B2, P17)

local TOKU_VISCERAL = { none = 2, treatable = 1, untreatable = 0 }
-- Frankel mapped from the neurological finding when no Frankel grade is given (B2, P17).
local FRANKEL_POINTS = { A = 0, B = 0, C = 1, D = 1, E = 2 }
local FRANKEL_FROM_NEURO = {
    intact = { grade = "E", note = "Frankel E assumed from an intact neurological examination (no Frankel grade given)." },
    radiculopathy = { grade = "E", note = "Frankel E assumed from radiculopathy without motor deficit (no Frankel grade given)." },
    motor_deficit = { grade = "D", note = "Frankel C/D (incomplete, 1 point) assumed from a motor deficit (no " ..
        "Frankel grade given); a complete palsy (Frankel A/B) would score 0." },
    cauda_equina = { grade = "D", note = "Frankel D (1 point) assumed for cauda equina syndrome (no Frankel " ..
        "grade given); Frankel grades sphincter loss poorly (knowledge base B2)." },
}

-- Lower bound on vertebral-body metastases from the sacral lesions themselves (settings).
local function sacral_vertebra_lower_bound(c)
    local seen, n = {}, 0
    for _, l in ipairs(S.lesions(c)) do
        if l:has("lesion.levels") then
            for _, lv in ipairs(l:get("lesion.levels")) do
                if lv ~= "coccyx" then
                    local key = settings.tokuhashi_count_sacral_segments and lv or (lv == "L5" and "L5" or "sacrum")
                    if not seen[key] then seen[key] = true; n = n + 1 end
                end
            end
        end
    end
    return math.max(n, 1)
end

local function toku_count_points(count, many, two)
    if count >= many then return 0 end
    if two and count == two then return 1 end
    if two then return 2 end
    if count >= 1 then return 1 end
    return 2
end

function S.tokuhashi(c)
    local items, notes = {}, {}
    -- General condition: KPS 10-40 poor 0, 50-70 moderate 1, 80-100 good 2.
    -- The item is monotone in KPS, so a KPS interval gives an interval of points (P21).
    local kps = S.kps(c)
    local function points(k) return k >= t.tokuhashi_kps_good_min and 2 or (k >= t.tokuhashi_kps_moderate_min and 1 or 0) end
    local gc_lo, gc_hi = points(kps.min), points(kps.max)
    if gc_lo == gc_hi then
        items.general_condition = { points = gc_lo, value = kps.total or string.format("KPS %d-%d", kps.min, kps.max) }
        if kps.converted then notes[#notes + 1] = "KPS converted from ECOG (conventional table)." end
    else
        items.general_condition = { min = gc_lo, max = gc_hi, need = kps.need }
    end
    -- Extraspinal bone metastasis foci: >= 3 -> 0, 1-2 -> 1, 0 -> 2.
    if c:has("cancer.extraspinal_bone_metastases") then
        local n = c:get("cancer.extraspinal_bone_metastases")
        items.extraspinal_bone_metastases = { points = toku_count_points(n, t.tokuhashi_extraspinal_many), value = n }
    else
        items.extraspinal_bone_metastases = { min = 0, max = 2, need = { { c, "cancer.extraspinal_bone_metastases" } } }
    end
    -- Metastases in the vertebral body, as given (sacral ones included): >= 3 -> 0, 2 -> 1, 1 -> 2.
    if c:has("cancer.vertebral_metastases") then
        local n = c:get("cancer.vertebral_metastases")
        items.vertebral_metastases = { points = toku_count_points(n, t.tokuhashi_vertebral_many, t.tokuhashi_vertebral_two), value = n }
    else
        local lower = sacral_vertebra_lower_bound(c)
        local hi = toku_count_points(lower, t.tokuhashi_vertebral_many, t.tokuhashi_vertebral_two)
        items.vertebral_metastases = { min = 0, max = hi, need = { { c, "cancer.vertebral_metastases" } } }
    end
    items.visceral_metastases = item(c, "cancer.visceral_metastases", TOKU_VISCERAL, 0, 2)
    -- Primary site.
    if c:has("cancer.primary") then
        local primary = c:get("cancer.primary")
        local row = P[primary]
        items.primary_site = { points = row.tokuhashi, value = primary }
        if row.notes and row.notes.tokuhashi then notes[#notes + 1] = row.notes.tokuhashi end
    else
        items.primary_site = { min = 0, max = 5, need = { { c, "cancer.primary" } } }
    end
    -- Palsy (Frankel).
    if c:has("symptoms.frankel") then
        local g = c:get("symptoms.frankel")
        items.palsy = { points = FRANKEL_POINTS[g], value = "Frankel " .. g }
    elseif c:has("symptoms.neurologic") then
        local m = FRANKEL_FROM_NEURO[c:get("symptoms.neurologic")]
        items.palsy = { points = FRANKEL_POINTS[m.grade], value = "Frankel " .. m.grade .. " (mapped)" }
        notes[#notes + 1] = m.note
    else
        items.palsy = { min = 0, max = 2, need = { { c, "symptoms.neurologic" } } }
    end
    local r = tally({ "general_condition", "extraspinal_bone_metastases", "vertebral_metastases",
                      "visceral_metastases", "primary_site", "palsy" }, items)
    r.notes = notes
    r.band = S.band(r, S.tokuhashi_band)
    if r.total then
        c:input("tokuhashi.total", r.total)
    else
        c:input("tokuhashi (interval)", string.format("%d-%d", r.min, r.max))
    end
    return r
end

function S.tokuhashi_band(total)
    if total >= t.tokuhashi_1_year_min then return "1_year_or_more" end
    if total >= t.tokuhashi_6_months_min then return "6_months_or_more" end
    return "under_6_months"
end

-- MARK: - Tomita (B3, P17)

local TOMITA_GROWTH = { slow = 1, moderate = 2, rapid = 4 }
local TOMITA_VISCERAL = { none = 0, treatable = 2, untreatable = 4 }

-- The Tomita growth class: cancer.growth overrides the primary's documented mapping.
function S.growth(c)
    if c:has("cancer.growth") then return c:get("cancer.growth"), "given" end
    local primary = c:get("cancer.primary")
    local row = P[primary]
    return row.growth, row.notes and row.notes.growth
end

-- Bone metastases (spine included): solitary/isolated 1, multiple 2. The sacral lesion is one bone
-- metastasis; it is solitary when there is no extraspinal focus, one sacral lesion, and no vertebral
-- metastasis beyond the segments that lesion occupies (knowledge base B2 counts each involved sacral
-- segment as one vertebral body, so a lesion over S1-S2 may be counted twice in
-- vertebral_metastases; it is still one metastasis).
local function tomita_bone(c)
    local lesions = S.lesions(c)
    if #lesions >= 2 then return { points = 2, value = "multiple (several sacral lesions)" } end
    local need = {}
    local e
    if c:has("cancer.extraspinal_bone_metastases") then
        e = c:get("cancer.extraspinal_bone_metastases")
        if e >= 1 then return { points = 2, value = "multiple (extraspinal bone metastases)" } end
    else
        need[#need + 1] = { c, "cancer.extraspinal_bone_metastases" }
    end
    local segs
    local l = lesions[1]
    if l and l:has("lesion.levels") then
        segs = 0
        for _, lv in ipairs(l:get("lesion.levels")) do if lv ~= "coccyx" then segs = segs + 1 end end
        segs = math.max(segs, 1)
    end
    if c:has("cancer.vertebral_metastases") then
        local v = c:get("cancer.vertebral_metastases")
        if segs and v > segs then return { points = 2, value = "multiple (other vertebral metastases)" } end
        if not segs and v > 1 then need[#need + 1] = { l, "lesion.levels" } end
    else
        need[#need + 1] = { c, "cancer.vertebral_metastases" }
    end
    if #need > 0 then return { min = 1, max = 2, need = need } end
    return { points = 1, value = "solitary (the sacral lesion only)" }
end

function S.tomita(c)
    local items, notes = {}, {}
    if c:has("cancer.growth") or c:has("cancer.primary") then
        local g, note = S.growth(c)
        items.primary_growth = { points = TOMITA_GROWTH[g], value = g }
        if note and note ~= "given" then notes[#notes + 1] = note end
        if note == "given" then notes[#notes + 1] = "Growth class given by the case (cancer.growth), overriding the primary's mapping." end
    else
        items.primary_growth = { min = 1, max = 4, need = { { c, "cancer.primary" } } }
    end
    items.visceral_metastases = item(c, "cancer.visceral_metastases", TOMITA_VISCERAL, 0, 4)
    items.bone_metastases = tomita_bone(c)
    local r = tally({ "primary_growth", "visceral_metastases", "bone_metastases" }, items)
    notes[#notes + 1] = "Tomita is a prognostic input only: it never triggers excision in the sacrum (Mika & " ..
        "Mesfin 2018, K49); en bloc resection is not a pathway of this engine."
    r.notes = notes
    r.band = S.band(r, S.tomita_band)
    if r.total then
        c:input("tomita.total", r.total)
    else
        c:input("tomita (interval)", string.format("%d-%d", r.min, r.max))
    end
    return r
end

function S.tomita_band(total)
    if total >= t.tomita_terminal_min then return "supportive_care" end
    if total >= t.tomita_palliative_min then return "palliative_surgery" end
    if total >= t.tomita_middle_min then return "marginal_or_intralesional" end
    return "wide_or_marginal"
end

define("scoring", S)
