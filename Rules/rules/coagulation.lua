-- P2 / K13: coagulation before sacroplasty and RFA.
local t = use("thresholds")

local function deranged(c)
    return any_of(
        function() return c:get("labs.inr") > t.inr_max end,
        function() return c:get("labs.platelets") < t.platelets_min end)
end

rule {
    id = "sacroplasty.coagulopathy",
    pathways = { "sacroplasty", "rfa" },
    implements = { "K13", "P2", "P15" },
    source = "Tian 2022; Kortman 2013",
    summary = "INR > 1.50 or platelets < 90 x10^9/L excludes sacroplasty and RFA unless corrected",
    when = deranged,
    effect = function(c)
        local correctable = c:opt("labs.coagulopathy_correctable")
        local e = { status = "contraindicated", strength = correctable == false and "absolute" or "relative" }
        e.text = string.format("Coagulopathy (INR %s, platelets %s): Tian 2022 excludes an uncorrectable INR > %.2f or platelets < %d x10^9/L.",
            tostring(c:opt("labs.inr")), tostring(c:opt("labs.platelets")), t.inr_max, t.platelets_min)
        return e
    end,
}
