//! A tenant's quotas: its fuel meter, token bucket and concurrency gate.
//! They outlive the catalog that made them: a reload hands the running ones
//! to the new catalog ([`Quotas::keep`]), so a reload never refills a
//! bucket, empties a fuel window or frees a slot a running call holds.

use crate::config::frontdoor::Bucket;
use governor::{DefaultDirectRateLimiter, RateLimiter};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The length of a fuel window.
pub const FUEL_WINDOW: Duration = Duration::from_secs(60);

/// What limits one tenant's calls together; `None`: that limit is off.
#[derive(Default)]
pub struct Quotas {
    pub rate: Option<Arc<TenantRate>>,
    pub fuel: Option<Arc<FuelMeter>>,
    /// Present for every tenant, limited or not, so that a limit added by a
    /// reload counts the calls already running.
    pub gate: Option<Arc<Gate>>,
}

impl Quotas {
    /// Carry `old`'s state into these freshly built quotas: the bucket when
    /// its rate and burst are unchanged (a bucket cannot change its rate), the
    /// fuel window with the new budget, the gate with the new limit.
    pub fn keep(&mut self, old: &Quotas) {
        if let (Some(new), Some(old)) = (&self.rate, &old.rate)
            && new.bucket == old.bucket
        {
            self.rate = Some(old.clone());
        }
        if let (Some(new), Some(old)) = (&self.fuel, &old.fuel) {
            old.set_budget(new.budget());
            self.fuel = Some(old.clone());
        }
        if let (Some(new), Some(old)) = (&self.gate, &old.gate) {
            old.resize(new.limit());
            self.gate = Some(old.clone());
        }
    }
}

/// A tenant's token bucket for tool calls.
pub struct TenantRate {
    bucket: Bucket,
    limiter: DefaultDirectRateLimiter,
}

impl TenantRate {
    pub fn new(bucket: Bucket) -> Self {
        Self { bucket, limiter: RateLimiter::direct(crate::auth::ratelimit::quota(bucket)) }
    }

    /// `false` when the bucket is empty.
    pub fn check(&self) -> bool {
        self.limiter.check().is_ok()
    }
}

/// A one-minute window of fuel, all of a tenant's calls together. A call is
/// admitted only while what the window has used plus what running calls
/// have reserved is below the budget, and it reserves its whole fuel budget
/// at admission; when it ends, what it used is charged and the rest
/// refunded. So however many calls start at once, a window's fuel can pass
/// the budget by at most one call's budget.
#[derive(Debug)]
pub struct FuelMeter {
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    budget: u64,
    /// When this window began: at the first admission after the last one
    /// ended (or when the last one ended, if calls were still running).
    started: Option<Instant>,
    used: u64,
    /// Fuel budgets of admitted calls that have not ended yet. They stay
    /// reserved when a window ends: the calls burn into the next one.
    reserved: u64,
}

impl FuelMeter {
    pub fn new(budget: u64) -> Self {
        Self { window: Mutex::new(Window { budget, started: None, used: 0, reserved: 0 }) }
    }

    fn current(&self) -> MutexGuard<'_, Window> {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.started.is_some_and(|s| s.elapsed() >= FUEL_WINDOW) {
            w.used = 0;
            w.started = (w.reserved > 0).then(Instant::now);
        }
        w
    }

    /// Admit a call that may burn up to `fuel`, reserving it; `Err(seconds
    /// until the window ends)` when the budget is spent or reserved.
    pub fn reserve(self: &Arc<Self>, fuel: u64) -> Result<FuelReservation, u64> {
        let mut w = self.current();
        if w.used.saturating_add(w.reserved) >= w.budget {
            let elapsed = w.started.map_or(Duration::ZERO, |s| s.elapsed());
            return Err(FUEL_WINDOW.saturating_sub(elapsed).as_secs().max(1));
        }
        w.started.get_or_insert_with(Instant::now);
        w.reserved = w.reserved.saturating_add(fuel);
        Ok(FuelReservation { meter: self.clone(), fuel, state: State::Reserved })
    }

    /// Release a reservation of `reserved`, charging `used`.
    fn settle(&self, reserved: u64, used: u64) {
        let mut w = self.current();
        w.reserved = w.reserved.saturating_sub(reserved);
        w.used = w.used.saturating_add(used);
    }

    pub fn budget(&self) -> u64 {
        self.current().budget
    }

    fn set_budget(&self, budget: u64) {
        self.current().budget = budget;
    }

    /// Fuel used in this window and fuel reserved by running calls.
    pub fn usage(&self) -> (u64, u64) {
        let w = self.current();
        (w.used, w.reserved)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reserved,
    Running,
    Settled,
}

/// One admitted call's fuel. Dropped before the call runs (a cache hit, a
/// refusal further on) it is refunded; dropped while the call runs (the
/// call abandoned) it is charged in full, as nobody counted what it burned.
#[derive(Debug)]
pub struct FuelReservation {
    meter: Arc<FuelMeter>,
    fuel: u64,
    state: State,
}

impl FuelReservation {
    /// The call starts burning fuel.
    pub fn running(&mut self) {
        self.state = State::Running;
    }

    /// The call ended having used `used`: charge it, refund the rest.
    pub fn settle(mut self, used: u64) {
        self.state = State::Settled;
        self.meter.settle(self.fuel, used);
    }
}

impl Drop for FuelReservation {
    fn drop(&mut self) {
        match self.state {
            State::Reserved => self.meter.settle(self.fuel, 0),
            State::Running => self.meter.settle(self.fuel, self.fuel),
            State::Settled => {}
        }
    }
}

