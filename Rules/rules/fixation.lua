-- P10: lumbopelvic fixation (K46-K48). Unstable (SINS 13-18 or pelvic instability), or impending
-- instability (SINS 7-12) with neural compression -> recommended, with decompression where there is
-- compression. Unilateral ilium involvement -> detail.extent unilateral, detail.side the unaffected
-- side. Fitness and the systemic veto: rules/surgical_fitness.lua.
local F = use("facts")
local S = use("scoring")
local t = use("thresholds")

-- The worst lesion's SINS, as a score or an interval (P21: never a bound printed as the score).
local function worst_sins_text(c)
    local best
    for _, l in ipairs(S.lesions(c)) do
        local r = S.sins(l)
        if best == nil or r.max > best.max or (r.max == best.max and r.min > best.min) then best = r end
    end
    return string.format("%s at lesion %s", S.format(best, "SINS"), tostring(best.lesion))
end

local function extent_effect(c, status, text)
    local extent, side, extent_text = F.fixation_extent(c)
    return {
        status = status,
        detail = { extent = extent, side = side },
        plan = { pathway = "fixation", timing = "before",
            text = extent == "unilateral"
                and string.format("Unilateral lumbopelvic instrumentation on the %s (unaffected) side, L4 to " ..
                    "pelvis as in Mika & Mesfin 2018 Fig 3, with decompression in the same operation where recommended.", side)
                or "Lumbopelvic fixation (lumbar pedicle screws and iliac screws), with decompression in the " ..
                    "same operation where recommended (Mika & Mesfin 2018 Fig 2: L4 to pelvis plus laminectomy, then radiation)." },
        text = text .. " " .. extent_text,
    }
end

rule {
    id = "fixation.unstable",
    pathways = { "fixation" },
    implements = { "K43", "K44", "K47", "K48", "K50", "P10" },
    source = "Mika & Mesfin 2018; Fisher 2010 (SINS); Laufer 2013 (NOMS)",
    summary = string.format("Unstable sacrum (SINS %d-18 or pelvic/sacroiliac instability): lumbopelvic fixation " ..
        "recommended", t.sins_unstable_min),
    unknown_text = string.format("Stability cannot be judged: SINS items are missing and could put a lesion in the " ..
        "unstable band (%d-18)", t.sins_unstable_min),
    status = "recommended",
    when = function(c) return F.unstable(c) end,
    effect = function(c)
        local why = {}
        for _, l in ipairs(S.lesions(c)) do
            if F.pelvic_instability(l) then
                why[#why + 1] = string.format("pelvic ring / sacroiliac instability at lesion %s", tostring(l:lesion_id()))
            elseif known(function() return F.sins_ge(l, t.sins_unstable_min) end) then
                local r = S.sins(l)
                why[#why + 1] = string.format("%s at lesion %s (%d-18: unstable)", S.format(r, "SINS"), tostring(l:lesion_id()),
                    t.sins_unstable_min)
            end
        end
        return extent_effect(c, "recommended", string.format(
            "Unstable: %s. 'Indications for a surgical procedure include ... spinal instability' (Mika & " ..
            "Mesfin 2018); NOMS decides stabilisation independently of the neurological and oncological " ..
            "findings, and gross instability needs open stabilisation. SINS does not capture pelvic-ring " ..
            "instability; the clinicians' judgement does.",
            table.concat(why, "; ")))
    end,
}

rule {
    id = "fixation.impending_with_compression",
    pathways = { "fixation" },
    implements = { "K46", "K50", "P10" },
    source = "Mika & Mesfin 2018; Fisher 2010 (SINS)",
    summary = string.format("Impending instability (SINS %d-%d) with neural compression: lumbopelvic fixation with " ..
        "laminectomy recommended", t.sins_impending_min, t.sins_unstable_min - 1),
    unknown_text = "Impending instability with neural compression cannot be ruled out (SINS items, " ..
        "neurological status or epidural grade missing)",
    status = "recommended",
    when = function(c)
        return all_of(function() return F.impending(c) end, function() return F.neural_compression(c) end)
    end,
    effect = function(c)
        return extent_effect(c, "recommended", string.format(
            "Impending instability (%s, %d-%d) with nerve root compression: 'lumbopelvic instrumentation " ..
            "(lumbar pedicle screws and iliac screws) along with a laminectomy is performed' (Mika & Mesfin 2018, Fig 2).",
            worst_sins_text(c), t.sins_impending_min, t.sins_unstable_min - 1))
    end,
}

rule {
    id = "fixation.impending_without_compression",
    pathways = { "fixation" },
    implements = { "K46", "K20", "P10", "P18" },
    source = "Mika & Mesfin 2018; Fisher 2010 (SINS)",
    summary = "Impending instability without neural compression: no seed rule for fixation; surgical consultation",
    when = function(c)
        return all_of(function() return F.impending(c) end, function() return not F.neural_compression(c) end)
    end,
    effect = {
        status = "not_indicated",
        text = function(c)
            return string.format(
                "Impending instability (%s, %d-%d) without neural compression: no seed rule calls for fixation " ..
                "here (Mika & Mesfin 2018 instrument impending instability only 'with concurrent nerve root " ..
                "compression'; a gap in the sources). Not indicated now; SINS %d-18 warrants a surgical " ..
                "consultation (Fisher 2010), raised as an alert.",
                worst_sins_text(c), t.sins_impending_min, t.sins_unstable_min - 1, t.sins_impending_min)
        end,
    },
}

rule {
    id = "fixation.stable",
    pathways = { "fixation" },
    implements = { "K44", "K48", "P10" },
    source = "Mika & Mesfin 2018; Fisher 2010 (SINS)",
    summary = "Stable sacrum (every lesion SINS 0-6, no pelvic instability): fixation not indicated",
    when = function(c)
        return F.all_lesions(c, function(l)
            return all_of(function() return not F.lesion_unstable(l) end,
                          function() return not F.sins_ge(l, t.sins_impending_min) end)
        end)
    end,
    effect = {
        status = "not_indicated",
        text = function(c)
            return string.format("The sacrum is stable (%s, 0-6; no pelvic instability): fixation is not " ..
                "indicated; sacral lesions without instability but with nerve root compression are managed by " ..
                "laminectomy alone (Mika & Mesfin 2018, Fig 1).",
                worst_sins_text(c))
        end,
    },
}
