//! Token buckets (governor): requests that fail authentication share one
//! bucket of their own, so a flood of them cannot starve anyone else;
//! authenticated requests pass the global bucket, then one per credential and
//! one per tenant. Every decision is counted.

use super::identity::Identity;
use crate::config::frontdoor::{Bucket, Limits};
use crate::telemetry as metrics;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The slowest refill a bucket can have.
const MAX_PERIOD: Duration = Duration::from_secs(86_400);
/// Forget idle keys every this many checks, so the maps stay small.
const RETAIN_EVERY: u64 = 4096;

pub struct RateLimits {
    /// As configured: a reload with the same limits keeps these buckets.
    limits: Limits,
    global: Option<DefaultDirectRateLimiter>,
    unauthenticated: Option<DefaultDirectRateLimiter>,
    credential: DefaultKeyedRateLimiter<String>,
    tenant: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
    clock: DefaultClock,
}

pub(crate) fn quota(b: Bucket) -> Quota {
    // Clamped to [1 ns, 1 day] so extreme rates cannot overflow the conversion.
    let period = Duration::try_from_secs_f64(1.0 / b.requests_per_second)
        .unwrap_or(MAX_PERIOD)
        .clamp(Duration::from_nanos(1), MAX_PERIOD);
    let burst = NonZeroU32::new(b.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
}

/// Whole seconds to wait, at least 1 (the `Retry-After` unit).
fn retry_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait.is_zero())
}

impl RateLimits {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            global: limits.global.map(|b| RateLimiter::direct(quota(b))),
            unauthenticated: limits.unauthenticated.map(|b| RateLimiter::direct(quota(b))),
            credential: RateLimiter::keyed(quota(limits.credential)),
            tenant: limits.tenant.map(|b| RateLimiter::keyed(quota(b))),
            checks: AtomicU64::new(0),
            clock: DefaultClock::default(),
        }
    }

    fn decide(
        &self,
        scope: &'static str,
        r: Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>>,
    ) -> Result<(), u64> {
        match r {
            Ok(()) => {
                metrics::get().ratelimit.with_label_values(&[scope, "allowed"]).inc();
                Ok(())
            }
            Err(not_until) => {
                metrics::get().ratelimit.with_label_values(&[scope, "denied"]).inc();
                Err(retry_secs(not_until.wait_time_from(self.clock.now())))
            }
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The bucket of requests without a valid credential; `Err(seconds to wait)` when empty.
    pub fn check_unauthenticated(&self) -> Result<(), u64> {
        match &self.unauthenticated {
            Some(u) => self.decide("unauthenticated", u.check()),
            None => Ok(()),
        }
    }

    /// The global bucket of authenticated requests; `Err(seconds to wait)` when empty.
    pub fn check_global(&self) -> Result<(), u64> {
        match &self.global {
            Some(g) => self.decide("global", g.check()),
            None => Ok(()),
        }
    }

    /// The caller's credential and tenant buckets.
    pub fn check_identity(&self, id: &Identity) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.credential.retain_recent();
            if let Some(t) = &self.tenant {
                t.retain_recent();
            }
        }
        self.decide("credential", self.credential.check_key(&id.credential))?;
        match &self.tenant {
            Some(t) => self.decide("tenant", t.check_key(&id.tenant)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(credential: &str, tenant: &str) -> Identity {
        Identity { credential: credential.into(), tenant: tenant.into(), ..Identity::anonymous(tenant) }
    }

    #[test]
    fn buckets_are_per_credential_and_per_tenant() {
        let slow = Bucket { requests_per_second: 0.001, burst: 2 };
        let limits =
            Limits { credential: slow, tenant: Some(Bucket { burst: 3, ..slow }), global: None, unauthenticated: None };
        let r = RateLimits::new(limits);
        assert!(r.check_identity(&who("a", "t1")).is_ok());
        assert!(r.check_identity(&who("a", "t1")).is_ok());
        let wait = r.check_identity(&who("a", "t1")).unwrap_err();
        assert!(wait >= 1, "{wait}");
        // Another credential of the same tenant has its own bucket, until the tenant's runs dry.
        assert!(r.check_identity(&who("b", "t1")).is_ok());
        assert!(r.check_identity(&who("c", "t1")).is_err());
        assert!(r.check_identity(&who("c", "t2")).is_ok());
    }

    #[test]
    fn extreme_rates_do_not_panic() {
        for rps in [1e-300, 1e300, f64::MIN_POSITIVE] {
            let b = Bucket { requests_per_second: rps, burst: 1 };
            let r =
                RateLimits::new(Limits { credential: b, tenant: Some(b), global: Some(b), unauthenticated: Some(b) });
            assert!(r.check_global().is_ok());
        }
    }

    #[test]
    fn global_bucket_limits_everyone() {
        let b = Bucket { requests_per_second: 0.001, burst: 1 };
        let r = RateLimits::new(Limits { credential: b, tenant: None, global: Some(b), unauthenticated: Some(b) });
        assert!(r.check_global().is_ok());
        assert!(r.check_global().is_err());
    }

    #[test]
    fn unauthenticated_requests_do_not_drain_the_global_bucket() {
        let b = Bucket { requests_per_second: 0.001, burst: 2 };
        let r = RateLimits::new(Limits { credential: b, tenant: None, global: Some(b), unauthenticated: Some(b) });
        for _ in 0..2 {
            assert!(r.check_unauthenticated().is_ok());
        }
        assert!(r.check_unauthenticated().is_err());
        assert!(r.check_global().is_ok(), "the flood had its own bucket");
    }
}
