//! Streamable-HTTP sessions bound to the credential that created them: a
//! request naming another credential's session (or one that expired) gets
//! 404 as if it did not exist; an `initialize` that would open a session
//! past the per-credential or the global cap gets 429 with a JSON-RPC
//! envelope (and the session it opened is closed at once); a session idle past
//! `session_idle_seconds` is closed in rmcp's session manager. Sits inside
//! authentication, so every request here carries its `Identity`; with
//! authentication off, all callers are one and only the global cap applies.

use crate::auth::Identity;
use crate::config::sessions::SessionLimits;
use crate::error::api::{ApiError, ErrorKind};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SESSION_HEADER: &str = "mcp-session-id";

struct Open {
    credential: String,
    last: Instant,
}

#[derive(Default)]
struct Book {
    open: HashMap<String, Open>,
}

impl Book {
    fn held_by(&self, credential: &str) -> usize {
        self.open.values().filter(|o| o.credential == credential).count()
    }

    fn total(&self) -> usize {
        self.open.len()
    }
}

pub struct Sessions {
    limits: SessionLimits,
    manager: Arc<LocalSessionManager>,
    book: Mutex<Book>,
}

fn not_found() -> Response {
    ApiError::new(ErrorKind::NotFound, "session not found").as_jsonrpc(true).into_response()
}

impl Sessions {
    /// Bound sessions of `manager` (whose keep-alive should be `limits.idle`).
    pub fn new(limits: SessionLimits, manager: Arc<LocalSessionManager>) -> Self {
        Self { limits, manager, book: Mutex::new(Book::default()) }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Close `ids` in rmcp's manager, in the background.
    fn close(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let manager = self.manager.clone();
        tokio::spawn(async move {
            for id in ids {
                let _ = manager.close_session(&id.into()).await;
            }
        });
    }

    /// Forget and close every session idle past the limit.
    fn expire(&self, now: Instant) {
        let idle = self.limits.idle;
        let mut expired = Vec::new();
        self.book().open.retain(|id, o| {
            let keep = now.duration_since(o.last) <= idle;
            if !keep {
                expired.push(id.clone());
            }
            keep
        });
        self.close(expired);
    }

    /// Open sessions (for tests and metrics).
    pub fn open(&self) -> usize {
        self.book().open.len()
    }
}

pub async fn guard(State(s): State<Arc<Sessions>>, req: Request, next: Next) -> Response {
    let identity = req.extensions().get::<Identity>();
    let credential = identity.map_or_else(String::new, |i| i.credential.clone());
    // Without authentication every caller is the one anonymous caller: only the global cap applies.
    let per_credential = identity.is_some_and(|i| i.method != crate::auth::AuthMethod::None);
    let now = Instant::now();
    s.expire(now);
    let session = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let Some(id) = session else {
        // A POST without a session is an `initialize` or a stateless
        // request; only an answer that opens a session counts against the
        // caps, so stateless clients are never limited by them.
        let response = next.run(req).await;
        let Some(new_id) = response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
            return response;
        };
        let new_id = new_id.to_string();
        let refusal = {
            let mut book = s.book();
            let refusal = if per_credential && book.held_by(&credential) >= s.limits.max_per_credential {
                Some(format!("too many sessions: this credential holds {} already", s.limits.max_per_credential))
            } else if book.total() >= s.limits.max_total {
                Some(format!("too many sessions: the server holds {} already", s.limits.max_total))
            } else {
                None
            };
            if refusal.is_none() {
                book.open.insert(new_id.clone(), Open { credential, last: Instant::now() });
            }
            refusal
        };
        return match refusal {
            None => response,
            Some(message) => {
                s.close(vec![new_id]);
                ApiError::new(ErrorKind::RateLimited, message)
                    .retry_after(s.limits.idle.as_secs())
                    .as_jsonrpc(true)
                    .into_response()
            }
        };
    };
    match s.book().open.get_mut(&id) {
        Some(o) if o.credential == credential => o.last = now,
        _ => return not_found(),
    }
    let delete = req.method() == Method::DELETE;
    let response = next.run(req).await;
    if delete && response.status().is_success() {
        s.book().open.remove(&id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tower::ServiceExt;

    /// A stand-in for rmcp's service: every POST without a session opens one.
    fn app(limits: SessionLimits) -> axum::Router {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let sessions = Arc::new(Sessions::new(limits, Arc::new(LocalSessionManager::default())));
        let handler = |req: Request| async move {
            match req.headers().get(SESSION_HEADER) {
                None => {
                    ([(SESSION_HEADER, format!("s{}", NEXT.fetch_add(1, Ordering::Relaxed)))], "new").into_response()
                }
                Some(_) => "ok".into_response(),
            }
        };
        axum::Router::new()
            .route("/mcp", axum::routing::any(handler))
            .layer(axum::middleware::from_fn_with_state(sessions, guard))
    }

    async fn send(app: &axum::Router, who: &str, method: Method, session: Option<&str>) -> Response {
        let mut req = axum::http::Request::builder().method(method).uri("/mcp");
        if let Some(s) = session {
            req = req.header(SESSION_HEADER, s);
        }
        let mut req = req.body(Body::empty()).unwrap();
        let id =
            Identity { credential: who.into(), method: crate::auth::AuthMethod::ApiKey, ..Identity::anonymous("t") };
        req.extensions_mut().insert(id);
        app.clone().oneshot(req).await.unwrap()
    }

    fn limits(total: usize, per: usize) -> SessionLimits {
        SessionLimits { max_total: total, max_per_credential: per, idle: std::time::Duration::from_secs(60) }
    }

    #[tokio::test]
    async fn a_session_answers_only_its_owner_and_deletion_frees_it() {
        let app = app(limits(10, 1));
        let r = send(&app, "a", Method::POST, None).await;
        let sid = r.headers()[SESSION_HEADER].to_str().unwrap().to_string();
        assert_eq!(send(&app, "a", Method::POST, Some(&sid)).await.status(), StatusCode::OK);
        assert_eq!(send(&app, "b", Method::POST, Some(&sid)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(send(&app, "b", Method::DELETE, Some(&sid)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(send(&app, "a", Method::POST, None).await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(send(&app, "a", Method::DELETE, Some(&sid)).await.status(), StatusCode::OK);
        assert_eq!(send(&app, "a", Method::POST, Some(&sid)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(send(&app, "a", Method::POST, None).await.status(), StatusCode::OK, "the slot was given back");
    }

    #[tokio::test]
    async fn the_global_cap_counts_every_credential() {
        let app = app(limits(2, 5));
        assert_eq!(send(&app, "a", Method::POST, None).await.status(), StatusCode::OK);
        assert_eq!(send(&app, "b", Method::POST, None).await.status(), StatusCode::OK);
        let full = send(&app, "c", Method::POST, None).await;
        assert_eq!(full.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(full.headers().contains_key("retry-after"));
    }

    #[tokio::test]
    async fn stateless_requests_are_never_capped() {
        let sessions = Arc::new(Sessions::new(limits(1, 1), Arc::new(LocalSessionManager::default())));
        let stateless = axum::Router::new()
            .route("/mcp", axum::routing::any(|| async { "answer without a session" }))
            .layer(axum::middleware::from_fn_with_state(sessions.clone(), guard));
        for _ in 0..20 {
            assert_eq!(send(&stateless, "a", Method::POST, None).await.status(), StatusCode::OK);
        }
        assert_eq!(sessions.open(), 0);
    }
}
