//! Per-call overhead and HTTP throughput.
//!
//! (a) raw wasmtime: fresh store + instantiate from `InstancePre` + one
//!     `call-tool("echo")`, no limits or policy;
//! (b) the runtime's invoke path (`Sandbox::call`): admission, limits,
//!     fuel, deadline, output checks and redaction around the same call;
//! (c) `tools/call` over streamable HTTP with N concurrent clients.
//!
//! Prints p50/p99 and the (b)/(a) ratio. Bounded in count and time; talks
//! only to 127.0.0.1. Run with `just bench`.

use k8s_mcp_runtime::cli::{ServeArgs, Transport};
use k8s_mcp_runtime::config::Config;
use k8s_mcp_runtime::host::bindings::types::CallContext;
use k8s_mcp_runtime::sandbox::{Block, CallMeta, Registry, Sandbox};
use k8s_mcp_runtime::{call::Pipeline, server};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const WARMUP: usize = 300;
const ITERATIONS: usize = 3000;
const HTTP_CLIENTS: usize = 8;
const HTTP_CALLS_PER_CLIENT: usize = 500;
const HTTP_TIME_LIMIT: Duration = Duration::from_secs(60);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.50), percentile(&samples, 0.99));
    println!("{name:<34} n={:<6} p50={:>9.1?} p99={:>9.1?}", samples.len(), p50, p99);
    (p50, p99)
}

fn testkit_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let wasm = root.join("components/target/wasm32-wasip2/release/testkit.wasm");
    assert!(wasm.exists(), "{} missing: run `just components` first", wasm.display());
    let dir = std::env::temp_dir().join(format!("k8s-mcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(&wasm, dir.join("testkit.wasm")).expect("copy testkit.wasm");
    std::fs::copy(root.join("tests/fixtures/testkit.policy.toml"), dir.join("testkit.policy.toml"))
        .expect("copy policy");
    dir
}

#[tokio::main]
async fn main() {
    // reqwest is built without a default TLS provider (the runtime picks ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = testkit_dir();
    let sandbox = Sandbox::new(None, 64).expect("sandbox");
    let registry = Registry::load(&sandbox, &dir, &BTreeMap::new()).await.expect("load testkit");
    let (component, tool) = registry.lookup("testkit_echo").expect("echo tool");
    let component = component.clone();
    let args = r#"{"message":"hello"}"#.to_string();
    let ctx = CallContext { tenant_id: "bench".into(), request_id: "1".into(), caller: None, deadline_ms: 1000 };

    // (a) raw wasmtime
    let mut raw = Vec::with_capacity(ITERATIONS);
    for i in 0..WARMUP + ITERATIONS {
        let start = Instant::now();
        let mut store = sandbox.bare_store(&component);
        let instance = component.pre.instantiate_async(&mut store).await.expect("instantiate");
        let out = instance
            .k8s_mcp_tools_tools()
            .call_call_tool(&mut store, &tool.local_name, &args, &ctx)
            .await
            .expect("call");
        drop(store);
        if i >= WARMUP {
            raw.push(start.elapsed());
        }
        assert!(out.is_ok());
    }
    let (raw_p50, raw_p99) = report("raw wasmtime instantiate+call", raw);

    // (b) the runtime's invoke path
    let mut invoke = Vec::with_capacity(ITERATIONS);
    for i in 0..WARMUP + ITERATIONS {
        let start = Instant::now();
        let (out, _) = sandbox
            .call_measured(
                &component,
                &tool.local_name,
                args.clone(),
                CallMeta::default(),
                None,
                CancellationToken::new(),
            )
            .await;
        let out = out.expect("invoke");
        if i >= WARMUP {
            invoke.push(start.elapsed());
        }
        assert_eq!(out.content, vec![Block::Text("hello".to_string())]);
    }
    let (inv_p50, inv_p99) = report("runtime invoke path", invoke);
    println!(
        "{:<34} p50={:.2}x p99={:.2}x",
        "ratio invoke/raw",
        inv_p50.as_secs_f64() / raw_p50.as_secs_f64(),
        inv_p99.as_secs_f64() / raw_p99.as_secs_f64()
    );

    // (c) tools/call over streamable HTTP
    let args = ServeArgs {
        components: Some(dir.clone()),
        transport: Some(Transport::Http),
        listen: Some("127.0.0.1:0".into()),
        max_in_flight: Some(64),
        ..Default::default()
    };
    let config = Config::build(&args).expect("config");
    let core: Arc<Pipeline> = server::build_core(&config).await.expect("core");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let srv = {
        let (core, config, shutdown) = (core.clone(), config.clone(), shutdown.clone());
        tokio::spawn(async move { server::serve_http(core, &config, listener, shutdown).await })
    };
    let url = format!("http://{addr}/mcp");
    let deadline = Instant::now() + HTTP_TIME_LIMIT;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..HTTP_CLIENTS {
        let url = url.clone();
        tasks.push(tokio::spawn(async move { http_client(&url, c, deadline).await }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client task"));
    }
    let wall = started.elapsed();
    let calls = latencies.len();
    println!(
        "{:<34} clients={HTTP_CLIENTS} calls={calls} wall={wall:.2?} throughput={:.0} calls/s",
        "HTTP tools/call (echo)",
        calls as f64 / wall.as_secs_f64()
    );
    report("HTTP tools/call latency", latencies);
    shutdown.cancel();
    let _ = srv.await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// One MCP session: initialize, then sequential tools/call until the count
/// or the deadline is reached. Returns per-call latencies.
async fn http_client(url: &str, id: usize, deadline: Instant) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let accept = "application/json, text/event-stream";
    let init = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}
    });
    let resp = client.post(url).header("accept", accept).json(&init).send().await.expect("initialize");
    let session = resp.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let _ = resp.bytes().await;
    let with_session = |rb: reqwest::RequestBuilder| match &session {
        Some(s) => rb.header("mcp-session-id", s).header("mcp-protocol-version", "2025-11-25"),
        None => rb.header("mcp-protocol-version", "2025-11-25"),
    };
    let initialized = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let _ = with_session(client.post(url).header("accept", accept)).json(&initialized).send().await;
    let mut out = Vec::with_capacity(HTTP_CALLS_PER_CLIENT);
    for i in 0..HTTP_CALLS_PER_CLIENT {
        if Instant::now() > deadline {
            break;
        }
        let call = serde_json::json!({
            "jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
            "params": {"name": "testkit_echo", "arguments": {"message": format!("c{id}-{i}")}}
        });
        let start = Instant::now();
        let body = with_session(client.post(url).header("accept", accept))
            .json(&call)
            .send()
            .await
            .expect("tools/call")
            .text()
            .await
            .expect("body");
        out.push(start.elapsed());
        assert!(body.contains(&format!("c{id}-{i}")), "unexpected response: {body}");
    }
    out
}
