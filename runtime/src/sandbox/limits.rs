//! Per-call resource limits enforced by wasmtime: memory, tables and
//! instances through a `ResourceLimiter`, which also remembers whether a
//! limit was hit so a trap can be reported as "memory limit" rather than
//! the allocator's generic abort.

use wasmtime::ResourceLimiter;

/// Component instances a tool component may create (a component is several
/// core instances: the guest, wasi adapters, and shims).
const MAX_INSTANCES: usize = 64;
const MAX_TABLES: usize = 64;
const MAX_MEMORIES: usize = 16;
const MAX_TABLE_ELEMENTS: usize = 100_000;

pub struct CallLimiter {
    pub memory_bytes: usize,
    pub memory_hit: bool,
    pub table_hit: bool,
}

impl CallLimiter {
    pub fn new(memory_bytes: usize) -> Self {
        Self { memory_bytes, memory_hit: false, table_hit: false }
    }
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.memory_hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            self.table_hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}
