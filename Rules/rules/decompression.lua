-- P9: decompression (K43-K45, K48). Neural compression (radiculopathy, motor deficit or CES with
-- epidural disease or foraminal erosion) -> recommended (laminectomy; with fixation where P10 says).
-- Surgery is not for lesions without epidural extension or neural compression unless unstable
-- (then fixation, P10). Fitness and the systemic veto: rules/surgical_fitness.lua. CES:
-- rules/cauda_equina.lua.
local F = use("facts")

rule {
    id = "decompression.neural_compression",
    pathways = { "decompression" },
    implements = { "K43", "K44", "K45", "P9" },
    source = "Mika & Mesfin 2018",
    summary = "Neural compression (deficit with epidural disease or foraminal erosion): decompression recommended",
    unknown_text = "Neural compression cannot be ruled out (neurological status, epidural grade or foraminal erosion not given)",
    when = function(c)
        return all_of(function() return F.neural_compression(c) end,
                      function() return known(function() return F.ces(c) end) ~= true end)
    end,
    effect = {
        status = "recommended",
        plan = { pathway = "decompression", timing = "before",
            text = "Sacral laminectomy to evacuate the tumour compressing the nerve roots (Mika & Mesfin " ..
                "2018); with lumbopelvic fixation in the same operation where fixation is recommended." },
        text = function(c)
            local acute = ""
            if c:opt("symptoms.neurologic_onset") == "acute" then
                acute = " The deficit is acute: in acute neurological deterioration 'surgical intervention should " ..
                    "not be delayed' (Mika & Mesfin 2018)."
            end
            return string.format(
                "Neural compression: %s with %s. 'Indications for a surgical procedure include neurological " ..
                "deficits' (Mika & Mesfin 2018); a decompression is a laminectomy 'for the evacuation of a " ..
                "tumor causing nerve root compression', alone when the sacrum is stable (Fig 1), with " ..
                "lumbopelvic fixation when instability is impending (Fig 2).",
                c:get("symptoms.neurologic"),
                known(function() return F.any_epidural(c) end) and "epidural tumour" or "foraminal erosion") .. acute
        end,
    },
}

rule {
    id = "decompression.no_neural_compression",
    pathways = { "decompression" },
    implements = { "K43", "K44", "K48", "P9", "P16" },
    source = "Mika & Mesfin 2018; Bilsky 2010 (ESCC); Laufer 2013 (NOMS)",
    summary = "No neural compression: decompression not indicated (surgery not for lesions without epidural extension unless unstable)",
    when = function(c) return not F.neural_compression(c) end,
    effect = {
        status = "not_indicated",
        text = function(c)
            local parts = { "No neural compression (no radiculopathy, motor deficit or cauda equina syndrome " ..
                "from epidural tumour or foraminal erosion): decompression is not indicated. Surgery 'should " ..
                "be reserved for when neurological deficits are present and/or spinal instability is " ..
                "present', and 'is not usually indicated for S1/S2 lesions without epidural extension' " ..
                "because of wound complications; 'the exception would be the presence of instability' " ..
                "(fixation decides that; Mika & Mesfin 2018)." }
            if known(function() return F.radiation_failed(c) end) then
                parts[#parts + 1] = "Failed radiation is listed among surgical indications (Mika & Mesfin " ..
                    "2018), but without a deficit or instability the percutaneous and radiation pathways come first."
            end
            local high = known(function()
                return F.any_lesion(c, function(l) return F.escc_high_grade(l:get("lesion.epidural")) end)
            end)
            if high then
                local grades = use("code_sets").escc_high_grade
                parts[#parts + 1] = "High-grade epidural disease (ESCC " .. grades[1] .. "-" .. grades[#grades] ..
                    ") without a deficit: NOMS would " ..
                    "consider separation surgery for radioresistant histology (Laufer 2013); the ESCC cord " ..
                    "grades do not apply literally below the conus, and the seeds operate on the sacrum for " ..
                    "neural compression, not for the grade (Bilsky 2010; knowledge base B4)."
            end
            return table.concat(parts, " ")
        end,
    },
}
