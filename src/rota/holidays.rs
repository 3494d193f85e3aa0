//! Holiday dates from an ICS calendar (RFC 5545) — PURE. Uses the `ical`
//! crate's parser, which hands back raw property strings; a holiday is a
//! VEVENT whose DTSTART (and optional DTEND, exclusive) give whole dates.

use chrono::{Duration, NaiveDate};

pub fn dates_from_ics(text: &str) -> Result<Vec<NaiveDate>, String> {
    let mut out = Vec::new();
    for cal in ical::IcalParser::new(text.as_bytes()) {
        let cal = cal.map_err(|e| e.to_string())?;
        for ev in cal.events {
            let prop = |name: &str| {
                ev.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
            };
            let Some(start) = prop("DTSTART") else {
                return Err("a VEVENT has no DTSTART".into());
            };
            let start = date(&start)?;
            let end = match prop("DTEND") {
                Some(e) => date(&e)?.max(start + Duration::days(1)),
                None => start + Duration::days(1),
            };
            out.extend(start.iter_days().take_while(|d| *d < end));
        }
    }
    Ok(out)
}

fn date(v: &str) -> Result<NaiveDate, String> {
    v.get(..8)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .ok_or_else(|| format!("\"{v}\" is not an ICS date"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_single_and_multi_day_events() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270102\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let d = super::dates_from_ics(ics).expect("valid ics");
        let s: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(s, ["2026-12-25", "2026-12-31", "2027-01-01"]);
    }
}
