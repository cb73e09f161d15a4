//! The front door's HTTP middleware, one request at a time through
//! `tower::ServiceExt::oneshot` (no sockets). The MCP service is replaced
//! by a handler that echoes the identity it was given.

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode, header};
use axum::routing::any;
use http_body_util::BodyExt;
use jsonwebtoken::{EncodingKey, Header, encode};
use k8s_mcp_runtime::auth::{FrontDoor, Identity};
use k8s_mcp_runtime::config::frontdoor::{
    ApiKeyEntry, AuthSection, Bucket, FrontDoorConfig, JwtSection, RateLimitSection, Sections,
};
use k8s_mcp_runtime::telemetry as metrics;
use k8s_mcp_runtime::transport::http;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tower::ServiceExt;

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";
const RESOURCE: &str = "https://mcp.example.test/mcp";

fn sections(auth: AuthSection, ratelimit: RateLimitSection) -> Sections {
    Sections { auth, ratelimit, audit: Default::default(), admin: Default::default() }
}

fn auth_section() -> AuthSection {
    AuthSection {
        resource: Some(RESOURCE.into()),
        api_keys: vec![ApiKeyEntry {
            name: "ci".into(),
            hash: format!("sha256:{}", hex::encode(Sha256::digest(b"good-key"))),
            subject: Some("ci-bot".into()),
            tenant: Some("team-a".into()),
            roles: vec!["viewer".into()],
            expires: None,
        }],
        jwt: Some(JwtSection { secret: Some(SECRET.into()), issuer: Some("test-issuer".into()), ..Default::default() }),
        ..Default::default()
    }
}

fn app_with(s: Sections, origins: &[String]) -> Router {
    let config = FrontDoorConfig::build(s, &|_| None, Some("off")).expect("config");
    let fd = Arc::new(FrontDoor::new(&config, "default", origins).expect("front door"));
    let echo = Router::new().route(
        "/mcp",
        any(|Extension(id): Extension<Identity>| async move {
            axum::Json(json!({"subject": id.subject, "tenant": id.tenant, "roles": id.roles}))
        }),
    );
    let public = Router::new().route("/healthz", any(|| async { "ok" }));
    http::assemble(echo, public, fd)
}

fn app() -> Router {
    app_with(sections(auth_section(), RateLimitSection::default()), &[])
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (parts.status, parts.headers, value)
}

fn post(headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post("/mcp").header(header::HOST, "localhost");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from("{}")).expect("request")
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

fn jwt(claims: Value, secret: &str) -> String {
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("encode")
}

#[tokio::test]
async fn missing_credential_gets_401_with_resource_metadata() {
    let (status, headers, body) = send(&app(), post(&[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert_eq!(challenge, "Bearer resource_metadata=\"https://mcp.example.test/.well-known/oauth-protected-resource\"");
    assert_eq!(body["error"]["code"], -32001, "{body}");
    assert_eq!(body["error"]["data"]["kind"], "unauthorized");
}

#[tokio::test]
async fn protected_resource_metadata_names_the_resource() {
    let req = Request::get(http::METADATA_PATH).header(header::HOST, "localhost").body(Body::empty()).unwrap();
    let (status, _, body) = send(&app(), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["resource"], RESOURCE);
    assert_eq!(body["bearer_methods_supported"], json!(["header"]));
}

#[tokio::test]
async fn api_key_maps_to_its_identity_and_wrong_key_is_refused() {
    let (status, _, body) = send(&app(), post(&[("x-api-key", "good-key")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"subject": "ci-bot", "tenant": "team-a", "roles": ["viewer"]}));
    let (status, headers, body) = send(&app(), post(&[("x-api-key", "bad-key")])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers[header::WWW_AUTHENTICATE].to_str().unwrap().contains("error=\"invalid_token\""));
    assert!(!body.to_string().contains("bad-key"), "the credential must not be echoed: {body}");
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut v = base.clone();
    v[key] = value;
    v
}

#[tokio::test]
async fn jwt_is_verified_not_just_parsed() {
    let good = json!({"sub": "alice", "aud": RESOURCE, "iss": "test-issuer", "exp": now() + 300,
                      "tenant": "t2", "roles": ["ops"]});
    let bearer = |t: String| format!("Bearer {t}");
    let (status, _, body) = send(&app(), post(&[("authorization", &bearer(jwt(good.clone(), SECRET)))])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"subject": "alice", "tenant": "t2", "roles": ["ops"]}));

    let mut unsigned = jwt(good.clone(), SECRET);
    unsigned.truncate(unsigned.rfind('.').unwrap() + 1);
    let cases = [
        (jwt(good.clone(), "another-secret-that-is-long-enough-000"), "invalid signature"),
        (jwt(with(&good, "exp", json!(now() - 3600)), SECRET), "token expired"),
        (jwt(with(&good, "nbf", json!(now() + 3600)), SECRET), "token not yet valid"),
        (jwt(with(&good, "aud", json!("https://elsewhere.test/mcp")), SECRET), "audience"),
        (jwt(with(&good, "iss", json!("someone-else")), SECRET), "issuer"),
        (unsigned, "invalid signature"),
        ("not.a.jwt".to_string(), "malformed"),
    ];
    for (token, reason) in cases {
        let (status, headers, body) = send(&app(), post(&[("authorization", &bearer(token))])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}: {body}");
        let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.contains(reason), "{reason}: {challenge}");
    }
}

