//! The legacy HTTP+SSE transport (MCP 2024-11-05) for clients that still
//! use it: `GET /sse` opens an event stream whose first `endpoint` event
//! names `/message?sessionId=…`; client messages are POSTed there and the
//! answers arrive on the stream. Each session runs the same MCP handler
//! over a channel transport, behind the same middleware as `/mcp`, and only
//! the credential that opened a session may post to it.

use crate::auth::identity::Identity;
use crate::call::Pipeline;
use crate::error::api::{ApiError, ErrorKind};
use crate::mcp::McpHandler;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::channel::mpsc;
use futures::{SinkExt, Stream, StreamExt};
use rmcp::ServiceExt;
use rmcp::model::{ClientJsonRpcMessage, GetExtensions, ServerJsonRpcMessage};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Largest accepted message body.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Messages queued per session in each direction.
const QUEUE: usize = 64;

struct Session {
    to_server: mpsc::Sender<ClientJsonRpcMessage>,
    credential: String,
}

pub struct SseState {
    core: Arc<Pipeline>,
    sessions: Mutex<HashMap<String, Session>>,
    shutdown: CancellationToken,
}

#[derive(serde::Deserialize)]
struct SessionQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

/// `/sse` and `/message`, to be placed behind the front door.
pub fn router(core: Arc<Pipeline>, shutdown: CancellationToken) -> Router {
    let state = Arc::new(SseState { core, sessions: Mutex::new(HashMap::new()), shutdown });
    Router::new()
        .route("/sse", axum::routing::get(open))
        .route("/message", axum::routing::post(post_message))
        .with_state(state)
}

/// Removes the session when the client's event stream goes away.
struct SessionGuard {
    state: Arc<SseState>,
    id: String,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.state.sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

async fn open(State(state): State<Arc<SseState>>, req: Request) -> Response {
    let Some(identity) = req.extensions().get::<Identity>().cloned() else {
        return ApiError::new(ErrorKind::Unauthorized, "authentication required").into_response();
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (to_server, from_client) = mpsc::channel::<ClientJsonRpcMessage>(QUEUE);
    let (to_client, from_server) = mpsc::channel::<ServerJsonRpcMessage>(QUEUE);
    state
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), Session { to_server, credential: identity.credential.clone() });
    let handler = McpHandler::new(state.core.clone());
    let ct = state.shutdown.child_token();
    let session = id.clone();
    tokio::spawn(async move {
        match handler.serve_with_ct((to_client, from_client), ct).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(e) => tracing::debug!(session, "SSE session ended before initialization: {e}"),
        }
    });
    let guard = SessionGuard { state: state.clone(), id: id.clone() };
    let endpoint = futures::stream::once(async move {
        Ok::<_, Infallible>(Event::default().event("endpoint").data(format!("/message?sessionId={id}")))
    });
    let messages = from_server.map(move |m| {
        let _keep = &guard;
        let data = serde_json::to_string(&m).unwrap_or_else(|_| "{}".into());
        Ok::<_, Infallible>(Event::default().event("message").data(data))
    });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(endpoint.chain(messages));
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

async fn post_message(State(state): State<Arc<SseState>>, Query(q): Query<SessionQuery>, req: Request) -> Response {
    let jsonrpc_error = |kind, message: &str| ApiError::new(kind, message).as_jsonrpc(true).into_response();
    let Some(id) = q.session_id else {
        return jsonrpc_error(ErrorKind::MissingParameter, "missing sessionId");
    };
    let (parts, body) = req.into_parts();
    let credential = parts.extensions.get::<Identity>().map(|i| i.credential.clone());
    let sender = {
        let sessions = state.sessions.lock().unwrap_or_else(|e| e.into_inner());
        match sessions.get(&id) {
            // Another caller's session is reported as unknown, not as forbidden.
            Some(s) if Some(&s.credential) == credential.as_ref() => s.to_server.clone(),
            _ => return jsonrpc_error(ErrorKind::NotFound, "unknown session"),
        }
    };
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_MESSAGE_BYTES).await {
        Ok(b) => b,
        Err(_) => return jsonrpc_error(ErrorKind::InvalidParameter, "message body too large or unreadable"),
    };
    let mut message: ClientJsonRpcMessage = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            let body = serde_json::json!({"jsonrpc": "2.0", "id": null,
                "error": {"code": -32700, "message": format!("parse error: {e}")}});
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    // The handler reads the caller's identity from the request parts, as with streamable HTTP.
    match &mut message {
        ClientJsonRpcMessage::Request(r) => {
            r.request.extensions_mut().insert(parts);
        }
        ClientJsonRpcMessage::Notification(n) => {
            n.notification.extensions_mut().insert(parts);
        }
        _ => {}
    }
    let mut sender = sender;
    match sender.send(message).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(_) => jsonrpc_error(ErrorKind::NotFound, "session closed"),
    }
}
