-- P12: radiation (K37-K42, K65). Cauda equina syndrome: rules/cauda_equina.lua (P8).
--   radiation-naive, no emergency      -> recommended, conventional EBRT 30-40 Gy in fractions;
--                                         radioresistant histology: stereotactic named as the NOMS alternative
--   after radiation, recurrence/progression -> stereotactic radiosurgery, option
--   after radiation, persistent pain only   -> not indicated when sacroplasty or RFA is offered (they
--                                              take over); else stereotactic re-irradiation, option
--   after radiation, pain controlled        -> not indicated
--   unstable: not the sole treatment while stabilisation is possible (surgery first, radiation after);
--   when stabilisation is contraindicated or vetoed, palliative radiation is recommended with the
--   instability named.
-- P20: radiation is decided per lesion, with its modality per lesion. Prior radiation is the lesion's
-- own flag (history.radiation only where it is absent), and "sacroplasty or RFA offered" is read at the
-- same lesion.
local F = use("facts")

local function not_emergency(c)
    return known(function() return F.ces(c) end) ~= true
end

local function surgery_first(c)
    local function rec(p) return known(function() return c:status(p) end) == "recommended" end
    return rec("decompression") or rec("fixation")
end

local function stereotactic_limits()
    return "Limits of radiosurgery (Mika & Mesfin 2018): not indicated for a neurological deficit caused by " ..
        "osseous compression of neural structures, possibly not as the only treatment when the spine is " ..
        "unstable, and it may not deliver enough radiation to larger lesions (no size threshold is given)."
end

