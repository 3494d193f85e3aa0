//! The fairness report: per person, on-call hours in total, at night, on
//! weekends and on holidays over a window — PURE. Night, weekend and holiday
//! are read in the person's own zone (the team's when they have none), since
//! that is where the sleep and the weekend are lost.

use super::checks::merged_by_person;
use super::civil::{self, TimeOfDay};
use super::interval::{self, Interval};
use super::restriction::{self, Restriction};
use super::shifts;
use super::{Instant, Rota};
use chrono::{Duration, NaiveDate, Weekday};

#[derive(Debug, Clone, PartialEq)]
pub struct FairnessConfig {
    pub night_from: TimeOfDay,
    pub night_to: TimeOfDay,
    pub holidays: Vec<NaiveDate>,
}

impl Default for FairnessConfig {
    fn default() -> Self {
        FairnessConfig {
            night_from: TimeOfDay::hm(22, 0),
            night_to: TimeOfDay::hm(7, 0),
            holidays: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FairnessRow {
    pub person: String,
    pub shifts: usize,
    pub total_hours: f64,
    pub night_hours: f64,
    pub weekend_hours: f64,
    pub holiday_hours: f64,
}

pub fn fairness_between(rota: &Rota, from: Instant, to: Instant) -> Vec<FairnessRow> {
    let shifts = shifts::clipped_between(rota, from, to);
    let merged = merged_by_person(&shifts);
    let cfg = &rota.fairness;
    rota.people
        .iter()
        .enumerate()
        .map(|(p, person)| {
            let zone = person.zone.as_ref().unwrap_or(&rota.zone);
            let on = merged.get(&p).cloned().unwrap_or_default();
            let within = |rs: &[Restriction]| {
                hours(&interval::intersect(
                    &on,
                    &restriction::windows_between(zone, rs, from, to),
                ))
            };
            let night = Restriction::every_day(cfg.night_from, cfg.night_to);
            let weekend = Restriction::on(
                &[Weekday::Sat, Weekday::Sun],
                TimeOfDay::MIDNIGHT,
                TimeOfDay::MIDNIGHT,
            );
            let holidays = interval::union(
                cfg.holidays
                    .iter()
                    .map(|d| {
                        Interval::new(
                            civil::start_of_day(zone, *d),
                            civil::start_of_day(zone, *d + Duration::days(1)),
                        )
                    })
                    .collect(),
            );
            FairnessRow {
                person: person.id.clone(),
                shifts: shifts.iter().filter(|s| s.person == p).count(),
                total_hours: hours(&on),
                night_hours: within(&[night]),
                weekend_hours: within(&[weekend]),
                holiday_hours: hours(&interval::intersect(&on, &holidays)),
            }
        })
        .collect()
}

fn hours(v: &[Interval]) -> f64 {
    let h = interval::total(v).num_seconds() as f64 / 3600.0;
    (h * 100.0).round() / 100.0
}

/// How an edit moves on-call hours between people over `[from, to)`
/// (PURE): per person whose hours change, the change in total, night,
/// weekend and holiday hours (after minus before), in `after`'s order of
/// people, then people only `before` had.
pub fn shift_between(before: &Rota, after: &Rota, from: Instant, to: Instant) -> Vec<FairnessRow> {
    let old = fairness_between(before, from, to);
    let new = fairness_between(after, from, to);
    let zero = |person: &str| FairnessRow {
        person: person.to_string(),
        shifts: 0,
        total_hours: 0.0,
        night_hours: 0.0,
        weekend_hours: 0.0,
        holiday_hours: 0.0,
    };
    let mut people: Vec<&str> = new.iter().map(|r| r.person.as_str()).collect();
    people.extend(
        old.iter()
            .map(|r| r.person.as_str())
            .filter(|p| !new.iter().any(|r| r.person == *p)),
    );
    people
        .into_iter()
        .filter_map(|p| {
            let a = old
                .iter()
                .find(|r| r.person == p)
                .cloned()
                .unwrap_or_else(|| zero(p));
            let b = new
                .iter()
                .find(|r| r.person == p)
                .cloned()
                .unwrap_or_else(|| zero(p));
            let d = FairnessRow {
                person: p.to_string(),
                shifts: b.shifts,
                total_hours: b.total_hours - a.total_hours,
                night_hours: b.night_hours - a.night_hours,
                weekend_hours: b.weekend_hours - a.weekend_hours,
                holiday_hours: b.holiday_hours - a.holiday_hours,
            };
            let moved = [
                d.total_hours,
                d.night_hours,
                d.weekend_hours,
                d.holiday_hours,
            ]
            .iter()
            .any(|h| h.abs() >= 0.01);
            moved.then_some(d)
        })
        .collect()
}
