/// A calendar day (proleptic Gregorian), as FHIR writes dates: the evaluation date, a birth date,
/// the day of an Observation. Arithmetic on day numbers: no clock, no time zone database.
public struct FHIRDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Parses `YYYY-MM-DD` (and the date part of a dateTime); nil for partial or invalid dates.
    public init?(_ text: String) {
        let head = text.prefix(10)
        let parts = head.split(separator: "-", omittingEmptySubsequences: false)
        guard head.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              parts[0].count == 4, (1...12).contains(m), d >= 1, d <= FHIRDate.days(inMonth: m, year: y) else { return nil }
        year = y; month = m; day = d
    }

    public init(year: Int, month: Int, day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, width - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func days(inMonth m: Int, year y: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Whole years from `self` (a birth date) to `date`.
    public func years(until date: FHIRDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    /// A birth date that gives `age` whole years at `date` (the day before the birthday came round).
    public static func birthDate(age: Int, at date: FHIRDate) -> FHIRDate {
        var y = date.year - age, m = date.month, d = date.day - 1
        if d == 0 {
            m -= 1
            if m == 0 { m = 12; y -= 1 }
            d = days(inMonth: m, year: y)
        }
        d = min(d, days(inMonth: m, year: y))
        return FHIRDate(year: y, month: m, day: d)
    }

    public static func < (a: FHIRDate, b: FHIRDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

/// A point in time from a FHIR date or dateTime, for ordering: seconds since 1970 (UTC). A date
/// without a time counts as its midnight UTC.
struct FHIRInstant: Comparable {
    var seconds: Int
    var day: FHIRDate

    init?(_ text: String) {
        guard let day = FHIRDate(text) else { return nil }
        self.day = day
        var seconds = day.dayNumber * 86_400
        let rest = text.dropFirst(10)
        if rest.hasPrefix("T") {
            let time = rest.dropFirst()
            let parts = time.prefix(8).split(separator: ":")
            guard parts.count >= 2, let h = Int(parts[0]), let m = Int(parts[1]) else { return nil }
            let s = parts.count > 2 ? Int(parts[2].prefix(2)) ?? 0 : 0
            seconds += h * 3600 + m * 60 + s
            // Zone: Z, or ±hh:mm at the end.
            if let sign = time.lastIndex(where: { $0 == "+" || $0 == "-" }), time.distance(from: time.startIndex, to: sign) >= 5 {
                let zone = time[time.index(after: sign)...].split(separator: ":")
                if zone.count == 2, let zh = Int(zone[0]), let zm = Int(zone[1]) {
                    let offset = zh * 3600 + zm * 60
                    seconds += time[sign] == "+" ? -offset : offset
                }
            }
        } else if !rest.isEmpty {
            return nil
        }
        self.seconds = seconds
    }

    static func < (a: FHIRInstant, b: FHIRInstant) -> Bool { a.seconds < b.seconds }
}
