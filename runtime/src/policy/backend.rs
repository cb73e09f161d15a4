//! A component's backend: settings and secrets from environment variables
//! (the names users of the Go server already set, e.g. `MCP_PROM_ADDRESS`)
//! and the egress grant to exactly the configured backend origin(s).

use super::BackendDocument;
use super::egress::{EgressPolicy, HostRule, RuleError};
use crate::error::{Error, Result};
use crate::policy::ComponentSettings;

/// Fill settings/secrets from the environment (environment wins over the
/// config file), then allow egress to each configured backend URL.
pub fn apply(
    service: &str,
    backend: &BackendDocument,
    settings: &mut ComponentSettings,
    egress: &mut EgressPolicy,
    env: impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let present = |var: &str| env(var).filter(|v| !v.trim().is_empty());
    for (key, var) in &backend.env {
        if let Some(value) = present(var) {
            settings.settings.insert(key.clone(), value.trim().to_string());
        }
    }
    for (key, var) in &backend.secret_env {
        if let Some(value) = present(var) {
            settings.secrets.insert(key.clone(), value);
        }
    }
    let key = &backend.url_setting;
    let Some(urls) = settings.settings.get(key).cloned() else {
        return Ok(());
    };
    let source = match backend.env.get(key) {
        Some(var) if present(var).is_some() => var.clone(),
        _ => format!("components.{service}.settings.{key}"),
    };
    let mut normalized = Vec::new();
    for url in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let rule = origin_rule(url).map_err(|m| Error::invalid(&source, format!("`{url}`: {m}")))?;
        normalized.push(rule.source.clone());
        egress.allow(rule);
    }
    if normalized.is_empty() {
        return Err(Error::invalid(&source, "no URL given"));
    }
    settings.settings.insert(key.clone(), normalized.join(","));
    Ok(())
}

/// `http://host:port/base/` -> a rule for exactly that scheme, host, port and
/// path prefix. A bare `host:port` means `http://host:port`, as the Go server
/// reads its addresses.
fn origin_rule(url: &str) -> std::result::Result<HostRule, RuleError> {
    let with_scheme;
    let url = if url.contains("://") {
        url
    } else {
        with_scheme = format!("http://{url}");
        &with_scheme
    };
    let parsed = url::Url::parse(url).map_err(|e| RuleError(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("credentials belong in the username/password settings, not the URL".into());
    }
    let host = parsed.host_str().ok_or("no host")?;
    let port = parsed.port_or_known_default().ok_or("no port")?;
    let path = parsed.path().trim_end_matches('/');
    HostRule::parse(&format!("{}://{host}:{port}{path}", parsed.scheme()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::egress::Target;
    use std::collections::BTreeMap;

    fn backend() -> BackendDocument {
        BackendDocument {
            url_setting: "address".into(),
            env: BTreeMap::from([("address".into(), "MCP_PROM_ADDRESS".into())]),
            secret_env: BTreeMap::from([("bearer_token".into(), "MCP_PROM_BEARER_TOKEN".into())]),
        }
    }

    #[test]
    fn env_address_grants_exactly_that_origin() {
        let mut settings = ComponentSettings::default();
        let mut egress = EgressPolicy::default();
        let env = |v: &str| match v {
            "MCP_PROM_ADDRESS" => Some("http://127.0.0.1:19090/".to_string()),
            "MCP_PROM_BEARER_TOKEN" => Some("t0ken".to_string()),
            _ => None,
        };
        apply("prometheus", &backend(), &mut settings, &mut egress, env).unwrap();
        assert_eq!(settings.settings["address"], "http://127.0.0.1:19090");
        assert_eq!(settings.secrets["bearer_token"], "t0ken");
        let t = |host, port| Target { scheme: "http", host, port, path: "/api/v1/query" };
        assert!(egress.check(&t("127.0.0.1", 19090)).is_ok());
        assert!(egress.check(&t("127.0.0.1", 19091)).is_err());
        assert!(egress.check(&t("169.254.169.254", 80)).is_err());
    }

    #[test]
    fn config_setting_is_used_without_env_and_bad_urls_name_the_key() {
        let mut settings = ComponentSettings::default();
        settings.settings.insert("address".into(), "ftp://x".into());
        let err = apply("prometheus", &backend(), &mut settings, &mut EgressPolicy::default(), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("components.prometheus.settings.address"), "{err}");
        let mut settings = ComponentSettings::default();
        let bad = |_: &str| Some("not a url".to_string());
        let err =
            apply("prometheus", &backend(), &mut settings, &mut EgressPolicy::default(), bad).unwrap_err().to_string();
        assert!(err.contains("MCP_PROM_ADDRESS"), "{err}");
    }

    #[test]
    fn several_addresses_and_base_paths() {
        let mut settings = ComponentSettings::default();
        settings.settings.insert("address".into(), "https://es1.internal:9200, https://es2.internal/prefix/".into());
        let mut egress = EgressPolicy::default();
        apply("elasticsearch", &backend(), &mut settings, &mut egress, |_| None).unwrap();
        let t = |host, port, path| Target { scheme: "https", host, port, path };
        assert!(egress.check(&t("es1.internal", 9200, "/_cluster/health")).is_ok());
        assert!(egress.check(&t("es2.internal", 443, "/prefix/_search")).is_ok());
        assert!(egress.check(&t("es2.internal", 443, "/other")).is_err());
    }

    #[test]
    fn bare_host_and_port_means_http() {
        let mut settings = ComponentSettings::default();
        settings.settings.insert("address".into(), "es.internal:9200".into());
        let mut egress = EgressPolicy::default();
        apply("elasticsearch", &backend(), &mut settings, &mut egress, |_| None).unwrap();
        assert_eq!(settings.settings["address"], "http://es.internal:9200");
        let t = |scheme, port| Target { scheme, host: "es.internal", port, path: "/" };
        assert!(egress.check(&t("http", 9200)).is_ok());
        assert!(egress.check(&t("https", 9200)).is_err());
    }

    #[test]
    fn without_address_nothing_is_granted() {
        let mut egress = EgressPolicy::default();
        apply("p", &backend(), &mut ComponentSettings::default(), &mut egress, |_| None).unwrap();
        assert!(egress.rules.is_empty());
    }
}
