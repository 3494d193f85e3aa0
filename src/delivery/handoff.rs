//! Which handoff notices a rota's coming shifts call for (PURE): a reminder
//! at each lead time before a shift starts, "you are on call now" at its
//! start, and "handed to NAME" to the person whose shift ends there. Shifts
//! of one person that follow each other on a layer count as one. Each
//! notice's id is derived from what it announces, so planning the same
//! shifts again (on another instance, after a restart) gives the same ids.

/// One shift as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftRef {
    pub layer: String,
    pub person: String,
    pub name: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub id: String,
    pub layer: String,
    pub person: String,
    /// `remind-MINUTES`, `start`, `ending` or `end`.
    pub kind: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The name of the person taking over (`end`) or handing over (`start`).
    pub other: Option<String>,
    pub due_ms: i64,
}

/// Notices due after `now_ms - grace_ms` for shifts starting before
/// `now_ms + max(leads) + horizon_ms`, where `leads_of(person)` gives the
/// person's reminder lead times. `shifts` may come in any order.
pub fn plan(
    rota_key: &str,
    shifts: &[ShiftRef],
    leads_of: &dyn Fn(&str) -> Vec<i64>,
    now_ms: i64,
    grace_ms: i64,
    horizon_ms: i64,
) -> Vec<Planned> {
    let mut sorted: Vec<ShiftRef> = shifts.to_vec();
    sorted.sort_by(|a, b| (&a.layer, a.start_ms).cmp(&(&b.layer, b.start_ms)));
    // One person's back-to-back pieces on a layer are one shift.
    let mut merged: Vec<ShiftRef> = Vec::new();
    for s in sorted {
        match merged.last_mut() {
            Some(m) if m.layer == s.layer && m.person == s.person && m.end_ms >= s.start_ms => {
                m.end_ms = m.end_ms.max(s.end_ms);
            }
            _ => merged.push(s),
        }
    }
    let fresh = |due: i64| due > now_ms - grace_ms;
    let mut out = Vec::new();
    for (i, s) in merged.iter().enumerate() {
        let leads_ms = leads_of(&s.person);
        if s.start_ms > now_ms + leads_ms.iter().copied().max().unwrap_or(0) + horizon_ms {
            continue;
        }
        let before = i
            .checked_sub(1)
            .map(|j| &merged[j])
            .filter(|p| p.layer == s.layer && p.end_ms == s.start_ms && p.person != s.person);
        let mut push = |person: &str, kind: String, other: Option<String>, due_ms: i64| {
            if fresh(due_ms) {
                let id = crate::ids::hash(&format!(
                    "{rota_key}/{}/{}/{person}/{kind}",
                    s.layer, s.start_ms
                ));
                out.push(Planned {
                    id,
                    layer: s.layer.clone(),
                    person: person.to_string(),
                    kind,
                    start_ms: s.start_ms,
                    end_ms: s.end_ms,
                    other,
                    due_ms,
                });
            }
        };
        for lead in &leads_ms {
            push(
                &s.person,
                format!("remind-{}", lead / 60_000),
                None,
                s.start_ms - lead,
            );
        }
        let from = before.map(|p| p.name.clone());
        push(&s.person, "start".into(), from, s.start_ms);
        if let Some(p) = before {
            // The outgoing person hears, at their own shortest lead time,
            // who takes over (and may answer with notes for them).
            if let Some(lead) = leads_of(&p.person).into_iter().min() {
                let due = s.start_ms - lead;
                push(&p.person, "ending".into(), Some(s.name.clone()), due);
            }
            push(&p.person, "end".into(), Some(s.name.clone()), s.start_ms);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn leads(l: &'static [i64]) -> impl Fn(&str) -> Vec<i64> {
        move |_| l.to_vec()
    }

    fn shift(layer: &str, person: &str, start: i64, end: i64) -> ShiftRef {
        ShiftRef {
            layer: layer.into(),
            person: person.into(),
            name: person.to_uppercase(),
            start_ms: start,
            end_ms: end,
        }
    }

    #[test]
    fn reminders_start_and_end_for_a_handoff() {
        let shifts = [
            shift("primary", "ann", 0, 100 * H),
            shift("primary", "bob", 100 * H, 200 * H),
        ];
        let now = 75 * H + H / 2;
        // Too early: bob's shift starts more than 24 h + 1 h from now.
        assert!(plan("t/r", &shifts, &leads(&[24 * H, H]), 70 * H, 10 * 60_000, H).is_empty());
        let p = plan("t/r", &shifts, &leads(&[24 * H, H]), now, 10 * 60_000, H);
        let got: Vec<(&str, &str, i64)> = p
            .iter()
            .map(|n| (n.person.as_str(), n.kind.as_str(), n.due_ms))
            .collect();
        assert_eq!(
            got,
            vec![
                ("bob", "remind-1440", 76 * H),
                ("bob", "remind-60", 99 * H),
                ("bob", "start", 100 * H),
                ("ann", "ending", 99 * H),
                ("ann", "end", 100 * H),
            ]
        );
        assert_eq!(p[2].other.as_deref(), Some("ANN"));
        assert_eq!(p[3].other.as_deref(), Some("BOB"));
        assert_eq!(p[4].other.as_deref(), Some("BOB"));
        // The same plan again gives the same ids; stale notices are left out.
        assert_eq!(
            plan("t/r", &shifts, &leads(&[24 * H, H]), now, 10 * 60_000, H),
            p
        );
        let later = plan(
            "t/r",
            &shifts,
            &leads(&[24 * H, H]),
            99 * H + 30 * 60_000,
            10 * 60_000,
            H,
        );
        assert_eq!(
            later.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(),
            ["start", "end"]
        );
    }

    #[test]
    fn each_person_has_their_own_reminders() {
        let shifts = [
            shift("primary", "ann", 0, 10 * H),
            shift("primary", "bob", 10 * H, 20 * H),
            shift("primary", "cat", 20 * H, 30 * H),
        ];
        let own = |p: &str| match p {
            "bob" => vec![2 * H, H / 4],
            "cat" => vec![],
            _ => vec![H],
        };
        let p = plan("t/r", &shifts, &own, 5 * H, 0, 100 * H);
        let got: Vec<(&str, &str, i64)> = p
            .iter()
            .map(|n| (n.person.as_str(), n.kind.as_str(), n.due_ms))
            .collect();
        assert_eq!(
            got,
            [
                ("bob", "remind-120", 8 * H),
                ("bob", "remind-15", 10 * H - H / 4),
                ("bob", "start", 10 * H),
                ("ann", "ending", 9 * H),
                ("ann", "end", 10 * H),
                ("cat", "start", 20 * H),
                ("bob", "ending", 20 * H - H / 4),
                ("bob", "end", 20 * H),
            ]
        );
    }

    #[test]
    fn back_to_back_pieces_of_one_person_are_one_shift() {
        let shifts = [
            shift("biz", "cat", 0, 10 * H),
            shift("biz", "cat", 10 * H, 20 * H),
            shift("biz", "dan", 20 * H, 30 * H),
        ];
        let p = plan("t/r", &shifts, &leads(&[H]), 5 * H, 0, 100 * H);
        let kinds: Vec<(&str, &str)> = p
            .iter()
            .map(|n| (n.person.as_str(), n.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("dan", "remind-60"),
                ("dan", "start"),
                ("cat", "ending"),
                ("cat", "end")
            ]
        );
    }
}
