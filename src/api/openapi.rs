//! The OpenAPI document, generated from the handlers' annotations and served
//! at /api/v1/openapi.json, with Swagger UI (vendored, works offline) at
//! /api/v1/docs. Two modifiers complete it: the bearer scheme, and the
//! answers every route shares (the error body on 400/413/415/422 for a body
//! or parameter, 401 where a token is needed, 500 and 503 everywhere), and
//! the shape of slugs in paths, so each operation lists every status code
//! it really returns.

use super::{alerts, calendar, callbacks, feeds, intake, layers, overrides, reports, rotas};
use super::{services, swaps, teams, tokens};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Vigil", description = "On-call scheduling and paging: rotas, shifts, overrides, swaps, calendar feeds, services, alerts and their escalation."),
    paths(
        teams::list_teams, teams::get_team, teams::put_team, teams::delete_team,
        teams::list_people, teams::get_person, teams::put_person, teams::delete_person,
        calendar::oncall, calendar::shifts, calendar::person_shifts, calendar::person_oncall,
        rotas::list, rotas::get, rotas::put, rotas::delete,
        layers::get, layers::put, layers::delete, layers::handoff_note, layers::handoff_ack, layers::handoff_log,
        overrides::list, overrides::create, overrides::delete,
        swaps::list, swaps::offer, swaps::accept, swaps::approve, swaps::decline, swaps::cancel,
        tokens::create, tokens::revoke, tokens::audit,
        feeds::create, feeds::revoke, feeds::rotate, feeds::ics,
        services::list, services::get, services::put, services::delete,
        services::create_key, services::revoke_key, services::heartbeat,
        alerts::create, alerts::list, alerts::get, alerts::action, reports::report, reports::coverage,
        intake::enqueue, intake::alertmanager,
        callbacks::twilio_sms, callbacks::twilio_voice, callbacks::twilio_status, callbacks::slack,
        super::slack_events::events,
        callbacks::link_get, callbacks::link_post,
        super::healthz, super::readyz, reports::metrics,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth, &Shared)
)]
pub struct ApiDoc;

/// The error body every 4xx and 5xx carries.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ErrorDetail {
    /// bad_request, unauthorized, forbidden, not_found, conflict, invalid,
    /// rule_violation, too_large, unsupported_media_type,
    /// precondition_required, unavailable, internal
    code: String,
    message: String,
    /// The field or parameter at fault, when there is one.
    field: Option<String>,
    /// Every problem, when there are several: fields, rule violations, or
    /// the services a deletion would leave paging nothing.
    #[schema(value_type = Option<Vec<Object>>)]
    details: Option<serde_json::Value>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Slugs and handles in paths: what `directory::check_slug` accepts.
pub const SLUG_PATTERN: &str = "^[a-z0-9_.-]{1,64}$";

struct Shared;

impl Modify for Shared {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = api.components.as_mut() {
            for schema in c.schemas.values_mut() {
                zone_enum(schema);
            }
        }
        for (path, item) in api.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                shared_answers(path, op);
                slug_patterns(op);
            }
        }
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                utoipa::openapi::Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build(),
    )
}

fn shared_answers(path: &str, op: &mut Operation) {
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| matches!(b, RefOr::T(b) if b.content.contains_key("application/json")));
    let any_body = op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let params = op.parameters.as_ref().is_some_and(|p| {
        p.iter()
            .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header)))
    });
    let mut add = |code: &str, why: &str| {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| error_response(why));
    };
    if json_body || params {
        add("400", "malformed JSON, or a bad query parameter or header");
    }
    if any_body {
        add("413", "the body is larger than 1 MiB");
    }
    if json_body {
        add("415", "the body is not sent as application/json");
        add("422", "a field is invalid (the error names it)");
    }
    if secured {
        add("401", "no token, or an unknown or revoked one");
    }
    add("500", "an internal error (logged with its cause)");
    if path != "/healthz" {
        add(
            "503",
            "the database is busy or read-only: retry after Retry-After",
        );
    }
}

/// Every `timezone` property lists the zone names the server's tz database
/// accepts (and null where the property may be null).
fn zone_enum(schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(o)) = schema else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(z))) = o.properties.get_mut("timezone") {
        let mut names: Vec<serde_json::Value> = crate::tz::zone_names()
            .iter()
            .map(|n| serde_json::Value::String(n.clone()))
            .collect();
        if let SchemaType::Array(types) = &z.schema_type
            && types.contains(&Type::Null)
        {
            names.push(serde_json::Value::Null);
        }
        z.enum_values = Some(names);
    }
}

fn slug_patterns(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        let RefOr::T(p) = p else { continue };
        // A query parameter or header is absent or a string, never null.
        if matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header)
            && let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
            && let SchemaType::Array(types) = &o.schema_type
            && let Some(t) = types.iter().find(|t| **t != Type::Null)
        {
            o.schema_type = SchemaType::Type(t.clone());
        }
        if p.name.eq_ignore_ascii_case("If-Match")
            && let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
        {
            o.pattern = Some(r#"^((W/)?"[0-9]{1,18}"|[0-9]{1,18})$"#.into());
            continue;
        }
        let slug = matches!(p.name.as_str(), "team" | "rota" | "layer" | "handle");
        if p.parameter_in != ParameterIn::Path || !slug {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(o))) = &mut p.schema {
            o.pattern = Some(SLUG_PATTERN.into());
        }
    }
}

/// A slug (team, rota, layer) or a person's handle: 1–64 of a-z 0-9 _ . -
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^[a-z0-9_.-]{1,64}$")]
#[allow(dead_code)]
pub struct Slug(String);
