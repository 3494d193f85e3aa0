//! Rows and the queries that read and write them.

use super::Result;
use super::sealed::Conn as _;
use sea_orm::QueryResult;

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TeamRow {
    pub slug: String,
    pub timezone: String,
    pub lead: Option<String>,
    pub swap_approval: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PersonRow {
    pub handle: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub chat: Option<String>,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RotaRow {
    pub team: String,
    pub name: String,
    pub document: String,
    pub version: i64,
    pub origin: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverrideRow {
    pub id: String,
    pub team: String,
    pub rota: String,
    pub layer: String,
    pub kind: String,
    pub start: i64,
    pub end: i64,
    pub person: Option<String>,
    pub replaces: Option<String>,
    pub note: Option<String>,
    pub created_by: String,
    /// "override", or "swap" for the overrides an accepted swap wrote.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SwapRow {
    pub id: String,
    pub team: String,
    pub rota: String,
    pub layer: String,
    pub offered_by: String,
    pub start: i64,
    pub end: i64,
    pub taker: Option<String>,
    /// The taker's shift given back in return, if the swap is a trade.
    pub in_return: Option<(i64, i64)>,
    pub state: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: String,
    pub hash: String,
    pub role: String,
    pub teams: Vec<String>,
    pub person: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub id: String,
    pub hash: String,
    pub person: Option<String>,
    pub team: Option<String>,
    pub rota: Option<String>,
    pub layer: Option<String>,
    pub created_by: String,
}

pub(super) fn s(r: &QueryResult, c: &str) -> Result<String> {
    Ok(r.try_get::<String>("", c)?)
}
pub(super) fn os(r: &QueryResult, c: &str) -> Result<Option<String>> {
    Ok(r.try_get::<Option<String>>("", c)?)
}
pub(super) fn i(r: &QueryResult, c: &str) -> Result<i64> {
    Ok(r.try_get::<i64>("", c)?)
}

pub(super) fn team(r: &QueryResult) -> Result<TeamRow> {
    Ok(TeamRow {
        slug: s(r, "slug")?,
        timezone: s(r, "timezone")?,
        lead: os(r, "lead")?,
        swap_approval: r.try_get::<bool>("", "swap_approval")?,
    })
}

pub(super) fn person(r: &QueryResult) -> Result<PersonRow> {
    Ok(PersonRow {
        handle: s(r, "handle")?,
        name: s(r, "name")?,
        email: os(r, "email")?,
        phone: os(r, "phone")?,
        chat: os(r, "chat")?,
        timezone: os(r, "timezone")?,
    })
}

pub(super) fn rota(r: &QueryResult) -> Result<RotaRow> {
    Ok(RotaRow {
        team: s(r, "team")?,
        name: s(r, "name")?,
        document: s(r, "document")?,
        version: i(r, "version")?,
        origin: s(r, "origin")?,
        updated_at: i(r, "updated_at")?,
    })
}

pub(super) fn override_row(r: &QueryResult) -> Result<OverrideRow> {
    Ok(OverrideRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        rota: s(r, "rota")?,
        layer: s(r, "layer")?,
        kind: s(r, "kind")?,
        start: i(r, "start_at")?,
        end: i(r, "end_at")?,
        person: os(r, "person")?,
        replaces: os(r, "replaces")?,
        note: os(r, "note")?,
        created_by: s(r, "created_by")?,
        source: s(r, "source")?,
    })
}

pub(super) fn swap(r: &QueryResult) -> Result<SwapRow> {
    let rs = r.try_get::<Option<i64>>("", "return_start")?;
    let re = r.try_get::<Option<i64>>("", "return_end")?;
    Ok(SwapRow {
        id: s(r, "id")?,
        team: s(r, "team")?,
        rota: s(r, "rota")?,
        layer: s(r, "layer")?,
        offered_by: s(r, "offered_by")?,
        start: i(r, "start_at")?,
        end: i(r, "end_at")?,
        taker: os(r, "taker")?,
        in_return: rs.zip(re),
        state: s(r, "state")?,
        note: os(r, "note")?,
    })
}

pub(super) const SWAP_COLS: &str = "id, team, rota, layer, offered_by, start_at, end_at, taker, return_start, return_end, state, note";

pub(super) fn token(r: &QueryResult) -> Result<TokenRow> {
    let teams = s(r, "teams")?;
    Ok(TokenRow {
        id: s(r, "id")?,
        hash: s(r, "hash")?,
        role: s(r, "role")?,
        teams: teams
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        person: os(r, "person")?,
    })
}

pub(super) fn feed(r: &QueryResult) -> Result<FeedRow> {
    Ok(FeedRow {
        id: s(r, "id")?,
        hash: s(r, "hash")?,
        person: os(r, "person")?,
        team: os(r, "team")?,
        rota: os(r, "rota")?,
        layer: os(r, "layer")?,
        created_by: s(r, "created_by")?,
    })
}

pub(super) fn collect<T>(
    rows: Vec<QueryResult>,
    f: fn(&QueryResult) -> Result<T>,
) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

pub(super) const ROTA_COLS: &str = "team, name, document, version, origin, updated_at";
pub(super) const OVERRIDE_COLS: &str =
    "id, team, rota, layer, kind, start_at, end_at, person, replaces, note, created_by, source";

/// What to claim: due, pending, unleased rows of `table`, `limit` at most
/// in `order`, each also getting `also_set`, returned as `cols`.
pub(super) struct Claim<'a> {
    pub table: &'a str,
    pub also_set: &'a str,
    pub order: &'a str,
    pub cols: &'a str,
    pub limit: u64,
}

/// Leases the rows `c` names to `owner` until `lease_until_ms`, in one
/// statement and transaction: PostgreSQL skips rows another worker holds,
/// SQLite has one writer, so two workers never claim the same row.
pub(super) async fn claim(
    store: &super::Store,
    c: Claim<'_>,
    owner: &str,
    now_ms: i64,
    lease_until_ms: i64,
) -> Result<Vec<QueryResult>> {
    let skip = if store.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE {t} SET lease_owner = ?, lease_until_ms = ?{set} \
         WHERE id IN (SELECT id FROM {t} WHERE status = 'pending' AND due_ms <= ? \
           AND (lease_until_ms IS NULL OR lease_until_ms <= ?) \
           ORDER BY {o} LIMIT {l}{skip}) \
         RETURNING {cols}",
        t = c.table,
        set = c.also_set,
        o = c.order,
        l = c.limit,
        cols = c.cols
    );
    let values = vec![
        owner.into(),
        lease_until_ms.into(),
        now_ms.into(),
        now_ms.into(),
    ];
    let tx = store.tx_quiet().await?;
    let rows = tx.all(&sql, values).await?;
    tx.commit().await?;
    Ok(rows)
}
