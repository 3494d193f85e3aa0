//! Server-Sent Events: `alerts` whenever any alert changes (on this
//! instance or another), so open pages refresh what they show.

use super::session::Viewer;
use crate::api::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use std::convert::Infallible;
use std::time::Duration;

pub async fn stream(
    State(st): State<AppState>,
    _v: Viewer,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let mut rx = st.console.stamp.subscribe();
    // The stamp as of now is already on the page: only later changes count.
    rx.mark_unchanged();
    st.console.alerts_changed();
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let stamp = *rx.borrow_and_update();
        Some((
            Ok(Event::default().event("alerts").data(stamp.to_string())),
            rx,
        ))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
