//! The keys a rota file may use, table by table (PURE). serde stops at the
//! first unknown field; this walk finds every one, with its line, before
//! serde reads the file, so a file with several mistakes is fixed in one
//! round. README.md ("The rota file format") lists the same fields.

use super::Cx;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// What a key holds.
enum Kind {
    /// A value checked by serde and the loader.
    Value,
    /// A table with these keys.
    Table(&'static [(&'static str, Kind)]),
    /// An array of such tables.
    Tables(&'static [(&'static str, Kind)]),
    /// Anything (checked elsewhere: services, notification rules).
    Free,
}

use Kind::{Free, Table, Tables, Value};

const SIDE: &[(&str, Kind)] = &[("person", Value), ("start", Value), ("end", Value)];
const GROUP: &[(&str, Kind)] = &[
    ("name", Value),
    ("timezone", Value),
    ("handoff_time", Value),
    ("participants", Value),
    ("first", Value),
    ("days_per_person", Value),
];
const ROTATION: &[(&str, Kind)] = &[
    ("name", Value),
    ("cadence", Value),
    ("effective_from", Value),
    ("start", Value),
    ("handoff_time", Value),
    ("handoff_day", Value),
    ("handoff_times", Value),
    ("every", Value),
    ("participants", Value),
    ("first", Value),
    ("groups", Tables(GROUP)),
    ("dst", Value),
    ("restrictions", Tables(RESTRICTION)),
];
const RESTRICTION: &[(&str, Kind)] = &[("days", Value), ("from", Value), ("to", Value)];
const CRITICAL: &[(&str, Kind)] = &[
    ("name", Value),
    ("min_people", Value),
    ("start", Value),
    ("end", Value),
    ("days", Value),
    ("from", Value),
    ("to", Value),
];
const ROOT: &[(&str, Kind)] = &[
    (
        "team",
        Table(&[
            ("name", Value),
            ("timezone", Value),
            ("lead", Value),
            ("dst", Value),
        ]),
    ),
    (
        "people",
        Tables(&[
            ("id", Value),
            ("name", Value),
            ("timezone", Value),
            ("rules", Free),
            ("phone", Value),
            ("email", Value),
            ("chat", Value),
        ]),
    ),
    (
        "layers",
        Tables(&[
            ("name", Value),
            ("role", Value),
            ("rotations", Tables(ROTATION)),
            ("restrictions", Tables(RESTRICTION)),
            ("coverage_required", Value),
        ]),
    ),
    (
        "overrides",
        Tables(&[
            ("layer", Value),
            ("kind", Value),
            ("start", Value),
            ("end", Value),
            ("person", Value),
            ("replaces", Value),
            ("note", Value),
            ("source", Value),
        ]),
    ),
    (
        "swaps",
        Tables(&[
            ("layer", Value),
            ("a", Table(SIDE)),
            ("b", Table(SIDE)),
            ("note", Value),
        ]),
    ),
    (
        "checks",
        Table(&[
            ("coverage_gaps", Value),
            ("min_gap_minutes", Value),
            ("max_consecutive_shifts", Value),
            ("consecutive_gap_hours", Value),
            ("min_rest_hours", Value),
            ("max_hours_per_7_days", Value),
            ("weekend_spread", Value),
            ("two_layers_at_once", Value),
            ("hard", Value),
            ("critical", Tables(CRITICAL)),
        ]),
    ),
    (
        "fairness",
        Table(&[
            ("night_from", Value),
            ("night_to", Value),
            ("holidays", Value),
            ("holidays_ics", Value),
        ]),
    ),
    ("services", Free),
];

/// Reports every key of `text` that is not a field of the rota format;
/// true if there was none (or the text is not TOML, which serde reports).
pub fn check_keys(cx: &mut Cx, text: &str) -> bool {
    let Ok(root) = DeTable::parse(text) else {
        return true;
    };
    let before = cx.errors.len();
    walk(cx, root.get_ref(), ROOT, "");
    cx.errors.len() == before
}

fn walk(cx: &mut Cx, table: &DeTable<'_>, keys: &[(&str, Kind)], path: &str) {
    for (k, v) in table.iter() {
        let name: &str = k.get_ref();
        let field = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        match keys.iter().find(|(n, _)| *n == name) {
            None => {
                let known: Vec<&str> = keys.iter().map(|(n, _)| *n).collect();
                cx.err_at(
                    k.span(),
                    &field,
                    format!(
                        "unknown field `{name}`, expected one of {}",
                        known.join(", ")
                    ),
                );
            }
            Some((_, kind)) => nested(cx, v, kind, &field),
        }
    }
}

fn nested(cx: &mut Cx, v: &Spanned<DeValue<'_>>, kind: &Kind, field: &str) {
    match (kind, v.get_ref()) {
        (Table(keys), DeValue::Table(t)) => walk(cx, t, keys, field),
        (Tables(keys), DeValue::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let DeValue::Table(t) = item.get_ref() {
                    walk(cx, t, keys, &format!("{field}[{i}]"));
                }
            }
        }
        // Wrong shapes are serde's to report, with their types.
        _ => {}
    }
}
