//! The landing page: who is on call now and next, my shifts now and next, open
//! alerts by priority, and services whose pages would reach nobody.

use super::session::{Posted, Viewer};
use super::view::{self, Chrome, Holder, LayerNow, MyShift, NowPage, RotaNow, When};
use super::{PageError, render};
use crate::api::state::AppState;
use crate::engine::{alerts::views, calendar, directory, handoffs, ladders};
use crate::rota::interval::Interval;
use crate::tz::Zone;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// The zone a viewer sees times in: their person's, else None (the browser's).
pub async fn viewer_zone(st: &AppState, v: &Viewer) -> Option<Zone> {
    let p = v.person()?;
    let row = directory::person(&st.store, p).await.ok()?;
    Zone::named(row.timezone.as_deref()?)
}

pub fn chrome(
    st: &AppState,
    v: &Viewer,
    title: &str,
    active: &'static str,
    zone: Option<&Zone>,
) -> Chrome {
    Chrome {
        title: title.to_string(),
        active,
        csrf: v.csrf().to_string(),
        who: v
            .person()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} token", v.session.role)),
        me: v.person().unwrap_or("").to_string(),
        admin: v.is_admin(),
        zone: zone.map(|z| z.name().to_string()).unwrap_or_default(),
        now_ms: st.now().timestamp_millis(),
    }
}

pub async fn page(State(st): State<AppState>, v: Viewer) -> Result<Response, PageError> {
    let now = st.now();
    let zone = viewer_zone(&st, &v).await;
    let z = zone.as_ref();
    let g = v.principal.generation;
    let mut rotas = Vec::new();
    for (l, board) in calendar::board(&st.store, &st.cache, g, now).await? {
        let r = &l.rota;
        let holder = |s: &crate::rota::Shift| Holder {
            name: r.people[s.person].name.clone(),
            since: Some(When::at(s.start.timestamp_millis(), z)),
            until: Some(When::at(s.end.timestamp_millis(), z)),
            // The handoff in the rota's own zone too, when it is not the viewer's.
            until_rota: if z.is_some_and(|z| z.name() == r.zone.name()) {
                String::new()
            } else {
                format!(
                    "{} {}",
                    view::local(s.end.timestamp_millis(), Some(&r.zone)),
                    r.zone.name()
                )
            },
        };
        let mut layers = Vec::new();
        for b in &board {
            let name = r.layers[b.layer].name.clone();
            // The viewer holds this layer now and has a handoff to acknowledge.
            // (Asked only where the board already shows the viewer on it.)
            let ack = match v.person() {
                Some(p) if b.now.iter().any(|s| r.people[s.person].id == p) => {
                    handoffs::needs_ack(&st.store, &l, &name, p, now).await?
                }
                _ => false,
            };
            layers.push(LayerNow {
                role: Some(r.layers[b.layer].role.clone())
                    .filter(|role| *role != name)
                    .unwrap_or_default(),
                layer: name,
                now: b.now.iter().map(holder).collect(),
                next: b.next.iter().map(holder).collect(),
                ack,
            });
        }
        rotas.push(RotaNow {
            team: l.row.team.clone(),
            rota: l.row.name.clone(),
            zone: r.zone.name().to_string(),
            layers,
        });
    }
    let mut mine = Vec::new();
    if let Some(p) = v.person() {
        let week = now + chrono::Duration::days(14);
        for (l, s) in calendar::person_shifts_between(&st.store, &st.cache, g, p, now, week)
            .await?
            .iter()
            .take(10)
        {
            mine.push(MyShift {
                rota: format!("{}/{}", l.row.team, l.row.name),
                layer: l.rota.layers[s.layer].name.clone(),
                start: When::at(s.start.timestamp_millis(), z),
                end: When::at(s.end.timestamp_millis(), z),
                rota_zone: l.rota.zone.name().to_string(),
            });
        }
    }
    let counts = views::open_counts(&st.store).await?;
    let open = ["P1", "P2", "P3", "P4"]
        .into_iter()
        .zip(counts)
        .map(|(priority, count)| view::OpenCount {
            priority,
            count,
            some: count > 0,
        })
        .collect();
    let day = Interval::new(now, now + chrono::Duration::hours(24));
    let uncovered = ladders::coverage(&st.store, &st.cache, day)
        .await
        .map_err(crate::engine::error::Error::from)?
        .into_iter()
        .map(|u| view::Uncovered {
            service: u.service,
            team: u.team,
            why: match (u.problem, u.gaps.first()) {
                (Some(p), _) => p,
                (None, Some(g)) => format!(
                    "nobody to page from {} for {}",
                    view::local(g.start.timestamp_millis(), z),
                    view::span((g.end - g.start).num_milliseconds())
                ),
                (None, None) => "nobody to page".into(),
            },
        })
        .collect();
    render(&NowPage {
        c: chrome(&st, &v, "Now", "now", z),
        rotas,
        mine,
        open,
        uncovered,
    })
}

#[derive(serde::Deserialize)]
pub struct AckForm {
    team: String,
    rota: String,
    layer: String,
}

/// "Acknowledge handoff": the viewer takes over the layer they now hold.
pub async fn ack_handoff(
    State(st): State<AppState>,
    Posted { v, form: f }: Posted<AckForm>,
) -> Result<Response, PageError> {
    let person = v.person().ok_or_else(PageError::forbidden)?.to_string();
    handoffs::ack(
        &st.store,
        &st.cache,
        (&f.team, &f.rota, &f.layer),
        &person,
        st.now(),
    )
    .await?;
    Ok(axum::response::Redirect::to("/").into_response())
}
