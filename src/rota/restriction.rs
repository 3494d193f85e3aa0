//! Restrictions: weekly windows of local time in which a layer is active —
//! PURE. A window opens on each listed weekday at `from` and closes at `to`
//! the same day, or the next day when `to <= from` (an overnight window;
//! `from == to` is a whole day). Both ends are local times in the rota's zone,
//! resolved by the DST rule in `civil`.

use super::civil::{self, Instant, TimeOfDay};
use super::interval::{self, Interval};
use crate::tz::Zone;
use chrono::{Datelike, Duration, NaiveDate, Timelike, Weekday};

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
    pub fn window_on(&self, zone: &Zone, date: NaiveDate) -> Option<Interval> {
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
pub fn windows_between(
    zone: &Zone,
    rs: &[Restriction],
    from: Instant,
    to: Instant,
) -> Vec<Interval> {
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
pub fn active_at(zone: &Zone, rs: &[Restriction], t: Instant) -> bool {
    let local = civil::local(zone, t);
    let today = local.date();
    let secs = i64::from(local.time().num_seconds_from_midnight());
    let mut steady = None;
    // A window holding t opened today, yesterday, or (across a DST night with
    // a window of a full day) the day before.
    (0..3).any(|back| {
        let date = today - Duration::days(back);
        rs.iter()
            .any(|r| r.holds(zone.clone(), date, back * 86_400 + secs, t, &mut steady))
    })
}

impl Restriction {
    /// Whether the window opening on `date` holds `t`, whose local time is
    /// `local` seconds after that date's midnight. The wall-clock comparison
    /// decides unless `t` is within `EDGE` (more than any DST shift) of an
    /// edge while the zone changes offset nearby; only then are the edges
    /// resolved to instants. This keeps `on_call_at` to a few zone lookups.
    fn holds(
        &self,
        zone: Zone,
        date: NaiveDate,
        local: i64,
        t: Instant,
        steady: &mut Option<bool>,
    ) -> bool {
        const EDGE: i64 = 3 * 3600;
        if !self.days[date.weekday().num_days_from_monday() as usize] {
            return false;
        }
        let open = self.from.since_midnight().num_seconds();
        let to = self.to.since_midnight().num_seconds();
        let close = if self.to > self.from { to } else { to + 86_400 };
        let inside = open <= local && local < close;
        let clear = (local - open).abs() >= EDGE && (local - close).abs() >= EDGE;
        if clear || *steady.get_or_insert_with(|| civil::steady_around(&zone, t)) {
            return inside;
        }
        self.window_on(&zone, date).is_some_and(|w| w.contains(t))
    }
}
