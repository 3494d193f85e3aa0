//! Deferred alert writes: the rows a batch of new alerts writes (alerts,
//! their timeline entries, their outbox rows), kept in memory and written
//! as multi-row INSERTs.
//!
//! Why: sqlx runs each SQLite connection on a thread of its own and hands
//! every statement to it over a channel, so a statement costs two thread
//! switches however little SQLite does (and on PostgreSQL a network round
//! trip). A new paging alert wrote five statements; a batch of 256 now
//! writes three or so in all. The rows stay invisible to nothing: any
//! statement of the transaction that names the alert tables (`alert…`,
//! `outbox`) writes the pending rows first, and so does the commit, so
//! reads inside the transaction see what it wrote, in the order written.
//! An alert updated while its insert is pending is updated in memory.
//!
//! Only a transaction that asks for it defers (`Tx::defer_writes`); every
//! other transaction writes each statement at once, as before.

use super::{ALERT_COLS, AlertRow, OUTBOX_COLS, OutboxRow, alert_values, outbox_values};
use crate::store::rows::{PersonRow, TeamRow};
use sea_orm::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Bound parameters per statement: SQLite allows 32,766 and PostgreSQL
/// 65,535; rows are chunked to stay below both.
const MAX_PARAMS: usize = 30_000;

#[derive(Default)]
pub(crate) struct Deferred {
    pending: Mutex<Option<Pending>>,
}

#[derive(Default)]
struct Pending {
    alerts: Vec<AlertRow>,
    logs: Vec<[Value; 5]>,
    outbox: Vec<OutboxRow>,
    memo: Memo,
}

/// Teams and people read by a transaction that defers its writes (it
/// writes neither). The opener hands it from batch to batch while the
/// change counter stays put (every team or person write moves it).
#[derive(Default)]
pub struct Memo {
    teams: HashMap<String, Option<TeamRow>>,
    people: HashMap<String, Option<(PersonRow, Option<String>)>>,
}

impl Memo {
    /// Bounded: a directory larger than this is read again, not kept.
    const MAX: usize = 20_000;

    fn full(&self) -> bool {
        self.teams.len() + self.people.len() >= Self::MAX
    }
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.logs.is_empty() && self.outbox.is_empty()
    }
}

/// One multi-row statement: SQL and its values.
pub(crate) type Insert = (String, Vec<Value>);

impl Deferred {
    pub(crate) fn start(&self, memo: Memo) {
        if let Ok(mut p) = self.pending.lock() {
            p.get_or_insert_with(Pending::default).memo = memo;
        }
    }

    pub(crate) fn take_memo(&self) -> Memo {
        self.with(|p| std::mem::take(&mut p.memo))
            .unwrap_or_default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Pending) -> T) -> Option<T> {
        self.pending.lock().ok()?.as_mut().map(f)
    }

    /// Keeps the row if writes are deferred; false if they are not.
    pub(crate) fn alert(&self, a: &AlertRow) -> bool {
        self.with(|p| p.alerts.push(a.clone())).is_some()
    }

    /// Updates the pending insert of this alert, if there is one.
    pub(crate) fn update_alert(&self, a: &AlertRow) -> bool {
        self.with(|p| match p.alerts.iter_mut().rev().find(|x| x.id == a.id) {
            Some(x) => {
                *x = a.clone();
                true
            }
            None => false,
        })
        .unwrap_or(false)
    }

    pub(crate) fn log(&self, values: [Value; 5]) -> bool {
        self.with(|p| p.logs.push(values)).is_some()
    }

    pub(crate) fn outbox(&self, o: &OutboxRow) -> bool {
        self.with(|p| p.outbox.push(o.clone())).is_some()
    }

    pub(crate) fn team(&self, slug: &str) -> Option<Option<TeamRow>> {
        self.with(|p| p.memo.teams.get(slug).cloned()).flatten()
    }

    pub(crate) fn remember_team(&self, slug: &str, t: &Option<TeamRow>) {
        self.with(|p| {
            if !p.memo.full() {
                p.memo.teams.insert(slug.to_string(), t.clone());
            }
        });
    }

    pub(crate) fn person(&self, handle: &str) -> Option<Option<(PersonRow, Option<String>)>> {
        self.with(|p| p.memo.people.get(handle).cloned()).flatten()
    }

    pub(crate) fn remember_person(&self, handle: &str, v: &Option<(PersonRow, Option<String>)>) {
        self.with(|p| {
            if !p.memo.full() {
                p.memo.people.insert(handle.to_string(), v.clone());
            }
        });
    }

    /// The pending rows as statements (emptying the buffer), if `sql` may
    /// read or write them; nothing when it names no alert table.
    pub(crate) fn before(&self, sql: &str) -> Vec<Insert> {
        if !(sql.contains("alert") || sql.contains("outbox")) {
            return Vec::new();
        }
        self.take()
    }

    /// Every pending row as statements, emptying the buffer.
    pub(crate) fn take(&self) -> Vec<Insert> {
        let Some(p) = self
            .with(|p| {
                if p.is_empty() {
                    return None;
                }
                let memo = std::mem::take(&mut p.memo);
                Some(std::mem::replace(
                    p,
                    Pending {
                        memo,
                        ..Pending::default()
                    },
                ))
            })
            .flatten()
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // Alerts first: the entries and outbox rows refer to them.
        rows(
            &mut out,
            &format!("INSERT INTO alerts ({ALERT_COLS}, open_key) VALUES "),
            20,
            p.alerts.iter().map(alert_values),
        );
        rows(
            &mut out,
            "INSERT INTO alert_log (alert, at_ms, kind, actor, detail) VALUES ",
            5,
            p.logs.into_iter().map(Vec::from),
        );
        rows(
            &mut out,
            &format!("INSERT INTO outbox ({OUTBOX_COLS}) VALUES "),
            16,
            p.outbox.iter().map(outbox_values),
        );
        out
    }
}

