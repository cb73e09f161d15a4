//! The front door: everything between a remote client and the tools.
//!
//! HTTP requests pass, outermost first: CORS → request logging (and HTTP
//! metrics) → security headers and the Origin allowlist → the global rate
//! limit → authentication (then the caller's credential and tenant rate
//! limits) → MCP. Inside MCP, each tool call is authorized against the
//! caller's roles, counted in the metrics and written to the audit log.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod calls;
pub mod errors;
pub mod http;
pub mod identity;
pub mod jwt;
pub mod metrics;
pub mod ratelimit;
pub mod settings;
pub mod sse;
pub mod timefmt;

use crate::error::Result;
use audit::AuditLog;
use auth::Authenticator;
use authz::Authorizer;
pub use identity::{AuthMethod, Identity};
use ratelimit::RateLimits;
use settings::FrontDoorConfig;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

/// Shared state of the front door, built once from the configuration.
#[derive(Default)]
pub struct FrontDoor {
    /// `None`: authentication is off and callers are [`Identity::anonymous`].
    pub authenticator: Option<Authenticator>,
    pub authorizer: Authorizer,
    pub ratelimits: Option<RateLimits>,
    pub audit: Option<Arc<AuditLog>>,
    /// RFC 9728 `resource`; when unset, derived from the request's Host.
    pub resource: Option<String>,
    pub authorization_servers: Vec<String>,
    /// Browser origins allowed; empty: only loopback origins.
    pub allowed_origins: Vec<String>,
    /// `Host` header values allowed on MCP routes; empty: any.
    pub allowed_hosts: Vec<String>,
    pub default_tenant: String,
    /// Roles of the anonymous caller when authentication is off.
    pub default_roles: Vec<String>,
    /// Tool calls running now (graceful shutdown waits for zero).
    pub in_flight: AtomicI64,
}

impl FrontDoor {
    pub fn new(config: &FrontDoorConfig, default_tenant: &str, allowed_origins: &[String]) -> Result<Self> {
        Self::with_hosts(config, default_tenant, allowed_origins, &[])
    }

    /// [`FrontDoor::new`] with a `Host` allowlist for the MCP routes.
    pub fn with_hosts(
        config: &FrontDoorConfig,
        default_tenant: &str,
        allowed_origins: &[String],
        allowed_hosts: &[String],
    ) -> Result<Self> {
        let a = &config.auth;
        let authenticator = if config.auth_enabled { Some(Authenticator::new(a, default_tenant)?) } else { None };
        let audit = match &config.audit {
            Some(section) => Some(AuditLog::open(section)?),
            None => None,
        };
        Ok(Self {
            authenticator,
            authorizer: Authorizer::new(a.roles.clone()),
            ratelimits: config.ratelimit.map(RateLimits::new),
            audit,
            resource: a.resource.clone(),
            authorization_servers: a.authorization_servers.clone(),
            allowed_origins: allowed_origins.to_vec(),
            allowed_hosts: allowed_hosts.to_vec(),
            default_tenant: default_tenant.into(),
            default_roles: a.default_roles.clone(),
            in_flight: AtomicI64::new(0),
        })
    }

    /// The caller when authentication is off.
    pub fn anonymous(&self) -> Identity {
        Identity { roles: self.default_roles.clone(), ..Identity::anonymous(&self.default_tenant) }
    }
}
