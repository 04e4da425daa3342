-- The peer benchmark asks only whether P1-P4 exclude sacroplasty, so the indication of P5 is
-- replaced by this: every lesion is eligible unless a P1-P4 rule says otherwise. The precedence
-- then gives: contraindicated (absolute / relative), not_indicated (life expectancy), undetermined
-- (an exclusion that cannot be ruled out), option (outside the Tian 2022 size criterion), or
-- recommended (eligible).
rule {
    id = "peers.eligible_unless_excluded",
    pathways = { "sacroplasty" },
    implements = { "P1", "P2", "P3", "P4" },
    source = "knowledge-base",
    summary = "Eligible for sacroplasty unless an exclusion (P1, P2) or the life-expectancy criterion (P4) applies",
    effect = {
        status = "recommended",
        text = "No P1-P4 criterion excludes sacroplasty here (reduced rule set of the peer benchmark).",
    },
}
