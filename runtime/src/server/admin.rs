//! The admin listener: Prometheus `/metrics`, `/healthz` (alive) and
//! `/readyz` (components loaded). Separate from the MCP listener so it can
//! stay on loopback or the pod's own address; with `admin.token`, `/metrics`
//! needs `Authorization: Bearer <token>` (the probes stay open, the kubelet
//! sends no credential).

use crate::call::Pipeline;
use crate::telemetry as metrics;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::IntGaugeVec;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use subtle::ConstantTimeEq;

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

pub fn router(ready: Arc<Readiness>, token: Option<&str>) -> Router {
    let want = token.map(|t| <[u8; 32]>::from(Sha256::digest(t.as_bytes())));
    let metrics = Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .layer(axum::middleware::from_fn(move |req: Request, next: Next| require_token(want, req, next)));
    Router::new()
        .merge(metrics)
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(ready)
}

/// 401 unless the request carries the bearer token (compared as digests, in constant time).
async fn require_token(want: Option<[u8; 32]>, req: Request, next: Next) -> Response {
    if let Some(want) = want {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("bearer")))
            .map(|(_, t)| Sha256::digest(t.trim().as_bytes()));
        if !presented.is_some_and(|p| bool::from(p.as_slice().ct_eq(&want))) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "unauthorized\n")
                .into_response();
        }
    }
    next.run(req).await
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
    use tower::ServiceExt;

    async fn status(app: &Router, path: &str, auth: Option<&str>) -> StatusCode {
        let mut req = axum::http::Request::get(path);
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        app.clone().oneshot(req.body(axum::body::Body::empty()).unwrap()).await.unwrap().status()
    }

    #[tokio::test]
    async fn the_admin_token_guards_metrics_and_not_the_probes() {
        let app = router(Arc::new(Readiness::default()), Some("s3cret"));
        assert_eq!(status(&app, "/metrics", None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, "/metrics", Some("Bearer wrong")).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, "/metrics", Some("Basic s3cret")).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, "/metrics", Some("Bearer s3cret")).await, StatusCode::OK);
        assert_eq!(status(&app, "/healthz", None).await, StatusCode::OK);
        let open = router(Arc::new(Readiness::default()), None);
        assert_eq!(status(&open, "/metrics", None).await, StatusCode::OK);
    }

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
