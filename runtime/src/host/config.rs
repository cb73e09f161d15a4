//! `config` capability: the component's settings and secrets from the
//! runtime configuration. Tool arguments never reach this map.

use super::bindings::config::{Host, add_to_linker};
use super::{CallEnv, Capability};
use crate::policy::ComponentSettings;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker};

pub struct ConfigState {
    pub settings: Arc<ComponentSettings>,
}

impl Capability for ConfigState {
    fn for_call(env: &CallEnv<'_>) -> Self {
        Self { settings: env.settings.clone() }
    }

    fn add_to_linker<T: Send + 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut Self) -> wasmtime::Result<()> {
        add_to_linker::<T, HasSelf<Self>>(linker, get)
    }
}

impl Host for ConfigState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.settings.settings.get(&key).cloned())
    }

    fn get_secret(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.settings.secrets.get(&key).cloned())
    }

    fn keys(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.settings.settings.keys().cloned().collect())
    }
}
