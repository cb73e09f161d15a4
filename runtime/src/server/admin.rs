//! The admin listener: Prometheus `/metrics`, `/healthz` (alive) and
//! `/readyz` (components loaded). Separate from the MCP listener so it can
//! stay on loopback or an internal network.

use crate::call::Pipeline;
use crate::telemetry as metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus::IntGaugeVec;
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

/// Replace every series of `gauge` with one per (service, origin) in
/// `states`; an origin open in any scope (base or tenant) counts as open.
fn set_breaker_gauge(gauge: &IntGaugeVec, states: impl IntoIterator<Item = (String, String, bool)>) {
    let mut open_by_origin: BTreeMap<(String, String), bool> = BTreeMap::new();
    for (service, origin, open) in states {
        *open_by_origin.entry((service, origin)).or_default() |= open;
    }
    gauge.reset();
    for ((service, origin), open) in &open_by_origin {
        gauge.with_label_values(&[service.as_str(), origin.as_str()]).set(i64::from(*open));
    }
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
        let states = catalog
            .base
            .registry
            .components()
            .iter()
            .chain(tenants)
            .flat_map(|c| c.breakers.states().into_iter().map(|(origin, open)| (c.name.to_string(), origin, open)));
        set_breaker_gauge(&metrics::get().breaker_open, states);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics::render()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::Opts;

    fn series(gauge: &IntGaugeVec) -> Vec<(String, i64)> {
        use prometheus::core::Collector;
        let families = gauge.collect();
        let metrics = families.iter().flat_map(|f| f.get_metric());
        let label = |m: &prometheus::proto::Metric| {
            m.get_label().iter().map(|l| format!("{}={}", l.name(), l.value())).collect::<Vec<_>>().join(",")
        };
        metrics.map(|m| (label(m), m.get_gauge().get_value() as i64)).collect()
    }

    #[test]
    fn the_breaker_gauge_keeps_only_current_origins() {
        let gauge = IntGaugeVec::new(Opts::new("b", "b"), &["service", "origin"]).unwrap();
        let s = |svc: &str, o: &str, open| (svc.to_string(), o.to_string(), open);
        set_breaker_gauge(&gauge, [s("p", "http://a:80", false), s("p", "http://b:80", true)]);
        assert_eq!(series(&gauge).len(), 2);
        // `a` was pruned; `b` is open in one tenant's scope and closed in another's.
        set_breaker_gauge(&gauge, [s("p", "http://b:80", false), s("p", "http://b:80", true)]);
        assert_eq!(series(&gauge), [("origin=http://b:80,service=p".to_string(), 1)]);
        set_breaker_gauge(&gauge, []);
        assert!(series(&gauge).is_empty());
    }
}
