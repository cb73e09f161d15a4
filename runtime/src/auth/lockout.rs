//! Failed authentications, counted per user name and per client address:
//! past the limit, that user or address is refused (429 with
//! `Retry-After`) before any password is verified, for a backoff that
//! doubles with every further failure. A success clears the user's count.

pub use crate::config::frontdoor::LockoutLimits;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest a user or address is locked out.
const MAX_BACKOFF: Duration = Duration::from_secs(900);
/// Failures older than this (with no lock running) are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(900);
/// Bound on remembered keys; past it, forgotten entries are dropped first.
const MAX_ENTRIES: usize = 65_536;

#[derive(Clone, Copy)]
struct Strikes {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

#[derive(Default)]
pub struct FailedLogins {
    limits: LockoutLimits,
    entries: Mutex<HashMap<String, Strikes>>,
}

/// Whole seconds to wait, at least 1.
fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0 || d.is_zero())
}

impl FailedLogins {
    pub fn new(limits: LockoutLimits) -> Self {
        Self { limits, entries: Mutex::new(HashMap::new()) }
    }

    fn keys(address: &str, user: Option<&str>) -> [(Option<String>, bool); 2] {
        [(Some(format!("addr:{address}")), false), (user.map(|u| format!("user:{u}")), true)]
    }

    fn limit(&self, is_user: bool) -> u32 {
        if is_user { self.limits.per_user } else { self.limits.per_address }
    }

    /// `Err(seconds)` while the address or the user is locked out.
    pub fn check(&self, address: &str, user: Option<&str>) -> Result<(), u64> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = Self::keys(address, user)
            .into_iter()
            .filter_map(|(k, _)| entries.get(k.as_deref()?)?.locked_until)
            .filter(|until| *until > now)
            .max();
        match wait {
            Some(until) => Err(secs(until - now)),
            None => Ok(()),
        }
    }

    /// Count a refused credential from `address` (for `user`, when it named one).
    pub fn failed(&self, address: &str, user: Option<&str>) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, s| s.locked_until.is_some_and(|u| u > now) || now - s.last < FORGET_AFTER);
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, s| s.locked_until.is_some_and(|u| u > now));
            }
        }
        for (key, is_user) in Self::keys(address, user) {
            let (Some(key), limit) = (key, self.limit(is_user)) else { continue };
            if limit == 0 {
                continue;
            }
            let s = entries.entry(key).or_insert(Strikes { failures: 0, last: now, locked_until: None });
            if s.locked_until.is_none_or(|u| u <= now) && now - s.last >= FORGET_AFTER {
                *s = Strikes { failures: 0, last: now, locked_until: None };
            }
            s.failures = s.failures.saturating_add(1);
            s.last = now;
            if s.failures >= limit {
                let doublings = (s.failures - limit).min(20);
                let backoff = self.limits.backoff.saturating_mul(1 << doublings).min(MAX_BACKOFF);
                s.locked_until = Some(now + backoff);
            }
        }
    }

    /// A user authenticated: its count starts again (the address's stays).
    pub fn succeeded(&self, user: Option<&str>) {
        if let Some(u) = user {
            self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(&format!("user:{u}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_user: u32, per_address: u32) -> FailedLogins {
        FailedLogins::new(LockoutLimits { per_user, per_address, backoff: Duration::from_secs(30) })
    }

    #[test]
    fn a_user_is_locked_after_its_limit_whatever_the_address() {
        let f = limits(3, 100);
        for i in 0..3 {
            assert!(f.check(&format!("10.0.0.{i}"), Some("alice")).is_ok());
            f.failed(&format!("10.0.0.{i}"), Some("alice"));
        }
        let wait = f.check("10.0.0.9", Some("alice")).unwrap_err();
        assert!((29..=30).contains(&wait), "{wait}");
        assert!(f.check("10.0.0.9", Some("bob")).is_ok(), "another user is not locked");
    }

    #[test]
    fn an_address_is_locked_after_its_limit_whatever_the_user() {
        let f = limits(100, 4);
        for i in 0..4 {
            f.failed("10.0.0.1", Some(&format!("user{i}")));
        }
        assert!(f.check("10.0.0.1", Some("fresh")).is_err());
        assert!(f.check("10.0.0.1", None).is_err(), "API keys from there too");
        assert!(f.check("10.0.0.2", Some("fresh")).is_ok());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let f = limits(1, 0);
        f.failed("a", Some("u"));
        assert!(f.check("a", Some("u")).unwrap_err() <= 30);
        f.failed("a", Some("u"));
        assert!(f.check("a", Some("u")).unwrap_err() > 30);
        for _ in 0..40 {
            f.failed("a", Some("u"));
        }
        assert!(f.check("a", Some("u")).unwrap_err() <= MAX_BACKOFF.as_secs());
    }

    #[test]
    fn success_clears_the_user_and_zero_disables() {
        let f = limits(2, 0);
        f.failed("a", Some("u"));
        f.succeeded(Some("u"));
        f.failed("a", Some("u"));
        assert!(f.check("a", Some("u")).is_ok(), "the count started again");
        let off = limits(0, 0);
        for _ in 0..50 {
            off.failed("a", Some("u"));
        }
        assert!(off.check("a", Some("u")).is_ok());
    }
}
