//! The admin listener: Prometheus `/metrics`, `/healthz` (alive) and
//! `/readyz` (components loaded). Separate from the MCP listener so it can
//! stay on loopback or an internal network.

use crate::call::Pipeline;
use crate::telemetry as metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

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
    // The breaker gauge is rebuilt from the breakers on every scrape, so a
    // pruned origin or a reloaded component leaves no stale series behind;
    // the lock keeps two scrapes from interleaving the reset and the render.
    static SCRAPE: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SCRAPE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(core) = ready.core.get() {
        let catalog = core.catalog();
        let tenants = catalog.tenants.values().flat_map(|s| s.registry.components().iter());
        let mut open_by_origin: BTreeMap<(String, String), bool> = BTreeMap::new();
        for c in catalog.base.registry.components().iter().chain(tenants) {
            for (origin, open) in c.breakers.states() {
                *open_by_origin.entry((c.name.to_string(), origin)).or_default() |= open;
            }
        }
        let gauge = &metrics::get().breaker_open;
        gauge.reset();
        for ((service, origin), open) in &open_by_origin {
            gauge.with_label_values(&[service.as_str(), origin.as_str()]).set(i64::from(*open));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics::render()).into_response()
}
