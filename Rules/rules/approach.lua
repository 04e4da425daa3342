-- P6: the needle approach per lesion (K22-K27), for sacroplasty and for RFA through the same needle.
--   zone I   -> posterior (short-axis, long-axis), transiliac or anterior-oblique (Tian 2019, Tian 2020, Tian 2022)
--   zone II  -> long-axis posterior only (Tian 2019; Tian 2022 says "posterior", which includes short-axis)
--   zone III -> transiliac or interpedicular
--   zone III over two or more sacral bodies -> interpedicular only, with the dural-sac MRI and an
--   entry below the subarachnoid space (K27)
-- A lesion over several zones gets the approaches common to all its zones; when there is none, the
-- union, with a note that more than one needle path will be needed.
local F = use("facts")
local t = use("thresholds")

local ZONE_APPROACHES = {
    [1] = { "short_axis", "long_axis", "transiliac", "anterior_oblique" },
    [2] = { "long_axis" },
    [3] = { "transiliac", "interpedicular" },
}
local NAMES = { short_axis = "short-axis posterior", long_axis = "long-axis posterior", transiliac = "transiliac",
                anterior_oblique = "anterior-oblique", interpedicular = "interpedicular" }

local function names(list)
    local out = {}
    for i, a in ipairs(list) do out[i] = NAMES[a] end
    return table.concat(out, ", ")
end

rule {
    id = "approach.denis_zone",
    pathways = { "sacroplasty", "rfa" },
    per_lesion = true,
    implements = { "K22", "K23", "K24", "K25", "K26", "K27", "P6" },
    source = "Tian 2019; Tian 2022; Tian 2020; Kortman 2013; Denis 1988",
    summary = "Needle approach per lesion from its Denis zones (zone III over several sacral bodies: interpedicular)",
    on_unknown = "ignore",
    effect = function(c)
        local id = tostring(c:lesion_id())
        if not c:has("lesion.zones") or #c:get("lesion.zones") == 0 then
            return { text = string.format(
                "Denis zone of lesion %s not given: the needle approach cannot be chosen. Map the lesion on " ..
                "CT/MRI (zone I ala, II foramina, III body and canal; Denis 1988 as used by Tian 2019/2022).", id) }
        end
        local zones = c:get("lesion.zones")
        table.sort(zones)
        local bodies = c:has("lesion.levels") and F.sacral_bodies(c) or 0
        local multi = F.has_zone(c, 3) and bodies >= t.interpedicular_only_min_bodies
        local lists = {}
        for _, z in ipairs(zones) do
            lists[#lists + 1] = (z == 3 and multi) and { "interpedicular" } or ZONE_APPROACHES[z]
        end
        -- Approaches common to every zone, in the order of the first zone's list.
        local common = {}
        for _, a in ipairs(lists[1]) do
            local all = true
            for i = 2, #lists do
                local found = false
                for _, b in ipairs(lists[i]) do if a == b then found = true end end
                all = all and found
            end
            if all then common[#common + 1] = a end
        end
        local approach, texts = common, {}
        if #common == 0 then
            approach = {}
            local seen = {}
            for i = #lists, 1, -1 do  -- zone III (the body) first
                for _, a in ipairs(lists[i]) do
                    if not seen[a] then seen[a] = true; approach[#approach + 1] = a end
                end
            end
            texts[#texts + 1] = "No single approach reaches every zone of this lesion: more than one needle " ..
                "path will be needed (Tian 2022 used 1.49-1.7 needles per lesion)."
        end
        local zone_words = {}
        for _, z in ipairs(zones) do zone_words[#zone_words + 1] = ({ "I (ala)", "II (foramina)", "III (body and canal)" })[z] end
        table.insert(texts, 1, string.format("Lesion %s, Denis zone %s: approach %s (Tian 2019 approach rule; " ..
            "Tian 2022 chose the shortest path that avoids vessels and nerves).",
            id, table.concat(zone_words, " + "), names(approach)))
        if F.has_zone(c, 2) and #zones == 1 then
            texts[#texts + 1] = "Zone II: Tian 2019 allows only the long-axis approach; Tian 2022 says " ..
                "'posterior' for these lesions, which also covers the short-axis technique (minor conflict)."
        end
        if multi then
            texts[#texts + 1] = string.format(
                "Zone III over %d sacral bodies: the interpedicular approach 'seems to be the only feasible " ..
                "approach' (Tian 2019). Image the dural sac on MRI first and enter below the subarachnoid " ..
                "space, generally in the midline over the sacral hiatus at S3 or S4; CSF leakage is its " ..
                "specific risk; several bodies can be treated in one session by withdrawing the needle (Tian 2019).",
                bodies)
        end
        if approach[1] == "short_axis" or approach[2] == "long_axis" or approach[1] == "long_axis" then
            texts[#texts + 1] = "Short-axis: needle perpendicular to the dorsal ala, suited to CT guidance; " ..
                "long-axis: from the inferior dorsal ala at S4 cephalad to S1 between the foramina and the " ..
                "sacroiliac joint, needs fluoroscopy (Kortman 2013). Efficacy and leakage did not differ " ..
                "between approaches (Tian 2020, Tian 2022)."
        end
        local plan = { pathway = "sacroplasty", timing = "same_session",
            text = string.format("Percutaneous sacroplasty of lesion %s, %s approach%s; antibiotic prophylaxis " ..
                "before, non-contrast CT after (Kortman 2013; Tian 2019/2022).", id, NAMES[approach[1]],
                #approach > 1 and (" (alternatives: " .. names({ table.unpack(approach, 2) }) .. ")") or "") }
        return { approach = approach, plan = plan, text = table.concat(texts, " ") }
    end,
}