#[tokio::test]
async fn origin_allowlist_rejects_foreign_origins() {
    let (status, _, body) = send(&app(), post(&[("x-api-key", "good-key"), ("origin", "https://evil.test")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["data"]["kind"], "forbidden");
    let (status, _, _) = send(&app(), post(&[("x-api-key", "good-key"), ("origin", "http://localhost:3000")])).await;
    assert_eq!(status, StatusCode::OK);
    let configured = app_with(sections(auth_section(), Default::default()), &["https://app.example.test".into()]);
    let (status, _, _) =
        send(&configured, post(&[("x-api-key", "good-key"), ("origin", "https://app.example.test")])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) =
        send(&configured, post(&[("x-api-key", "good-key"), ("origin", "http://localhost:3000")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cors_preflight_answers_allowed_origins_only() {
    let configured = app_with(sections(auth_section(), Default::default()), &["https://app.example.test".into()]);
    let preflight = |origin: &str| {
        Request::options("/mcp")
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "x-api-key, content-type")
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, _) = send(&configured, preflight("https://app.example.test")).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example.test");
    let (_, headers, _) = send(&configured, preflight("https://evil.test")).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn security_headers_are_set_on_every_response() {
    let req = Request::get("/healthz").header(header::HOST, "localhost").body(Body::empty()).unwrap();
    let (status, headers, _) = send(&app(), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    let (_, headers, _) = send(&app(), post(&[])).await;
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "401s carry them too");
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_per_credential() {
    let limits = RateLimitSection {
        enabled: Some(true),
        requests_per_second: Some(0.01),
        burst: Some(2),
        global: Some(Bucket { requests_per_second: 1000.0, burst: 1000 }),
        ..Default::default()
    };
    let app = app_with(sections(auth_section(), limits), &[]);
    let denied_before = metric_value("k8s_mcp_ratelimit_decisions_total{decision=\"denied\",scope=\"credential\"}");
    for _ in 0..2 {
        assert_eq!(send(&app, post(&[("x-api-key", "good-key")])).await.0, StatusCode::OK);
    }
    let (status, headers, body) = send(&app, post(&[("x-api-key", "good-key")])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert_eq!(body["error"]["code"], -32029, "{body}");
    // Another caller has its own bucket.
    let token = jwt(json!({"sub": "bob", "aud": RESOURCE, "iss": "test-issuer", "exp": now() + 300}), SECRET);
    assert_eq!(send(&app, post(&[("authorization", &format!("Bearer {token}"))])).await.0, StatusCode::OK);
    let denied_after = metric_value("k8s_mcp_ratelimit_decisions_total{decision=\"denied\",scope=\"credential\"}");
    assert!(denied_after > denied_before, "{denied_before} -> {denied_after}");
}

fn metric_value(series: &str) -> f64 {
    metrics::render().lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

#[tokio::test]
async fn http_requests_are_counted_by_route_and_status() {
    let series = "k8s_mcp_http_requests_total{method=\"POST\",route=\"/mcp\",status=\"401\"}";
    let before = metric_value(series);
    send(&app(), post(&[])).await;
    assert!(metric_value(series) > before);
}

#[tokio::test]
async fn auth_off_gives_the_anonymous_identity() {
    let app = app_with(sections(AuthSection::default(), Default::default()), &[]);
    let (status, _, body) = send(&app, post(&[])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["subject"], "anonymous");
    assert_eq!(body["tenant"], "default");
}

#[tokio::test]
async fn foreign_host_headers_are_refused_on_mcp_routes() {
    let config = FrontDoorConfig::build(sections(auth_section(), Default::default()), &|_| None, Some("off")).unwrap();
    let hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let fd = Arc::new(FrontDoor::with_hosts(&config, "default", &[], &hosts).unwrap());
    let echo = Router::new().route("/mcp", any(|| async { "reached" }));
    let app = http::assemble(echo, Router::new().route("/healthz", any(|| async { "ok" })), fd);
    let request = |host: &str, path: &str| {
        Request::post(path).header(header::HOST, host).header("x-api-key", "good-key").body(Body::empty()).unwrap()
    };
    assert_eq!(send(&app, request("localhost:8080", "/mcp")).await.0, StatusCode::OK);
    assert_eq!(send(&app, request("127.0.0.1", "/mcp")).await.0, StatusCode::OK);
    let (status, _, body) = send(&app, request("evil.example:8080", "/mcp")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["message"], "host not allowed");
    assert_eq!(send(&app, request("evil.example", "/healthz")).await.0, StatusCode::OK, "probes stay reachable");
}