/// A tenant's concurrency slots. The limit can change while calls hold
/// slots: raising it opens slots at once, lowering it closes free slots and
/// then, one by one, the slots running calls give back.
#[derive(Debug)]
pub struct Gate {
    semaphore: Arc<Semaphore>,
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    limit: Option<usize>,
    /// Slots to close when running calls give them back.
    debt: usize,
}

/// The permits of a gate without a limit.
const UNLIMITED: usize = Semaphore::MAX_PERMITS;

fn permits(limit: Option<usize>) -> usize {
    limit.unwrap_or(UNLIMITED)
}

impl Gate {
    pub fn new(limit: Option<usize>) -> Self {
        Self { semaphore: Arc::new(Semaphore::new(permits(limit))), state: Mutex::new(GateState { limit, debt: 0 }) }
    }

    fn state(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limit(&self) -> Option<usize> {
        self.state().limit
    }

    /// Wait for a slot.
    pub async fn acquire(self: &Arc<Self>) -> Option<GatePermit> {
        let permit = self.semaphore.clone().acquire_owned().await.ok()?;
        Some(GatePermit { permit: Some(permit), gate: self.clone() })
    }

    /// Slots held by running calls.
    pub fn in_use(&self) -> usize {
        let s = self.state();
        permits(s.limit) + s.debt - self.semaphore.available_permits()
    }

    fn resize(&self, limit: Option<usize>) {
        let mut s = self.state();
        let (old, new) = (permits(s.limit), permits(limit));
        if new > old {
            let paid = s.debt.min(new - old);
            s.debt -= paid;
            self.semaphore.add_permits(new - old - paid);
        } else {
            let closed = self.semaphore.forget_permits(old - new);
            s.debt += old - new - closed;
        }
        s.limit = limit;
    }
}

/// A slot of a tenant's gate, given back when dropped.
#[derive(Debug)]
pub struct GatePermit {
    permit: Option<OwnedSemaphorePermit>,
    gate: Arc<Gate>,
}

impl Drop for GatePermit {
    fn drop(&mut self) {
        let mut s = self.gate.state();
        if s.debt > 0 {
            s.debt -= 1;
            if let Some(p) = self.permit.take() {
                p.forget();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reserves_its_budget_and_gets_back_what_it_did_not_use() {
        let m = Arc::new(FuelMeter::new(100));
        let r = m.reserve(60).unwrap();
        assert_eq!(m.usage(), (0, 60));
        r.settle(10);
        assert_eq!(m.usage(), (10, 0), "50 of the 60 reserved are refunded");
        let r = m.reserve(60).unwrap();
        drop(r);
        assert_eq!(m.usage(), (10, 0), "a call that never ran costs nothing");
        let mut r = m.reserve(60).unwrap();
        r.running();
        drop(r);
        assert_eq!(m.usage(), (70, 0), "an abandoned running call is charged its whole budget");
    }

    #[test]
    fn reservations_refuse_before_the_fuel_is_burned() {
        let m = Arc::new(FuelMeter::new(100));
        let first = m.reserve(60).unwrap();
        let second = m.reserve(60).unwrap();
        let wait = m.reserve(60).expect_err("120 of 100 reserved: the third call is refused");
        assert!((1..=60).contains(&wait), "{wait}");
        first.settle(60);
        second.settle(60);
        assert!(m.reserve(1).is_err(), "the window is spent");
    }

    #[test]
    fn concurrent_reservations_never_pass_the_budget_by_more_than_one_call() {
        const BUDGET: u64 = 1_000;
        const CALL: u64 = 300;
        let m = Arc::new(FuelMeter::new(BUDGET));
        let barrier = Arc::new(std::sync::Barrier::new(16));
        let admitted: u64 = std::thread::scope(|s| {
            let calls: Vec<_> = (0..16)
                .map(|_| {
                    let (m, barrier) = (m.clone(), barrier.clone());
                    s.spawn(move || {
                        barrier.wait();
                        let mut n = 0;
                        // Each thread keeps calling; every call burns its whole budget.
                        while let Ok(mut r) = m.reserve(CALL) {
                            r.running();
                            std::thread::yield_now();
                            r.settle(CALL);
                            n += 1;
                        }
                        n
                    })
                })
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).sum()
        });
        let (used, reserved) = m.usage();
        assert_eq!(reserved, 0);
        assert_eq!(used, admitted * CALL);
        assert!((BUDGET..BUDGET + CALL).contains(&used), "burned {used} of a budget of {BUDGET}");
    }

    #[tokio::test]
    async fn a_lower_limit_waits_for_running_calls_to_give_back_their_slots() {
        let gate = Arc::new(Gate::new(Some(3)));
        let held: Vec<GatePermit> = vec![gate.acquire().await.unwrap(), gate.acquire().await.unwrap()];
        gate.resize(Some(1));
        assert_eq!(gate.in_use(), 2);
        assert!(gate.semaphore.available_permits() == 0, "no slot opens while two calls run under a limit of 1");
        drop(held);
        assert_eq!(gate.semaphore.available_permits(), 1);
        gate.resize(None);
        assert!(gate.semaphore.available_permits() > 10_000);
        let running: Vec<GatePermit> = vec![gate.acquire().await.unwrap(), gate.acquire().await.unwrap()];
        gate.resize(Some(2));
        assert_eq!((gate.in_use(), gate.semaphore.available_permits()), (2, 0), "calls running unlimited count");
        drop(running);
        assert_eq!(gate.semaphore.available_permits(), 2);
    }
}
