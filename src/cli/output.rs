//! Rendering CLI results as tables (for people), JSON (a stable contract for
//! scripts) and ICS.

use super::Format;
use crate::rota::checks::Violation;
use crate::rota::fairness::FairnessRow;
use crate::rota::shifts::{self, Shift};
use crate::rota::{Instant, Rota};
use serde_json::{Value, json};
use std::io::{self, Write};

pub struct CheckReport {
    pub file: String,
    pub from: Instant,
    pub to: Instant,
    pub violations: Vec<Violation>,
}

use crate::rota::civil::utc_text as utc;

fn local(rota: &Rota, t: Instant) -> String {
    t.with_timezone(&rota.zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

fn shift_json(rota: &Rota, s: &Shift) -> Value {
    json!({
        "layer": rota.layers[s.layer].name,
        "person": rota.people[s.person].id,
        "start": utc(s.start),
        "end": utc(s.end),
        "source": s.source.as_str(),
    })
}

fn json_out(out: &mut dyn Write, v: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(io::Error::other)?;
    writeln!(out)
}

/// Prints rows as left-aligned columns.
fn table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    )?;
    for r in rows {
        writeln!(out, "{}", line(r.clone()))?;
    }
    Ok(())
}

pub fn preview(
    out: &mut dyn Write,
    rota: &Rota,
    shifts: &[Shift],
    format: Format,
    now: Instant,
) -> io::Result<()> {
    match format {
        Format::Json => json_out(
            out,
            &json!({ "shifts": shifts.iter().map(|s| shift_json(rota, s)).collect::<Vec<_>>() }),
        ),
        Format::Ics => write!(
            out,
            "{}",
            crate::ics::render(rota, shifts, &format!("{} on call", rota.name), now)
        ),
        Format::Table => {
            let rows: Vec<Vec<String>> = shifts
                .iter()
                .map(|s| {
                    vec![
                        rota.layers[s.layer].name.clone(),
                        rota.people[s.person].id.clone(),
                        local(rota, s.start),
                        local(rota, s.end),
                        format!("{:.1}", (s.end - s.start).num_minutes() as f64 / 60.0),
                        s.source.as_str().to_string(),
                    ]
                })
                .collect();
            writeln!(out, "{} ({})", rota.name, rota.zone)?;
            table(
                out,
                &["LAYER", "PERSON", "START", "END", "HOURS", "SOURCE"],
                &rows,
            )
        }
    }
}

pub fn who(out: &mut dyn Write, rota: &Rota, at: Instant, format: Format) -> io::Result<()> {
    let who = shifts::who_at(rota, at);
    if format != Format::Table {
        return json_out(out, &serde_json::to_value(&who).map_err(io::Error::other)?);
    }
    writeln!(out, "{} at {} ({})", rota.name, local(rota, at), utc(at))?;
    let rows: Vec<Vec<String>> = who
        .layers
        .iter()
        .flat_map(|l| {
            if l.on_call.is_empty() {
                return vec![vec![
                    l.layer.clone(),
                    "(nobody)".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]];
            }
            l.on_call
                .iter()
                .map(|p| {
                    vec![
                        l.layer.clone(),
                        p.person.clone(),
                        p.since.map(|t| local(rota, t)).unwrap_or_default(),
                        p.until.map(|t| local(rota, t)).unwrap_or_default(),
                        p.source.to_string(),
                    ]
                })
                .collect()
        })
        .collect();
    table(out, &["LAYER", "PERSON", "SINCE", "UNTIL", "SOURCE"], &rows)?;
    if who.roles.len() < rota.layers.len() {
        writeln!(out)?;
        for r in &who.roles {
            let names: Vec<String> = r
                .on_call
                .iter()
                .map(|m| format!("{} (via {})", m.person, m.layer))
                .collect();
            writeln!(
                out,
                "role {}: {}",
                r.role,
                if names.is_empty() {
                    "(nobody)".into()
                } else {
                    names.join(", ")
                }
            )?;
        }
    }
    Ok(())
}

/// Violations go to `out`; files that could not be read or are invalid go
/// to `err` (and, as JSON, into `errors` of the document on `out`).
pub fn check(
    out: &mut dyn Write,
    err: &mut dyn Write,
    reports: &[CheckReport],
    unreadable: &[String],
    format: Format,
) -> io::Result<()> {
    for e in unreadable {
        writeln!(err, "{e}")?;
    }
    if format != Format::Table {
        let files: Vec<Value> = reports
            .iter()
            .map(|r| {
                let v: Vec<Value> = r
                    .violations
                    .iter()
                    .map(|v| {
                        json!({
                            "rule": v.rule.as_str(), "layer": v.layer, "person": v.person,
                            "start": utc(v.interval.start), "end": utc(v.interval.end), "message": v.message,
                        })
                    })
                    .collect();
                json!({ "file": r.file, "from": utc(r.from), "to": utc(r.to), "violations": v })
            })
            .collect();
        return json_out(out, &json!({ "files": files, "errors": unreadable }));
    }
    for r in reports {
        if r.violations.is_empty() {
            writeln!(out, "{}: ok ({} to {})", r.file, utc(r.from), utc(r.to))?;
            continue;
        }
        writeln!(
            out,
            "{}: {} violation(s) ({} to {})",
            r.file,
            r.violations.len(),
            utc(r.from),
            utc(r.to)
        )?;
        let rows: Vec<Vec<String>> = r
            .violations
            .iter()
            .map(|v| {
                vec![
                    v.rule.as_str().to_string(),
                    v.person
                        .clone()
                        .or_else(|| v.layer.clone())
                        .unwrap_or_default(),
                    format!("{} – {}", utc(v.interval.start), utc(v.interval.end)),
                    v.message.clone(),
                ]
            })
            .collect();
        table(out, &["RULE", "WHO", "INTERVAL", "WHAT"], &rows)?;
    }
    Ok(())
}

pub fn fairness(out: &mut dyn Write, rows: &[FairnessRow], format: Format) -> io::Result<()> {
    if format != Format::Table {
        return json_out(out, &json!({ "people": rows }));
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.person.clone(),
                r.shifts.to_string(),
                format!("{:.1}", r.total_hours),
                format!("{:.1}", r.night_hours),
                format!("{:.1}", r.weekend_hours),
                format!("{:.1}", r.holiday_hours),
            ]
        })
        .collect();
    table(
        out,
        &["PERSON", "SHIFTS", "HOURS", "NIGHT", "WEEKEND", "HOLIDAY"],
        &cells,
    )
}
