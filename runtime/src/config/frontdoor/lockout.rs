//! `[auth] failed_login_*`: how many refused credentials a user name or a
//! client address may present before it is locked out, and for how long;
//! and the default bucket of unauthenticated requests.

use super::{AuthSection, Bucket};

pub const DEFAULT_FAILED_LOGIN_LIMIT: u32 = 5;
pub const DEFAULT_FAILED_LOGIN_LIMIT_PER_ADDRESS: u32 = 20;
pub const DEFAULT_FAILED_LOGIN_BACKOFF_SECONDS: u64 = 1;
/// Requests that fail authentication share this bucket unless `[ratelimit.unauthenticated]` says otherwise.
pub const DEFAULT_UNAUTHENTICATED: Bucket = Bucket { requests_per_second: 5.0, burst: 20 };

impl AuthSection {
    pub fn lockout(&self) -> LockoutLimits {
        LockoutLimits {
            per_user: self.failed_login_limit.unwrap_or(DEFAULT_FAILED_LOGIN_LIMIT),
            per_address: self.failed_login_limit_per_address.unwrap_or(DEFAULT_FAILED_LOGIN_LIMIT_PER_ADDRESS),
            backoff: std::time::Duration::from_secs(
                self.failed_login_backoff_seconds.unwrap_or(DEFAULT_FAILED_LOGIN_BACKOFF_SECONDS),
            ),
        }
    }
}

/// Failed-login limits (`[auth] failed_login_*`); the default limits nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockoutLimits {
    /// Failures of one user name before it is locked out; 0: no limit.
    pub per_user: u32,
    /// Failures from one client address (any user, any method); 0: no limit.
    pub per_address: u32,
    /// The first lockout; each further failure doubles it.
    pub backoff: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_logins_are_limited_by_default() {
        let l = AuthSection::default().lockout();
        assert_eq!((l.per_user, l.per_address, l.backoff.as_secs()), (5, 20, 1));
        let off = AuthSection { failed_login_limit: Some(0), ..Default::default() }.lockout();
        assert_eq!(off.per_user, 0, "0 turns the per-user limit off");
    }
}
