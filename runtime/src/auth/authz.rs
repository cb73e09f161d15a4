//! Authorization: roles grant tools and services by glob pattern, optionally
//! read-only. A tool no role of the caller grants is hidden from tools/list
//! and refused on tools/call.

use super::identity::{Identity, glob_match};
use crate::config::frontdoor::RoleSection;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Authorizer {
    /// Empty: authorization is off and every identity may call every tool.
    roles: BTreeMap<String, RoleSection>,
}

impl Authorizer {
    pub fn new(roles: BTreeMap<String, RoleSection>) -> Self {
        Self { roles }
    }

    pub fn is_enabled(&self) -> bool {
        !self.roles.is_empty()
    }

    /// May `identity` call `tool` (full name) of `service`?
    pub fn allows(&self, identity: &Identity, service: &str, tool: &str, tool_read_only: bool) -> bool {
        if !self.is_enabled() {
            return true;
        }
        identity.roles.iter().filter_map(|r| self.roles.get(r)).any(|role| {
            let granted =
                role.tools.iter().any(|p| glob_match(p, tool)) || role.services.iter().any(|p| glob_match(p, service));
            granted && (!role.read_only || tool_read_only)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::identity::AuthMethod;

    fn who(roles: &[&str]) -> Identity {
        Identity {
            subject: "s".into(),
            tenant: "t".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            method: AuthMethod::ApiKey,
            credential: "c".into(),
        }
    }

    #[test]
    fn roles_grant_by_pattern_and_read_only() {
        let mut roles = BTreeMap::new();
        roles.insert("clock".into(), RoleSection { tools: vec!["utilities_get_*".into()], ..Default::default() });
        roles.insert(
            "viewer".into(),
            RoleSection { services: vec!["prometheus".into()], read_only: true, ..Default::default() },
        );
        let a = Authorizer::new(roles);
        assert!(a.allows(&who(&["clock"]), "utilities", "utilities_get_time", true));
        assert!(!a.allows(&who(&["clock"]), "utilities", "utilities_web_fetch", true));
        assert!(a.allows(&who(&["viewer"]), "prometheus", "prometheus_query", true));
        assert!(!a.allows(&who(&["viewer"]), "prometheus", "prometheus_delete_series", false));
        assert!(!a.allows(&who(&["nobody"]), "utilities", "utilities_get_time", true));
        assert!(!a.allows(&who(&[]), "utilities", "utilities_get_time", true));
        assert!(Authorizer::default().allows(&who(&[]), "x", "x_y", false));
    }
}