rule {
    id = "radiation.naive",
    pathways = { "radiation" },
    per_lesion = true,
    implements = { "K37", "K40", "K42", "K65", "P12", "P16", "P20" },
    source = "Mika & Mesfin 2018; Laufer 2013 (NOMS)",
    summary = "Radiation-naive sacral metastasis without emergency: conventional radiation 30-40 Gy recommended (first line)",
    unknown_text = "Prior radiation to the sacrum not given (history.radiation or lesions[].irradiated)",
    status = "recommended",
    when = function(c) return not F.lesion_irradiated(c) and not_emergency(c) end,
    effect = function(c)
        local radio = known(function() return F.radiosensitivity(c) end)
        local detail = { modality = "conventional", dose = "30-40 Gy in multiple fractions" }
        local texts = { "Lesion " .. tostring(c:lesion_id()) .. " has not been irradiated: 'Conventional radiation therapy remains the " ..
            "first-line intervention for sacral metastasis', 30 to 40 Gy over multiple fractions (Mika & Mesfin 2018). Recommended." }
        if radio == "resistant" then
            detail.alternative = "stereotactic"
            texts[#texts + 1] = string.format("The histology (%s) is radioresistant to conventional " ..
                "radiation: NOMS prefers stereotactic radiosurgery here (Laufer 2013), named as the " ..
                "alternative; the sources differ (Mika & Mesfin 2018 call conventional radiation first line for all sacral metastases). %s",
                F.primary_label(c), stereotactic_limits())
        elseif radio == "sensitive" then
            texts[#texts + 1] = string.format("The histology (%s) is radiosensitive (NOMS): conventional " ..
                "radiation is the standard.", F.primary_label(c))
        elseif radio == nil then
            texts[#texts + 1] = "Radiosensitivity of the histology not known (cancer.primary or " ..
                "cancer.radiosensitive): NOMS would choose stereotactic radiosurgery for radioresistant tumours."
        end
        local unstable = known(function() return F.lesion_unstable(c) end)
        if unstable then
            texts[#texts + 1] = "The lesion is unstable: radiation is not the sole treatment while " ..
                "stabilisation is possible; it follows surgery (Mika & Mesfin 2018; NOMS decides stabilisation independently)."
        end
        texts[#texts + 1] = "Up to two-thirds of patients do not get complete pain relief from radiation, and " ..
            "it does not relieve mechanical pain from a pathological fracture (Mika & Mesfin 2018)."
        local plan
        if surgery_first(c) then
            plan = { pathway = "radiation", timing = "after",
                text = "Radiation after surgery (once the wound allows): conventional 30-40 Gy in " ..
                    "fractions" .. (detail.alternative and " or stereotactic radiosurgery (radioresistant " ..
                    "histology)" or "") .. "; surgery without pre-operative radiation had fewer " ..
                    "post-operative complications (p = 0.003; Mika & Mesfin 2018, Fig 2: fixation and laminectomy followed by radiation)." }
        else
            plan = { pathway = "radiation",
                text = "Conventional radiation to lesion " .. tostring(c:lesion_id()) .. ", 30-40 Gy in fractions (Mika & Mesfin " ..
                    "2018)" .. (detail.alternative and "; stereotactic radiosurgery as the NOMS alternative " ..
                    "for radioresistant histology." or ".") }
        end
        return { status = "recommended", detail = detail, plan = plan, text = table.concat(texts, " ") }
    end,
}

local function irradiated_with(c, response)
    return all_of(function() return F.lesion_irradiated(c) end,
                  function() return c:get("history.radiation_response") == response end)
end

rule {
    id = "radiation.after_progression",
    pathways = { "radiation" },
    per_lesion = true,
    implements = { "K38", "K39", "P12" },
    source = "Mika & Mesfin 2018",
    summary = "Recurrence or progression after conventional radiation: stereotactic radiosurgery is an option",
    unknown_text = "Prior radiation and its outcome not given (history.radiation, history.radiation_response)",
    when = function(c) return irradiated_with(c, "progression") and not_emergency(c) end,
    effect = {
        status = "option",
        detail = { modality = "stereotactic" },
        text = function(c)
            local dose = c:opt("history.radiation_dose_gy")
            return string.format("Lesion %s: recurrence or progression after radiation%s: 'Recurrent sacral lesions " ..
                "following conventional radiation therapy can also be addressed with stereotactic " ..
                "radiosurgery' (Mika & Mesfin 2018; Gerszten, 103 sacral cases, effective with few complications). An option. %s",
                tostring(c:lesion_id()), dose and string.format(" (prior dose %s Gy)", tostring(dose)) or "",
                stereotactic_limits())
        end,
    },
}

rule {
    id = "radiation.persistent_pain_percutaneous_offered",
    pathways = { "radiation" },
    per_lesion = true,
    implements = { "K10", "K42", "P12", "P20" },
    source = "Mika & Mesfin 2018; Tian 2022",
    summary = "Persistent pain after radiation, sacroplasty or RFA offered: more radiation not indicated",
    unknown_text = "Prior radiation, its outcome, or the sacroplasty/RFA decision is not known",
    when = function(c)
        local function offered(p)
            return function() local s = c:status(p); return s == "recommended" or s == "option" end
        end
        return all_of(function() return irradiated_with(c, "persistent_pain") end,
                      function() return any_of(offered("sacroplasty"), offered("rfa")) end)
    end,
    effect = {
        status = "not_indicated",
        text = "Persistent pain after radiation, with no recurrence, and sacroplasty/RFA offered at this lesion: " ..
            "they take over (Mika & Mesfin " ..
            "2018: 'unrelenting pain in the setting of previously irradiated sacral metastatic lesions' is " ..
            "the sacroplasty indication; radiation has 'a delayed effect and tissue tolerance' limits, Tian " ..
            "2020, and gives no mechanical support, Tian 2022). Further radiation is not indicated.",
    },
}

rule {
    id = "radiation.persistent_pain_reirradiation",
    pathways = { "radiation" },
    per_lesion = true,
    implements = { "K38", "K39", "P12" },
    source = "Mika & Mesfin 2018",
    summary = "Persistent pain after radiation and no percutaneous option: stereotactic re-irradiation is an option",
    unknown_text = "Prior radiation, its outcome, or the sacroplasty/RFA decision is not known",
    when = function(c)
        local function not_offered(p)
            return function() local s = c:status(p); return s ~= "recommended" and s ~= "option" end
        end
        return all_of(function() return irradiated_with(c, "persistent_pain") end,
                      not_offered("sacroplasty"), not_offered("rfa"), function() return not_emergency(c) end)
    end,
    effect = {
        status = "option",
        detail = { modality = "stereotactic" },
        text = function()
            return "Persistent pain after radiation and neither sacroplasty nor RFA can be offered at this lesion: " ..
                "stereotactic re-irradiation is an option (Mika & Mesfin 2018: conventional radiation and " ..
                "stereotactic radiosurgery are adequate for most sacral metastases). " .. stereotactic_limits()
        end,
    },
}

rule {
    id = "radiation.controlled",
    pathways = { "radiation" },
    per_lesion = true,
    implements = { "K37", "P12" },
    source = "Mika & Mesfin 2018",
    summary = "Pain controlled after radiation: no further radiation indicated",
    when = function(c) return irradiated_with(c, "controlled") end,
    effect = {
        status = "not_indicated",
        text = "This lesion has been irradiated and the pain is controlled: no further radiation is indicated now.",
    },
}

rule {
    id = "radiation.unstable_palliative",
    pathways = { "radiation" },
    per_lesion = true,
    implements = { "K39", "P11", "P12" },
    source = "Mika & Mesfin 2018; Laufer 2013 (NOMS)",
    summary = "Unstable sacrum and stabilisation contraindicated or vetoed: palliative radiation recommended, instability named",
    unknown_text = "Stability of the sacrum or the fixation decision is not known",
    status = "recommended",
    when = function(c)
        return all_of(function() return F.lesion_unstable(c) end,
            function()
                local s = c:status("fixation")
                return s == "contraindicated" or s == "not_indicated"
            end)
    end,
    effect = function(c)
        local s, strength = c:status("fixation")
        -- After prior radiation the re-irradiation rules choose the modality (stereotactic).
        local naive = known(function() return not F.lesion_irradiated(c) end)
        return {
            status = "recommended",
            detail = naive and { modality = "conventional", intent = "palliative" } or { intent = "palliative" },
            text = string.format(
                "Lesion " .. tostring(c:lesion_id()) .. " is unstable, but stabilisation is %s: palliative radiation is recommended, " ..
                "knowing that radiation does not restore stability or relieve mechanical pain (Mika & Mesfin " ..
                "2018; NOMS: when surgery is not tolerated, radiation alone). Instability remains: protect weight bearing.",
                s == "contraindicated" and ("contraindicated (" .. tostring(strength) .. ")")
                    or "not indicated (systemic veto or no surgical indication)"),
        }
    end,
}
