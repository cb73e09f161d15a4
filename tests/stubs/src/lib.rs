//! Shared plumbing for the stub servers under `src/bin/`: each binds a
//! loopback port, prints `listening on http://127.0.0.1:PORT` on stdout (the
//! tests read that line) and serves until killed.
//!
//! These are **stubs**: they follow the routes, status codes and JSON shapes
//! of the upstream projects' published API documentation, with in-memory
//! state, so the components can be exercised end to end where no real server
//! can be installed. They are not the real services.

use std::io::Write;
use std::net::SocketAddr;

use axum::Router;

/// Serve `app` on `127.0.0.1:<port>` (port from the first CLI argument, 0 =
/// any free port), announce the address on stdout and run until killed.
pub async fn serve(app: Router) {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let mut out = std::io::stdout();
    writeln!(out, "listening on http://{addr}").and_then(|()| out.flush()).expect("announce the address");
    axum::serve(listener, app).await.expect("serve");
}
