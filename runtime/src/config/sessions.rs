//! `[server] max_sessions`, `max_sessions_per_credential` and
//! `session_idle_seconds`: the bounds on streamable-HTTP sessions.

use crate::error::{Error, Result};
use std::time::Duration;

pub const DEFAULT_MAX_SESSIONS: usize = 1_000;
pub const DEFAULT_MAX_SESSIONS_PER_CREDENTIAL: usize = 16;
/// rmcp's own keep-alive default.
pub const DEFAULT_SESSION_IDLE_SECONDS: u64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Sessions open at once, every caller together.
    pub max_total: usize,
    /// Sessions one credential may hold open at once.
    pub max_per_credential: usize,
    /// A session without a request for this long is closed.
    pub idle: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            max_total: DEFAULT_MAX_SESSIONS,
            max_per_credential: DEFAULT_MAX_SESSIONS_PER_CREDENTIAL,
            idle: Duration::from_secs(DEFAULT_SESSION_IDLE_SECONDS),
        }
    }
}

impl SessionLimits {
    pub fn new(max_total: Option<usize>, max_per_credential: Option<usize>, idle: Option<u64>) -> Result<Self> {
        let max_total = max_total.unwrap_or(DEFAULT_MAX_SESSIONS);
        let max_per_credential = max_per_credential.unwrap_or(DEFAULT_MAX_SESSIONS_PER_CREDENTIAL);
        let idle = idle.unwrap_or(DEFAULT_SESSION_IDLE_SECONDS);
        if max_total == 0 {
            return Err(Error::invalid("server.max_sessions", "must be at least 1"));
        }
        if max_per_credential == 0 {
            return Err(Error::invalid("server.max_sessions_per_credential", "must be at least 1"));
        }
        if !(1..=86_400).contains(&idle) {
            return Err(Error::invalid("server.session_idle_seconds", "must be between 1 and 86400"));
        }
        Ok(Self { max_total, max_per_credential, idle: Duration::from_secs(idle) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values_name_the_key() {
        assert_eq!(SessionLimits::new(None, None, None).unwrap(), SessionLimits::default());
        let err = |t, c, i| SessionLimits::new(t, c, i).unwrap_err().to_string();
        assert!(err(Some(0), None, None).contains("server.max_sessions"));
        assert!(err(None, Some(0), None).contains("server.max_sessions_per_credential"));
        assert!(err(None, None, Some(0)).contains("server.session_idle_seconds"));
    }
}
