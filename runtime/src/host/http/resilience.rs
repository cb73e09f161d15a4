//! Retries and per-origin circuit breakers for outbound HTTP.
//!
//! Idempotent requests (GET/HEAD without a body) are retried on connection
//! failures and 502/503/504 with exponential backoff. After
//! `breaker_failures` consecutive failures an origin's breaker opens: calls
//! fail fast for `breaker_cooldown`, then one request probes the origin.
//! Breakers are shared by all calls of a component.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wasmtime_wasi_http::Error as HttpError;

const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

/// Circuit breakers of one component, keyed by origin.
#[derive(Debug, Default)]
pub struct Breakers {
    by_origin: Mutex<HashMap<String, Breaker>>,
}

impl Breakers {
    /// `Err(remaining)` while the origin's breaker is open.
    pub fn admit(&self, origin: &str) -> Result<(), Duration> {
        let map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(origin).and_then(|b| b.open_until) {
            Some(until) if until > Instant::now() => Err(until - Instant::now()),
            _ => Ok(()),
        }
    }

    /// Every origin seen, and whether its breaker is open now (for metrics).
    pub fn states(&self) -> Vec<(String, bool)> {
        let map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.iter().map(|(origin, b)| (origin.clone(), b.open_until.is_some_and(|u| u > now))).collect()
    }

    pub fn record(&self, origin: &str, ok: bool, threshold: u32, cooldown: Duration) {
        let mut map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        let b = map.entry(origin.to_string()).or_default();
        if ok {
            *b = Breaker::default();
            return;
        }
        b.failures = b.failures.saturating_add(1);
        if threshold > 0 && b.failures >= threshold {
            b.open_until = Some(Instant::now() + cooldown);
            tracing::warn!(origin, failures = b.failures, "circuit breaker open for {cooldown:?}");
        }
    }
}

/// Whether a failure is worth retrying (and counts against the breaker).
pub fn is_transient(e: &HttpError) -> bool {
    matches!(
        e,
        HttpError::Connect(_)
            | HttpError::ConnectionRefused
            | HttpError::ConnectionTerminated
            | HttpError::ConnectionTimeout
            | HttpError::ConnectionReadTimeout
            | HttpError::ConnectionWriteTimeout
            | HttpError::DestinationUnavailable
            | HttpError::DnsTimeout
            | HttpError::HttpResponseIncomplete
    )
}

pub fn is_transient_status(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 502..=504)
}

/// Backoff before retry number `attempt` (1-based).
pub fn backoff(attempt: u32) -> Duration {
    BACKOFF_START.saturating_mul(1 << attempt.saturating_sub(1).min(8)).min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_threshold_and_closes_on_success() {
        let b = Breakers::default();
        for _ in 0..2 {
            b.record("http://x:1", false, 3, Duration::from_secs(60));
            assert!(b.admit("http://x:1").is_ok());
        }
        b.record("http://x:1", false, 3, Duration::from_secs(60));
        assert!(b.admit("http://x:1").is_err());
        assert!(b.admit("http://other:1").is_ok());
        b.record("http://x:1", true, 3, Duration::from_secs(60));
        assert!(b.admit("http://x:1").is_ok());
    }

    #[test]
    fn breaker_reopens_for_probe_after_cooldown() {
        let b = Breakers::default();
        b.record("o", false, 1, Duration::ZERO);
        assert!(b.admit("o").is_ok());
    }

    #[test]
    fn zero_threshold_never_opens() {
        let b = Breakers::default();
        for _ in 0..100 {
            b.record("o", false, 0, Duration::from_secs(60));
        }
        assert!(b.admit("o").is_ok());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(10), Duration::from_secs(2));
    }
}
