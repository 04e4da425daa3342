/// The two CDS services this server offers (CDS Hooks 2.0 discovery lists each under its hooks).
enum CDSServices {
    /// `patient-view`: the pathway summary when a chart opens.
    static let pathways = "sacral-pathways"
    /// `order-select` and `order-sign`: a draft order for a pathway checked against the decision.
    static let orderCheck = "sacral-order-check"

    static let ids: Set<String> = [pathways, orderCheck]

    /// The hooks each service answers.
    static let hooks: [String: [String]] = [
        pathways: ["patient-view"],
        orderCheck: ["order-select", "order-sign"],
    ]
}
