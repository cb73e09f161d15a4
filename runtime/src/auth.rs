//! Who is calling and what they may do: authentication (API keys, passwords,
//! bearer tokens, JWTs) into an [`Identity`], role-based authorization, and
//! the per-credential rate buckets. [`FrontDoor`] holds what `[auth]` and
//! `[ratelimit]` decide; the HTTP middleware (`transport::http`) and the
//! call pipeline (`call`) consult it.

pub mod authenticate;
pub mod authz;
pub mod identity;
pub mod jwt;
pub mod lockout;
pub mod ratelimit;

use crate::config::frontdoor::FrontDoorConfig;
use crate::error::Result;
use authenticate::Authenticator;
use authz::Authorizer;
pub use identity::{AuthMethod, Identity};
use ratelimit::RateLimits;
use std::sync::{Arc, RwLock};

/// What `[auth]` and `[ratelimit]` decide; replaced whole on reload.
#[derive(Default)]
pub struct Access {
    /// `None`: authentication is off and callers are [`Identity::anonymous`].
    pub authenticator: Option<Authenticator>,
    pub authorizer: Authorizer,
    pub ratelimits: Option<Arc<RateLimits>>,
    /// RFC 9728 `resource`; when unset, derived from the request's Host.
    pub resource: Option<String>,
    pub authorization_servers: Vec<String>,
    /// Roles of the anonymous caller when authentication is off.
    pub default_roles: Vec<String>,
}

impl Access {
    pub fn new(config: &FrontDoorConfig, default_tenant: &str) -> Result<Self> {
        let a = &config.auth;
        let authenticator = if config.auth_enabled { Some(Authenticator::new(a, default_tenant)?) } else { None };
        Ok(Self {
            authenticator,
            authorizer: Authorizer::new(a.roles.clone()),
            ratelimits: config.ratelimit.map(|l| Arc::new(RateLimits::new(l))),
            resource: a.resource.clone(),
            authorization_servers: a.authorization_servers.clone(),
            default_roles: a.default_roles.clone(),
        })
    }
}

/// Shared state of the front door, built from the configuration; its
/// [`Access`] is replaced on reload, the rest lives as long as the process.
#[derive(Default)]
pub struct FrontDoor {
    access: RwLock<Arc<Access>>,
    /// Browser origins allowed; empty: only loopback origins.
    pub allowed_origins: Vec<String>,
    /// `Host` header values allowed on MCP routes; empty: any.
    pub allowed_hosts: Vec<String>,
    pub default_tenant: String,
    /// Serving a non-loopback address: a reload may not turn authentication off.
    pub auth_required: bool,
    /// Failures per user and client address; state, so a reload keeps it.
    pub failed_logins: lockout::FailedLogins,
}

impl FrontDoor {
    pub fn new(config: &FrontDoorConfig, default_tenant: &str, allowed_origins: &[String]) -> Result<Self> {
        Self::with_hosts(config, default_tenant, allowed_origins, &[])
    }

    /// No authentication, rate limits or audit: every caller is anonymous.
    pub fn open(default_tenant: &str) -> Self {
        Self { default_tenant: default_tenant.into(), ..Self::default() }
    }

    /// [`FrontDoor::new`] with a `Host` allowlist for the MCP routes.
    pub fn with_hosts(
        config: &FrontDoorConfig,
        default_tenant: &str,
        allowed_origins: &[String],
        allowed_hosts: &[String],
    ) -> Result<Self> {
        let access = Access::new(config, default_tenant)?;
        Ok(Self {
            access: RwLock::new(Arc::new(access)),
            allowed_origins: allowed_origins.to_vec(),
            allowed_hosts: allowed_hosts.to_vec(),
            default_tenant: default_tenant.into(),
            auth_required: false,
            failed_logins: lockout::FailedLogins::new(config.auth.lockout()),
        })
    }

    /// The authentication, authorization and rate limits in force now.
    pub fn access(&self) -> Arc<Access> {
        self.access.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serve `access` from now on; requests already admitted are not
    /// affected. The rate buckets in force stay when `[ratelimit]` is
    /// unchanged (a reload must not refill them) and start afresh when it
    /// changed. Refused when it would turn authentication off on a
    /// non-loopback listener.
    pub fn replace_access(&self, mut access: Access) -> Result<()> {
        if self.auth_required && access.authenticator.is_none() {
            return Err(crate::error::Error::invalid(
                "auth",
                "authentication cannot be turned off while serving a non-loopback address",
            ));
        }
        let mut current = self.access.write().unwrap_or_else(|e| e.into_inner());
        if let (Some(new), Some(old)) = (&access.ratelimits, &current.ratelimits)
            && new.limits() == old.limits()
        {
            access.ratelimits = Some(old.clone());
        }
        *current = Arc::new(access);
        Ok(())
    }

    /// The caller when authentication is off.
    pub fn anonymous(&self) -> Identity {
        Identity { roles: self.access().default_roles.clone(), ..Identity::anonymous(&self.default_tenant) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_cannot_turn_authentication_off_where_it_is_required() {
        let mut fd = FrontDoor::open("default");
        assert!(fd.replace_access(Access::default()).is_ok(), "loopback: authentication may be off");
        fd.auth_required = true;
        let err = fd.replace_access(Access::default()).unwrap_err();
        assert!(err.to_string().contains("non-loopback"), "{err}");
    }

    fn limited(burst: u32) -> Access {
        let b = crate::config::frontdoor::Bucket { requests_per_second: 0.001, burst };
        let limits =
            crate::config::frontdoor::Limits { credential: b, tenant: Some(b), global: None, unauthenticated: None };
        Access { ratelimits: Some(Arc::new(RateLimits::new(limits))), ..Access::default() }
    }

    fn admits(fd: &FrontDoor) -> bool {
        fd.access().ratelimits.as_ref().unwrap().check_identity(&Identity::anonymous("t")).is_ok()
    }

    #[test]
    fn a_reload_with_the_same_rate_limits_does_not_refill_the_buckets() {
        let fd = FrontDoor::open("default");
        fd.replace_access(limited(1)).unwrap();
        assert!(admits(&fd), "burst 1");
        fd.replace_access(limited(1)).unwrap();
        assert!(!admits(&fd), "the reload kept the empty bucket");
    }

    #[test]
    fn changed_rate_limits_start_with_fresh_buckets() {
        let fd = FrontDoor::open("default");
        fd.replace_access(limited(1)).unwrap();
        assert!(admits(&fd));
        fd.replace_access(limited(2)).unwrap();
        assert!(admits(&fd), "a burst of 2, full");
    }
}
