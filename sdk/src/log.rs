//! Logging routed to the runtime's tracing subscriber.

use crate::bindings::k8s_mcp::tools::log::{Level, log};

pub fn trace(msg: &str) {
    log(Level::Trace, msg)
}
pub fn debug(msg: &str) {
    log(Level::Debug, msg)
}
pub fn info(msg: &str) {
    log(Level::Info, msg)
}
pub fn warn(msg: &str) {
    log(Level::Warn, msg)
}
pub fn error(msg: &str) {
    log(Level::Error, msg)
}
