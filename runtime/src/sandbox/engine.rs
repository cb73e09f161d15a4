//! The one wasmtime `Engine` of the process and its epoch ticker.
//!
//! Deadlines are counted in epoch ticks of [`EPOCH_TICK`]: a call with a
//! timeout of T gets `ceil(T / EPOCH_TICK)` ticks. Fuel bounds CPU work
//! independently of wall-clock time.

use crate::error::{Error, Result};
use std::path::Path;
use std::time::Duration;
use wasmtime::{Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Granularity of wall-clock deadlines. 10 ms keeps the ticker cheap while
/// a runaway guest stops within one tick of its deadline.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Build the engine. With `cache_dir`, compiled components are cached on
/// disk keyed by wasmtime version, engine settings and component digest,
/// so restarts skip Cranelift.
pub fn build(cache_dir: Option<&Path>, max_in_flight: usize) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // Fuel: a deterministic CPU budget per call.
    config.consume_fuel(true);
    // Epochs: a cheap wall-clock deadline check at loop headers and calls.
    config.epoch_interruption(true);
    // A fresh instance per call makes instantiation the hot path: the
    // pooling allocator reuses pre-reserved slots instead of mapping and
    // unmapping memory every call. Slots: every in-flight call plus the
    // load-time `list-tools` calls, doubled for headroom; a component is a
    // handful of core instances, memories and tables. Memories may grow to
    // the largest policy limit (4 GiB); the per-call ResourceLimiter applies
    // each component's own, smaller cap. Reservations are virtual address
    // space, not resident memory.
    let slots = u32::try_from(max_in_flight.saturating_mul(2)).unwrap_or(u32::MAX).max(16);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(8))
        .total_memories(slots.saturating_mul(2))
        .total_tables(slots.saturating_mul(8))
        .max_memory_size(4 << 30);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if let Some(dir) = cache_dir {
        // The cache only saves compile time: a folder that cannot be used is
        // reported and the runtime compiles in memory instead.
        let cache = std::fs::create_dir_all(dir).map_err(|e| e.to_string()).and_then(|()| {
            let mut cache_config = CacheConfig::new();
            cache_config.with_directory(dir);
            Cache::new(cache_config).map_err(|e| e.to_string())
        });
        match cache {
            Ok(cache) => {
                config.cache(Some(cache));
            }
            Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "compiled-component cache disabled"),
        }
    }
    Engine::new(&config).map_err(|e| Error::Engine(e.to_string()))
}

/// Advance the engine's epoch every [`EPOCH_TICK`]; the thread holds only a
/// weak reference and exits once the engine is gone.
pub fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            }
        })
        .expect("spawn epoch ticker thread");
}

/// Ticks for a timeout, at least one.
pub fn ticks_for(timeout: Duration) -> u64 {
    let tick = EPOCH_TICK.as_millis().max(1);
    (timeout.as_millis().div_ceil(tick) as u64).max(1)
}
