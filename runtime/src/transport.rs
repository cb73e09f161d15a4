//! Transports and the HTTP front: stdio, streamable HTTP (rmcp), the legacy
//! SSE endpoint, and the HTTP middleware stack every remote request passes.

pub mod http;
pub mod sessions;
pub mod sse;
pub mod stdio;
pub mod streamable;
