//! The admin listener: Prometheus `/metrics`, `/healthz` (alive) and
//! `/readyz` (components loaded). Separate from the MCP listener so it can
//! stay on loopback or an internal network.

use crate::call::Pipeline;
use crate::telemetry as metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};

/// Set once the components are loaded; until then `/readyz` answers 503.
#[derive(Default)]
pub struct Readiness {
    core: OnceLock<Arc<Pipeline>>,
}

impl Readiness {
    pub fn set(&self, core: Arc<Pipeline>) {
        let _ = self.core.set(core);
    }
}

pub fn router(ready: Arc<Readiness>) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(ready)
}

async fn readyz(State(ready): State<Arc<Readiness>>) -> Response {
    match ready.core.get() {
        Some(core) => {
            format!("ready: {} components\n", core.catalog().base.registry.components().len()).into_response()
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "loading components\n").into_response(),
    }
}

async fn scrape(State(ready): State<Arc<Readiness>>) -> Response {
    if let Some(core) = ready.core.get() {
        let gauge = &metrics::get().breaker_open;
        let catalog = core.catalog();
        let tenants = catalog.tenants.values().flat_map(|s| s.registry.components().iter());
        for c in catalog.base.registry.components().iter().chain(tenants) {
            for (origin, open) in c.breakers.states() {
                gauge.with_label_values(&[&*c.name, origin.as_str()]).set(i64::from(open));
            }
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics::render()).into_response()
}
