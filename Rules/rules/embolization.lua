-- P14: pre-operative embolization (K61, K62, K64). A hypervascular primary (kidney, liver, thyroid,
-- or cancer.hypervascular = true) with open surgery recommended -> embolization recommended before
-- surgery. Embolization for pain alone is not a pathway decision (K61: evidence text).
local F = use("facts")

rule {
    id = "embolization.hypervascular_before_surgery",
    pathways = { "embolization" },
    implements = { "K61", "K62", "K64", "P14" },
    source = "Mika & Mesfin 2018",
    summary = "Hypervascular tumour with open surgery recommended: pre-operative embolization recommended",
    unknown_text = "Whether the tumour is hypervascular (cancer.primary or cancer.hypervascular) or whether " ..
        "open surgery is recommended is not known",
    when = function(c)
        local function rec(p) return function() return c:status(p) == "recommended" end end
        return all_of(function() return F.hypervascular(c) end,
                      function() return any_of(rec("decompression"), rec("fixation")) end)
    end,
    effect = {
        status = "recommended",
        plan = { pathway = "embolization", timing = "before",
            text = "Selective arterial embolization before the open operation, to reduce intraoperative blood " ..
                "loss (Mika & Mesfin 2018); in cauda equina syndrome only if it does not delay the decompression." },
        text = function(c)
            local given = c:opt("cancer.hypervascular")
            return string.format(
                "Open surgery is recommended and the tumour is hypervascular (%s): 'Preoperative embolization " ..
                "is also useful when treating vascular lesions (renal cell, hepatocellular, thyroid cancers) " ..
                "and can decrease intraoperative blood loss' (Mika & Mesfin 2018).",
                given ~= nil and "as stated in the case" or F.primary_label(c))
        end,
    },
}
