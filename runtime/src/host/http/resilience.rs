//! Retries and per-origin circuit breakers for outbound HTTP.
//!
//! Idempotent requests (GET/HEAD without a body) are retried on connection
//! failures and 502/503/504 with exponential backoff. After
//! `breaker_failures` consecutive failures an origin's breaker opens: calls
//! fail fast for `breaker_cooldown`, then one request probes the origin.
//! Breakers are shared by all calls of a component, keyed by the normalised
//! origin (`policy::egress::Origin`), so spellings of one origin share one
//! breaker. The map is bounded: a breaker unused for `IDLE` is dropped, and
//! at `MAX_ORIGINS` the least recently used closed breaker makes room.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wasmtime_wasi_http::Error as HttpError;

const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Origins tracked per component. A component talks to a handful of
/// backends; a wildcard rule lets it name any number, which must not grow
/// the map (or the metric series drawn from it) without bound.
pub const MAX_ORIGINS: usize = 64;
/// A closed breaker unused this long is forgotten (an open one is kept until
/// its cooldown has passed).
pub const IDLE: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    last_used: Instant,
}

impl Breaker {
    fn is_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|u| u > now)
    }
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

    /// Every origin tracked, and whether its breaker is open now (for metrics).
    pub fn states(&self) -> Vec<(String, bool)> {
        let mut map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        prune(&mut map, now);
        map.iter().map(|(origin, b)| (origin.clone(), b.is_open(now))).collect()
    }

    /// Count a request's outcome against `origin` (a normalised origin).
    pub fn record(&self, origin: &str, ok: bool, threshold: u32, cooldown: Duration) {
        let mut map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if !map.contains_key(origin) {
            prune(&mut map, now);
            if map.len() >= MAX_ORIGINS {
                evict_one(&mut map, now);
            }
        }
        let b = map.entry(origin.to_string()).or_insert(Breaker { failures: 0, open_until: None, last_used: now });
        b.last_used = now;
        if ok {
            b.failures = 0;
            b.open_until = None;
            return;
        }
        b.failures = b.failures.saturating_add(1);
        if threshold > 0 && b.failures >= threshold {
            b.open_until = Some(now + cooldown);
            tracing::warn!(origin, failures = b.failures, "circuit breaker open for {cooldown:?}");
        }
    }
}

/// Forget closed breakers unused for `IDLE`.
fn prune(map: &mut HashMap<String, Breaker>, now: Instant) {
    map.retain(|_, b| b.is_open(now) || now.duration_since(b.last_used) < IDLE);
}

/// Make room: the least recently used closed breaker goes, or, when every
/// breaker is open, the least recently used one.
fn evict_one(map: &mut HashMap<String, Breaker>, now: Instant) {
    let oldest = |open: bool| {
        map.iter().filter(|(_, b)| open || !b.is_open(now)).min_by_key(|(_, b)| b.last_used).map(|(o, _)| o.clone())
    };
    if let Some(origin) = oldest(false).or_else(|| oldest(true)) {
        map.remove(&origin);
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
    fn the_map_is_bounded_and_keeps_open_breakers() {
        let b = Breakers::default();
        b.record("http://down:1", false, 1, Duration::from_secs(60));
        for i in 0..(MAX_ORIGINS * 3) {
            b.record(&format!("http://h{i}:80"), true, 1, Duration::from_secs(60));
        }
        let states = b.states();
        assert_eq!(states.len(), MAX_ORIGINS);
        assert!(states.contains(&("http://down:1".to_string(), true)), "the open breaker survives eviction");
        assert!(b.admit("http://down:1").is_err());
        // The newest closed ones stayed, the oldest went.
        assert!(states.iter().any(|(o, _)| o == &format!("http://h{}:80", MAX_ORIGINS * 3 - 1)));
        assert!(!states.iter().any(|(o, _)| o == "http://h0:80"));
    }

    #[test]
    fn when_every_breaker_is_open_the_oldest_goes() {
        let b = Breakers::default();
        for i in 0..=MAX_ORIGINS {
            b.record(&format!("http://h{i}:80"), false, 1, Duration::from_secs(60));
        }
        let states = b.states();
        assert_eq!(states.len(), MAX_ORIGINS);
        assert!(states.iter().all(|(_, open)| *open));
        assert!(b.admit("http://h0:80").is_ok() && b.admit(&format!("http://h{MAX_ORIGINS}:80")).is_err());
    }

    #[test]
    fn idle_closed_breakers_are_pruned() {
        let b = Breakers::default();
        b.record("http://x:1", true, 1, Duration::from_secs(60));
        b.record("http://y:1", false, 1, IDLE * 2);
        let mut map = b.by_origin.lock().unwrap();
        prune(&mut map, Instant::now() + IDLE / 2);
        assert_eq!(map.len(), 2, "recently used breakers stay");
        prune(&mut map, Instant::now() + IDLE + Duration::from_secs(1));
        let left: Vec<&String> = map.keys().collect();
        assert_eq!(left, ["http://y:1"], "closed and idle is forgotten, open is kept");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(10), Duration::from_secs(2));
    }
}
