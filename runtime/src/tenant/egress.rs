//! A tenant's egress narrowing: `[tenants.<t>.components.<c>] egress` lists
//! the only destinations that tenant's calls of the component may reach.
//! Each entry must lie within one of the component's rules, and must not
//! gain the special-address reach a wildcard rule does not have (a rule
//! naming a host exactly may reach loopback or private addresses; `*` and
//! `*.domain` never do), so a tenant can never widen what the component may
//! reach.

use crate::policy::HostRule;
use crate::policy::egress::{HostPattern, path};

fn host_within(inner: &HostPattern, outer: &HostPattern) -> bool {
    match (inner, outer) {
        (HostPattern::Name(a), HostPattern::Name(b)) => a == b,
        (HostPattern::Ip(a), HostPattern::Ip(b)) => a == b,
        (HostPattern::Suffix(_), HostPattern::Any) => true,
        (HostPattern::Any, HostPattern::Any) => true,
        (HostPattern::Suffix(a), HostPattern::Suffix(b)) => a.ends_with(b.as_str()),
        _ => false,
    }
}

/// Is every request `inner` allows also allowed by `outer`?
pub fn within(inner: &HostRule, outer: &HostRule) -> bool {
    inner.scheme == outer.scheme
        && match (inner.port, outer.port) {
            (_, None) => true,
            (Some(a), Some(b)) => a == b,
            (None, Some(_)) => false,
        }
        && host_within(&inner.host, &outer.host)
        && path::within(&inner.path_prefix, &outer.path_prefix)
}

/// Parse the tenant's entries and check each against `granted`.
pub fn narrow(entries: &[String], granted: &[HostRule], key: &str) -> Result<Vec<HostRule>, (String, String)> {
    let mut rules = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let rule = HostRule::parse(entry).map_err(|m| (format!("{key}[{i}]"), m.to_string()))?;
        if !granted.iter().any(|g| within(&rule, g)) {
            let shown: Vec<&str> = granted.iter().map(|g| g.source.as_str()).collect();
            return Err((
                format!("{key}[{i}]"),
                format!("`{entry}` is not within the component's egress {shown:?}; a tenant can only narrow it"),
            ));
        }
        rules.push(rule);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> Vec<HostRule> {
        list.iter().map(|r| HostRule::parse(r).unwrap()).collect()
    }

    #[test]
    fn narrowing_is_accepted_and_widening_refused() {
        let granted = rules(&["https://*.example.com", "http://127.0.0.1:9090/api", "https://*:*"]);
        let ok = ["https://*.eu.example.com", "http://127.0.0.1:9090/api/v1", "https://*.org"];
        assert_eq!(narrow(&ok.map(String::from), &granted, "k").unwrap().len(), 3);
        for bad in [
            "https://db.example.com",      // an exact name may reach private addresses; the wildcard may not
            "http://127.0.0.1:9091/api",   // other port
            "http://127.0.0.1:9090/admin", // other path
            "http://*.example.com",        // other scheme
            "https://10.0.0.1",            // a literal IP under `*`
        ] {
            let (key, msg) = narrow(&[bad.to_string()], &granted, "tenants.t.components.c.egress").unwrap_err();
            assert_eq!(key, "tenants.t.components.c.egress[0]");
            assert!(msg.contains("only narrow"), "{bad}: {msg}");
        }
        assert!(narrow(&["nonsense".into()], &granted, "k").is_err());
    }
}
