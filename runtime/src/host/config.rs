//! `config` capability: the component's settings and secrets from the
//! runtime configuration. Tool arguments never reach this map.

use super::bindings::config::{Host, add_to_linker};
use super::{CallEnv, Capability};
use crate::policy::{ComponentSettings, Grant};
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

pub struct ConfigState {
    pub settings: Arc<ComponentSettings>,
    service: Arc<str>,
    granted: bool,
}

impl ConfigState {
    /// An ungranted `config` traps: the interface has no error to return,
    /// and a component reading settings it may not see must not go on.
    fn check(&self) -> wasmtime::Result<()> {
        if self.granted { Ok(()) } else { Err(wasmtime::Error::msg(super::denied(&self.service, Grant::Config))) }
    }
}

impl Capability for ConfigState {
    fn for_call(env: &CallEnv<'_>) -> Self {
        Self {
            settings: env.settings.clone(),
            service: env.service.clone(),
            granted: env.grants.contains(Grant::Config),
        }
    }

    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()> {
        add_to_linker::<T, HasSelf<Self>>(linker, get)
    }
}

impl Host for ConfigState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.check()?;
        Ok(self.settings.settings.get(&key).cloned())
    }

    fn get_secret(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.check()?;
        Ok(self.settings.secrets.get(&key).cloned())
    }

    fn keys(&mut self) -> wasmtime::Result<Vec<String>> {
        self.check()?;
        Ok(self.settings.settings.keys().cloned().collect())
    }
}
