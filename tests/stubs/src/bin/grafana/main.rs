//! A **stub** of the Grafana HTTP API for end-to-end tests of the `grafana`
//! component: no real Grafana can be installed in the test environment.
//! Routes, status codes and JSON shapes follow Grafana's published HTTP API
//! documentation (grafana.com/docs/grafana/latest/developers/http_api/); each
//! route cites its section. State lives in memory and starts from a fixed
//! seed (25 dashboards, two folders, three data sources, one alert rule, ...).
//!
//! Authentication (HTTP API > Authentication): `Authorization: Bearer
//! stub-grafana-token` (a service-account token) or HTTP basic
//! `admin:stub-admin-password`; anything else gets 401
//! `{"message":"Unauthorized"}`. `X-Grafana-Org-Id` selects the organization.
//! `/api/health` needs no credentials.

mod access;
mod alerting;
mod annotations;
mod dashboards;
mod datasources;
mod folders;
mod state;
mod util;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;

/// The service-account token the stub accepts.
pub const TOKEN: &str = "stub-grafana-token";
pub const BASIC_USER: &str = "admin";
pub const BASIC_PASSWORD: &str = "stub-admin-password";

/// Who is calling: login and selected organization.
#[derive(Clone)]
pub struct Caller {
    pub login: String,
    pub org: i64,
}

/// HTTP API > Authentication: bearer token or basic auth; 401 otherwise.
async fn auth(mut req: Request, next: Next) -> Response {
    if req.uri().path() == "/api/health" {
        return next.run(req).await;
    }
    let header = req.headers().get("authorization").and_then(|h| h.to_str().ok()).unwrap_or("");
    let login = if header == format!("Bearer {TOKEN}") {
        Some("sa-mcp")
    } else if let Some(b) = header.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(b.trim()).unwrap_or_default();
        (decoded == format!("{BASIC_USER}:{BASIC_PASSWORD}").as_bytes()).then_some(BASIC_USER)
    } else {
        None
    };
    let Some(login) = login else {
        return util::status(
            401,
            serde_json::json!({ "message": "Unauthorized", "messageId": "auth.unauthorized", "statusCode": 401 }),
        );
    };
    let org = match req.headers().get("x-grafana-org-id").and_then(|h| h.to_str().ok()) {
        None => 1,
        Some(o) => match o.parse::<i64>() {
            Ok(n @ (1 | 2)) => n,
            _ => return util::err(401, "Unauthorized"),
        },
    };
    req.extensions_mut().insert(Caller { login: login.to_string(), org });
    next.run(req).await
}

fn app() -> Router {
    let db: state::Shared = Arc::new(Mutex::new(state::Db::seed()));
    Router::new()
        .route("/api/health", get(access::health))
        .route("/api/search", get(dashboards::search))
        .route("/api/dashboards/db", post(dashboards::save))
        .route("/api/dashboards/uid/{uid}", get(dashboards::get_one).delete(dashboards::delete))
        .route("/api/dashboards/uid/{uid}/versions", get(dashboards::versions))
        .route("/api/dashboards/uid/{uid}/versions/{version}", get(dashboards::version))
        .route("/api/dashboards/uid/{uid}/restore", post(dashboards::restore))
        .route("/render/d-solo/{uid}", get(dashboards::render))
        .route("/api/folders", get(folders::list).post(folders::create))
        .route("/api/folders/{uid}", get(folders::get_one).put(folders::update).delete(folders::delete))
        .route("/api/datasources", get(datasources::list).post(datasources::create))
        .route(
            "/api/datasources/uid/{uid}",
            get(datasources::get_uid).put(datasources::update).delete(datasources::delete),
        )
        .route("/api/datasources/uid/{uid}/health", get(datasources::health))
        .route("/api/datasources/name/{name}", get(datasources::get_name))
        .route("/api/datasources/proxy/uid/{uid}/{*path}", get(datasources::proxy))
        .route("/api/ds/query", post(datasources::query))
        .route("/api/plugins", get(access::plugins))
        .route("/api/plugins/{id}/settings", get(access::plugin_settings))
        .route("/api/v1/provisioning/alert-rules", get(alerting::list).post(alerting::create))
        .route(
            "/api/v1/provisioning/alert-rules/{uid}",
            get(alerting::get_one).put(alerting::update).delete(alerting::delete),
        )
        .route(
            "/api/v1/provisioning/folder/{folder}/rule-groups/{group}",
            get(alerting::get_group).put(alerting::put_group),
        )
        .route("/api/v1/provisioning/contact-points", get(alerting::contact_points))
        .route("/api/annotations", get(annotations::list).post(annotations::create))
        .route("/api/annotations/graphite", post(annotations::graphite))
        .route("/api/annotations/tags", get(annotations::tags))
        .route(
            "/api/annotations/{id}",
            axum::routing::put(annotations::update).patch(annotations::patch).delete(annotations::delete),
        )
        .route("/api/user", get(access::user))
        .route("/api/users", get(access::users))
        .route("/api/users/search", get(access::users_search))
        .route("/api/org", get(access::org))
        .route("/api/teams/search", get(access::teams))
        .route("/api/access-control/roles", get(access::roles))
        .route("/api/access-control/roles/{uid}", get(access::role))
        .route("/api/access-control/roles/{uid}/assignments", get(access::assignments))
        .route("/api/access-control/users/{id}/roles", get(access::user_roles))
        .route("/api/access-control/teams/{id}/roles", get(access::team_roles))
        .route("/api/access-control/{resource}/description", get(access::description))
        .route("/api/access-control/{resource}/{uid}", get(access::permissions))
        .fallback(|| async { util::err(404, "Not found") })
        .layer(middleware::from_fn(auth))
        .with_state(db)
}

#[tokio::main]
async fn main() {
    k8s_mcp_stubs::serve(app()).await;
}
