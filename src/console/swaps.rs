//! Swaps from the calendar: offer a shift you hold (pick it on the
//! calendar), take one offered on your layer, approve or decline as a lead,
//! cancel your own offer; the people involved hear of each step through
//! their contact methods, and an applied swap shows on the calendar at once.

use super::PageError;
use super::session::{Posted, Viewer};
use super::view::When;
use crate::api::state::AppState;
use crate::engine::{calendar, overrides, swaps};
use crate::rota::interval::Interval;
use crate::store::SwapRow;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// A swap as the calendar lists it, with what the viewer may do to it.
pub struct SwapLine {
    pub id: String,
    pub layer: String,
    pub offered_by: String,
    pub taker: String,
    pub start: When,
    pub end: When,
    pub state: String,
    pub note: String,
    /// accept, approve, decline, cancel: the buttons shown.
    pub steps: Vec<&'static str>,
    /// The viewer's own coming shifts on the layer they may give back when
    /// they accept: ("START-END" in Unix seconds, label).
    pub give_back: Vec<(String, String)>,
}

/// How many of their own shifts a taker is offered to give back.
const GIVE_BACK: usize = 12;

/// The rota's open swaps and its last five finished ones, for `v`.
pub async fn lines(
    st: &AppState,
    v: &Viewer,
    l: &crate::engine::Loaded,
    zone: Option<&crate::tz::Zone>,
) -> Result<Vec<SwapLine>, PageError> {
    let (team, rota) = (&l.row.team, &l.row.name);
    let lead = v.principal.leads(team);
    let me = v.person();
    let all = swaps::list(&st.store, &st.cache, team, rota).await?;
    let (open, done): (Vec<SwapRow>, Vec<SwapRow>) = all
        .into_iter()
        .partition(|w| w.state == "offered" || w.state == "accepted");
    let name = |h: &str| {
        l.rota
            .person(h)
            .map(|i| l.rota.people[i].name.clone())
            .unwrap_or_else(|| h.to_string())
    };
    Ok(open
        .into_iter()
        .chain(done.into_iter().rev().take(5))
        .map(|w| {
            let on_layer = me.and_then(|p| l.rota.person(p)).is_some_and(|i| {
                l.rota.layer(&w.layer).is_some_and(|li| {
                    l.rota.layers[li]
                        .rotations
                        .iter()
                        .any(|r| r.cadence.participants().contains(&i))
                })
            });
            let mine = me == Some(w.offered_by.as_str());
            let mut steps = Vec::new();
            if w.state == "offered" && on_layer && !mine {
                steps.push("accept");
            }
            if w.state == "accepted" && lead {
                steps.push("approve");
            }
            if (w.state == "offered" || w.state == "accepted") && lead {
                steps.push("decline");
            }
            if (w.state == "offered" || w.state == "accepted") && (mine || lead) {
                steps.push("cancel");
            }
            let at = |s: i64| When::at(s * 1000, zone);
            let give_back = if steps.contains(&"accept") {
                own_shifts(l, me.unwrap_or(""), &w, st.now(), zone)
            } else {
                Vec::new()
            };
            SwapLine {
                give_back,
                id: w.id.clone(),
                layer: w.layer.clone(),
                offered_by: name(&w.offered_by),
                taker: w.taker.as_deref().map(name).unwrap_or_default(),
                start: at(w.start),
                end: at(w.end),
                state: w.state.clone(),
                note: w.note.clone().unwrap_or_default(),
                steps,
            }
        })
        .collect())
}

