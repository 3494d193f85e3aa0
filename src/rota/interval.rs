//! Half-open UTC intervals `[start, end)` and the set operations the engine
//! and the checks need — PURE. Sets are kept as sorted, disjoint,
//! non-touching vectors.

use super::civil::Instant;
use chrono::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Interval {
    pub start: Instant,
    pub end: Instant,
}

impl Interval {
    pub fn new(start: Instant, end: Instant) -> Self {
        Interval { start, end }
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    pub fn contains(&self, t: Instant) -> bool {
        self.start <= t && t < self.end
    }
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
    pub fn intersect(&self, other: &Interval) -> Option<Interval> {
        let i = Interval::new(self.start.max(other.start), self.end.min(other.end));
        (!i.is_empty()).then_some(i)
    }
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// Sorts and merges overlapping or touching intervals.
pub fn union(mut v: Vec<Interval>) -> Vec<Interval> {
    v.retain(|i| !i.is_empty());
    v.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(v.len());
    for i in v {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

/// `a ∩ b` for two normalised sets.
pub fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if let Some(x) = a[i].intersect(&b[j]) {
            out.push(x);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `a − b` for two normalised sets.
pub fn subtract(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut j = 0;
    for x in a {
        let mut cur = x.start;
        while j < b.len() && b[j].end <= cur {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].start < x.end {
            if b[k].start > cur {
                out.push(Interval::new(cur, b[k].start));
            }
            cur = cur.max(b[k].end);
            k += 1;
        }
        if cur < x.end {
            out.push(Interval::new(cur, x.end));
        }
    }
    out
}

/// Total length of a normalised set.
pub fn total(v: &[Interval]) -> Duration {
    v.iter().map(Interval::duration).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn h(a: i64, b: i64) -> Interval {
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        Interval::new(t0 + Duration::hours(a), t0 + Duration::hours(b))
    }

    #[test]
    fn union_merges_touching_and_overlapping() {
        assert_eq!(
            union(vec![h(5, 6), h(0, 2), h(2, 3), h(1, 2)]),
            vec![h(0, 3), h(5, 6)]
        );
    }

    #[test]
    fn intersect_and_subtract() {
        let a = vec![h(0, 10), h(20, 30)];
        let b = vec![h(5, 25)];
        assert_eq!(intersect(&a, &b), vec![h(5, 10), h(20, 25)]);
        assert_eq!(subtract(&a, &b), vec![h(0, 5), h(25, 30)]);
        assert_eq!(subtract(&b, &a), vec![h(10, 20)]);
        assert_eq!(total(&a), Duration::hours(20));
    }
}
