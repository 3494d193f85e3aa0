//! Restrictions: weekly windows of local time in which a layer is active —
//! PURE. A window opens on each listed weekday at `from` and closes at `to`
//! the same day, or the next day when `to <= from` (an overnight window;
//! `from == to` is a whole day). Both ends are local times in the rota's zone,
//! resolved by the DST rule in `civil`.

use super::civil::{self, Instant, TimeOfDay};
use super::interval::{self, Interval};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub struct Restriction {
    /// Indexed by `Weekday::num_days_from_monday`.
    pub days: [bool; 7],
    pub from: TimeOfDay,
    pub to: TimeOfDay,
}

impl Restriction {
    pub fn every_day(from: TimeOfDay, to: TimeOfDay) -> Self {
        Restriction {
            days: [true; 7],
            from,
            to,
        }
    }

    pub fn on(days: &[Weekday], from: TimeOfDay, to: TimeOfDay) -> Self {
        let mut set = [false; 7];
        for d in days {
            set[d.num_days_from_monday() as usize] = true;
        }
        Restriction {
            days: set,
            from,
            to,
        }
    }

    /// The window opening on local `date`, if this restriction opens that day.
    pub fn window_on(&self, zone: Tz, date: NaiveDate) -> Option<Interval> {
        if !self.days[date.weekday().num_days_from_monday() as usize] {
            return None;
        }
        let start = civil::resolve(zone, self.from.on(date));
        let end_date = if self.to > self.from {
            date
        } else {
            date + Duration::days(1)
        };
        let end = civil::resolve(zone, self.to.on(end_date));
        Some(Interval::new(start, end)).filter(|w| !w.is_empty())
    }
}

/// The union of all windows of `rs` overlapping `[from, to)`.
pub fn windows_between(zone: Tz, rs: &[Restriction], from: Instant, to: Instant) -> Vec<Interval> {
    let first = civil::local(zone, from).date() - Duration::days(2);
    let last = civil::local(zone, to).date() + Duration::days(1);
    let mut v = Vec::new();
    for date in first.iter_days().take_while(|d| *d <= last) {
        v.extend(rs.iter().filter_map(|r| r.window_on(zone, date)));
    }
    v.retain(|w| w.end > from && w.start < to);
    interval::union(v)
}

/// Whether any window of `rs` holds `t`.
pub fn active_at(zone: Tz, rs: &[Restriction], t: Instant) -> bool {
    let today = civil::local(zone, t).date();
    // A window holding t opened today, yesterday, or (across a DST night with
    // a window of a full day) the day before.
    (0..3).any(|back| {
        let date = today - Duration::days(back);
        rs.iter()
            .any(|r| r.window_on(zone, date).is_some_and(|w| w.contains(t)))
    })
}