/// Multi-row INSERTs of `width` values a row, chunked below `MAX_PARAMS`.
fn rows(out: &mut Vec<Insert>, head: &str, width: usize, rows: impl Iterator<Item = Vec<Value>>) {
    let per = MAX_PARAMS / width;
    let one = format!("({})", super::marks(width));
    let mut values = Vec::new();
    let mut n = 0;
    let mut flush = |values: &mut Vec<Value>, n: &mut usize| {
        if *n > 0 {
            let sql = format!("{head}{}", vec![one.as_str(); *n].join(", "));
            out.push((sql, std::mem::take(values)));
            *n = 0;
        }
    };
    for r in rows {
        values.extend(r);
        n += 1;
        if n == per {
            flush(&mut values, &mut n);
        }
    }
    flush(&mut values, &mut n);
}

impl crate::store::Tx {
    /// From here on, this transaction keeps its alert, timeline and outbox
    /// inserts and writes them together (before any statement that reads
    /// or writes those tables, and at commit).
    /// `memo`: teams and people an earlier such transaction read, still
    /// valid (the caller checks the change counter).
    pub fn defer_writes(&self, memo: Memo) {
        self.deferred.start(memo);
    }

    /// What this transaction read of teams and people, for the next one.
    pub fn take_memo(&self) -> Memo {
        self.deferred.take_memo()
    }

    pub(crate) async fn write_deferred(&self, inserts: Vec<Insert>) -> crate::store::Result<()> {
        for (sql, values) in inserts {
            self.exec_now(&sql, values).await?;
        }
        Ok(())
    }

    /// The team, read once per transaction that defers its writes (a batch
    /// of new alerts pages many people of few teams).
    pub async fn team_once(&self, slug: &str) -> crate::store::Result<Option<TeamRow>> {
        use crate::store::Reads as _;
        if let Some(t) = self.deferred.team(slug) {
            return Ok(t);
        }
        let t = self.load_team(slug).await?;
        self.deferred.remember_team(slug, &t);
        Ok(t)
    }
}

impl crate::store::Tx {
    /// The person and their stored rules, read once per transaction that
    /// defers its writes (and kept in its memo).
    pub async fn person_once(
        &self,
        handle: &str,
    ) -> crate::store::Result<Option<(PersonRow, Option<String>)>> {
        use super::AlertReads as _;
        if let Some(p) = self.deferred.person(handle) {
            return Ok(p);
        }
        let p = self.load_person_with_rules(handle).await?;
        self.deferred.remember_person(handle, &p);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows are chunked below the parameter limit, every row once, in order.
    #[test]
    fn rows_are_chunked_below_the_parameter_limit() {
        let mut out = Vec::new();
        let n = 2 * (MAX_PARAMS / 20) + 1;
        rows(
            &mut out,
            "INSERT INTO t (a) VALUES ",
            20,
            (0..n).map(|i| vec![Value::from(i as i64); 20]),
        );
        let per: Vec<usize> = out.iter().map(|(_, v)| v.len() / 20).collect();
        assert_eq!(per, [MAX_PARAMS / 20, MAX_PARAMS / 20, 1]);
        for (sql, v) in &out {
            assert!(v.len() <= MAX_PARAMS);
            assert_eq!(sql.matches('?').count(), v.len(), "{sql}");
        }
        let firsts: Vec<Value> = out
            .iter()
            .flat_map(|(_, v)| v.iter().step_by(20).cloned())
            .collect();
        assert_eq!(
            firsts,
            (0..n).map(|i| Value::from(i as i64)).collect::<Vec<_>>()
        );
        let mut none = Vec::new();
        rows(&mut none, "X", 5, std::iter::empty());
        assert!(none.is_empty(), "no rows, no statement");
    }
}
