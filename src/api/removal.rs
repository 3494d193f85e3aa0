//! Deletions that ladders depend on: a team, rota, layer, lead or person a
//! service pages through is refused with 409 naming the services, unless
//! `?replace_with=` says what takes its place (the ladders are rewritten
//! in the same transaction as the deletion).

use serde::Deserialize;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReplaceWith {
    /// What takes the removed one's place in every ladder that names it
    /// (a person, rota, layer or team, as the deletion is).
    #[param(pattern = "^[a-z0-9_.-]{1,64}$")]
    pub replace_with: Option<String>,
}
