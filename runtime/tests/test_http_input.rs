//! Bounded fuzzing of the HTTP + JSON-RPC input path: arbitrary bytes and
//! arbitrary JSON-RPC-shaped documents go through the whole router (front
//! door, streamable HTTP, legacy SSE message endpoint) with `oneshot`. The
//! server must never panic or fail with a 5xx, and every JSON error body
//! must be well formed.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use k8s_mcp_runtime::cli::{ServeArgs, Transport};
use k8s_mcp_runtime::{Config, server};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

struct Fixture {
    rt: tokio::runtime::Runtime,
    app: Router,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../components/utilities");
        for name in ["utilities.wasm", "utilities.policy.toml"] {
            std::fs::copy(src.join(name), dir.path().join(name)).expect("copy the utilities component");
        }
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, "[auth]\napi_key = \"fuzz-key\"\n[ratelimit]\nenabled = false\n").expect("config");
        let args = ServeArgs {
            components: Some(dir.path().to_path_buf()),
            config: Some(config_path),
            transport: Some(Transport::Http),
            admin_listen: Some("off".into()),
            ..Default::default()
        };
        let config = Config::build(&args).expect("config");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let core = rt.block_on(server::build_core(&config)).expect("core");
        let app = server::router(core, &config, CancellationToken::new());
        Fixture { rt, app, _dir: dir }
    })
}

fn check(path: &str, body: Vec<u8>, with_key: bool, json_type: bool) -> Result<(), TestCaseError> {
    let f = fixture();
    let mut req = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if json_type {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    if with_key {
        req = req.header("x-api-key", "fuzz-key");
    }
    let req = req.body(Body::from(body)).expect("request");
    let (status, ctype, bytes) = f.rt.block_on(async {
        let response = f.app.clone().oneshot(req).await.expect("infallible");
        let status = response.status();
        let ctype = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        // Event streams may stay open; a bounded read is enough.
        let bytes = tokio::time::timeout(Duration::from_secs(5), response.into_body().collect())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|c| c.to_bytes().to_vec())
            .unwrap_or_default();
        (status, ctype, bytes)
    });
    prop_assert!(!status.is_server_error(), "{path}: {status}: {}", String::from_utf8_lossy(&bytes));
    if !with_key {
        prop_assert_eq!(status.as_u16(), 401);
    }
    if status.is_client_error() && ctype.as_deref() == Some("application/json") {
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let error = v.get("error").unwrap_or(&v);
        prop_assert!(error.get("code").and_then(Value::as_i64).is_some(), "{v}");
        prop_assert!(error.get("message").and_then(Value::as_str).is_some(), "{v}");
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn jsonrpc_message() -> impl Strategy<Value = Value> {
    let method = prop_oneof![
        Just("initialize".to_string()),
        Just("tools/list".to_string()),
        Just("tools/call".to_string()),
        Just("notifications/initialized".to_string()),
        "[a-z/]{0,16}",
    ];
    let id = prop_oneof![Just(Value::Null), any::<i32>().prop_map(Value::from), "[a-z0-9]{0,6}".prop_map(Value::from)];
    (method, id, json_value(), any::<bool>()).prop_map(|(method, id, params, with_id)| {
        let mut m = json!({"jsonrpc": "2.0", "method": method, "params": params});
        if with_id {
            m["id"] = id;
        }
        m
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_the_server(
        body in prop::collection::vec(any::<u8>(), 0..512),
        with_key in any::<bool>(),
        json_type in any::<bool>(),
        path in prop_oneof![Just("/mcp"), Just("/message?sessionId=nope"), Just("/message")],
    ) {
        check(path, body, with_key, json_type)?;
    }

    #[test]
    fn arbitrary_jsonrpc_documents_get_well_formed_answers(
        message in jsonrpc_message(),
        path in prop_oneof![Just("/mcp"), Just("/message?sessionId=nope")],
    ) {
        check(path, message.to_string().into_bytes(), true, true)?;
    }
}

/// The fixture serves the real MCP service: a proper initialize succeeds.
#[test]
fn a_valid_initialize_reaches_mcp() {
    let f = fixture();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let req = Request::post("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-api-key", "fuzz-key")
        .body(Body::from(init.to_string()))
        .expect("request");
    let (status, text) = f.rt.block_on(async {
        let response = f.app.clone().oneshot(req).await.expect("infallible");
        let status = response.status();
        let body = tokio::time::timeout(Duration::from_secs(10), response.into_body().collect()).await;
        (status, body.ok().and_then(Result::ok).map(|c| String::from_utf8_lossy(&c.to_bytes()).into_owned()))
    });
    assert_eq!(status.as_u16(), 200);
    assert!(text.unwrap_or_default().contains("\"protocolVersion\":\"2025-06-18\""));
}
