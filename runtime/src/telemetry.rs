//! Prometheus metrics of the process, served on the admin listener. One
//! registry per process; every series carries the `k8s_mcp_` prefix.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::OnceLock;

pub struct Metrics {
    pub registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub tool_calls: IntCounterVec,
    pub tool_duration: HistogramVec,
    pub fuel_used: HistogramVec,
    pub instantiation: HistogramVec,
    pub traps: IntCounterVec,
    pub cache: IntCounterVec,
    pub ratelimit: IntCounterVec,
    pub auth: IntCounterVec,
    pub breaker_open: IntGaugeVec,
    pub in_flight: IntGauge,
    pub audit_errors: IntCounterVec,
    pub reloads: IntCounterVec,
    pub tenant_reloads: IntCounterVec,
    pub load_failures: IntCounterVec,
    pub capability_denials: IntCounterVec,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("k8s_mcp".into()), None)?;
    let counter = |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, prometheus::Error> {
        let c = IntCounterVec::new(Opts::new(name, help), labels)?;
        registry.register(Box::new(c.clone()))?;
        Ok(c)
    };
    let histogram = |name: &str, help: &str, labels: &[&str], buckets: Vec<f64>| {
        let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)?;
        registry.register(Box::new(h.clone()))?;
        Ok::<_, prometheus::Error>(h)
    };
    let seconds = prometheus::exponential_buckets(0.0005, 2.5, 14)?;
    let m = Metrics {
        http_requests: counter(
            "http_requests_total",
            "HTTP requests by method, route and status.",
            &["method", "route", "status"],
        )?,
        http_duration: histogram(
            "http_request_duration_seconds",
            "HTTP request latency (until the response head).",
            &["route"],
            seconds.clone(),
        )?,
        tool_calls: counter("tool_calls_total", "Tool calls by tool and outcome.", &["tool", "outcome"])?,
        tool_duration: histogram("tool_call_duration_seconds", "Tool call latency.", &["tool"], seconds.clone())?,
        fuel_used: histogram(
            "sandbox_fuel_used",
            "Fuel consumed per tool call.",
            &["service"],
            prometheus::exponential_buckets(10_000.0, 4.0, 12)?,
        )?,
        instantiation: histogram(
            "sandbox_instantiation_seconds",
            "Time to instantiate a component for a call.",
            &["service"],
            seconds,
        )?,
        traps: counter("sandbox_traps_total", "Calls ended by the sandbox, by cause.", &["cause"])?,
        cache: counter("cache_requests_total", "Result cache lookups by result (hit, miss).", &["result"])?,
        ratelimit: counter(
            "ratelimit_decisions_total",
            "Rate-limit decisions by scope and decision.",
            &["scope", "decision"],
        )?,
        auth: counter("auth_attempts_total", "Authentication outcomes by method and result.", &["method", "result"])?,
        breaker_open: {
            let g = IntGaugeVec::new(
                Opts::new("circuit_breaker_open", "1 while a backend origin's circuit breaker is open."),
                &["service", "origin"],
            )?;
            registry.register(Box::new(g.clone()))?;
            g
        },
        in_flight: {
            let g = IntGauge::new("tool_calls_in_flight", "Tool calls running now.")?;
            registry.register(Box::new(g.clone()))?;
            g
        },
        audit_errors: counter("audit_write_errors_total", "Audit lines that could not be written.", &["sink"])?,
        reloads: counter(
            "reloads_total",
            "Reloads of components and tenants by outcome (ok, rejected).",
            &["outcome"],
        )?,
        tenant_reloads: counter(
            "tenant_reloads_total",
            "Reloads of single tenants (a change in their own components folder) by outcome.",
            &["tenant", "outcome"],
        )?,
        load_failures: counter(
            "component_load_failures_total",
            "Components left out at load time, by component and cause.",
            &["component", "cause"],
        )?,
        capability_denials: counter(
            "capability_denials_total",
            "Calls into a host capability the component was not granted.",
            &["component", "capability"],
        )?,
        registry,
    };
    Ok(m)
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    // The names and labels above are fixed and valid; failing here is a bug.
    METRICS.get_or_init(|| build().expect("metric definitions are valid"))
}

/// The text exposition of every metric.
pub fn render() -> String {
    let mut out = Vec::new();
    let _ = TextEncoder::new().encode(&get().registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counters_appear_in_the_exposition() {
        super::get().tool_calls.with_label_values(&["metrics_test_tool", "ok"]).inc();
        let text = super::render();
        assert!(text.contains("k8s_mcp_tool_calls_total{outcome=\"ok\",tool=\"metrics_test_tool\"}"), "{text}");
        assert!(text.contains("k8s_mcp_tool_calls_in_flight"), "{text}");
    }
}