/// `person`'s coming shifts on the swap's layer over eight weeks, apart
/// from the offered one, as the accept form lists them.
fn own_shifts(
    l: &crate::engine::Loaded,
    person: &str,
    w: &SwapRow,
    now: crate::rota::Instant,
    zone: Option<&crate::tz::Zone>,
) -> Vec<(String, String)> {
    let (Some(p), Some(li)) = (l.rota.person(person), l.rota.layer(&w.layer)) else {
        return Vec::new();
    };
    crate::rota::shifts_between(&l.rota, now, now + chrono::Duration::weeks(8))
        .into_iter()
        .filter(|s| s.layer == li && s.person == p && s.start >= now)
        .filter(|s| s.end.timestamp() <= w.start || s.start.timestamp() >= w.end)
        .take(GIVE_BACK)
        .map(|s| {
            let (a, b) = (s.start.timestamp(), s.end.timestamp());
            let label = format!(
                "{} → {}",
                When::at(a * 1000, zone).text,
                When::at(b * 1000, zone).text
            );
            (format!("{a}-{b}"), label)
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
pub struct StepForm {
    /// A shift given back on accepting: "START-END" in Unix seconds.
    #[serde(default)]
    in_return: String,
}

/// The shift given back, if any (PURE); the error names the field.
fn in_return(text: &str) -> Result<Option<Interval>, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "in_return: pick one of your shifts",
        )
    };
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let t = |x: &str| {
        x.parse::<i64>()
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .ok_or_else(bad)
    };
    let (a, b) = (t(a)?, t(b)?);
    if b <= a {
        return Err(bad());
    }
    Ok(Some(Interval::new(a, b)))
}

#[derive(serde::Deserialize)]
pub struct OfferForm {
    layer: String,
    start: String,
    end: String,
    #[serde(default)]
    note: String,
}

fn back(team: &str, rota: &str, start: i64, done: &str) -> Response {
    let day = chrono::DateTime::from_timestamp(start, 0)
        .unwrap_or_default()
        .date_naive();
    let to = format!("/rotas/{team}/{rota}?view=2week&start={day}&done={done}#swaps");
    Redirect::to(&to).into_response()
}

/// Offers the viewer's shift.
pub async fn offer(
    State(st): State<AppState>,
    Path((team, rota)): Path<(String, String)>,
    Posted { v, form: f }: Posted<OfferForm>,
) -> Result<Response, PageError> {
    let me = v.person().ok_or_else(PageError::forbidden)?.to_string();
    let l = calendar::rota_at(&st.store, &st.cache, v.principal.generation, &team, &rota).await?;
    let zone = &l.rota.zone;
    let iv = Interval::new(
        overrides::instant_in("start", &f.start, zone)?,
        overrides::instant_in("end", &f.end, zone)?,
    );
    if iv.end <= iv.start {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "end: after start",
        ));
    }
    let note = (!f.note.trim().is_empty()).then(|| f.note.trim().to_string());
    let w = swaps::offer(
        &st.store,
        &st.cache,
        &team,
        &rota,
        &f.layer,
        &me,
        iv,
        note,
        &v.actor(),
        st.now(),
    )
    .await?;
    // The people told are written with the offer; the dispatcher sends.
    st.dispatch.wake();
    Ok(back(&team, &rota, w.start, "swap-offered"))
}

/// Accepts, approves, declines or cancels a swap.
pub async fn step(
    State(st): State<AppState>,
    Path((team, rota, id, step)): Path<(String, String, String, String)>,
    Posted { v, form: f }: Posted<StepForm>,
) -> Result<Response, PageError> {
    let w = swaps::find(&st.store, &team, &rota, &id).await?;
    let lead = v.principal.leads(&team);
    let actor = v.actor();
    let now = st.now();
    let (w, _) = match step.as_str() {
        "accept" => {
            let me = v.person().ok_or_else(PageError::forbidden)?.to_string();
            let back = in_return(&f.in_return)?;
            swaps::accept(&st.store, &st.cache, w, &me, back, &actor, now).await?
        }
        "approve" | "decline" if lead => {
            let s = if step == "approve" {
                swaps::Step::Approve
            } else {
                swaps::Step::Decline
            };
            swaps::step(&st.store, &st.cache, w, s, &actor, now).await?
        }
        "cancel" if lead || v.person() == Some(w.offered_by.as_str()) => {
            swaps::step(&st.store, &st.cache, w, swaps::Step::Cancel, &actor, now).await?
        }
        "approve" | "decline" | "cancel" => return Err(PageError::forbidden()),
        _ => return Err(PageError::new(StatusCode::NOT_FOUND, "no such step")),
    };
    st.dispatch.wake();
    Ok(back(&team, &rota, w.start, &format!("swap-{}", w.state)))
}
