//! Outbound HTTP allowlist: which `scheme://host:port/path` a component may
//! reach. Deny by default; special-purpose addresses (loopback, metadata,
//! private ranges) only when a rule names them literally.

use super::HttpDocument;
use super::net::special_purpose;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

pub const DEFAULT_MAX_REQUEST_BYTES: u64 = 1024 * 1024;
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_RETRIES: u32 = 2;
pub const DEFAULT_BREAKER_FAILURES: u32 = 5;
pub const DEFAULT_BREAKER_COOLDOWN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `*`: any host name or public address.
    Any,
    /// `*.example.com`: strict subdomains (stored as `.example.com`).
    Suffix(String),
    /// `api.example.com` or `localhost`.
    Name(String),
    /// `10.0.0.5`, `[::1]`.
    Ip(IpAddr),
}

/// One allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    pub scheme: String,
    pub host: HostPattern,
    /// `None` means any port (`:*`).
    pub port: Option<u16>,
    pub path_prefix: String,
    pub source: String,
}

/// A request target, as the sandbox sees it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub scheme: &'a str,
    /// Lower-case host without IPv6 brackets.
    pub host: &'a str,
    pub port: u16,
    pub path: &'a str,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    NoRule { url: String },
    SpecialAddress { host: String, addr: IpAddr, class: &'static str },
    Unresolvable { host: String, reason: String },
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRule { url } => write!(f, "no egress rule allows {url}"),
            Self::SpecialAddress { host, addr, class } => write!(
                f,
                "{host} resolves to {addr}, a {class} address, which is reachable only through a rule naming that host exactly"
            ),
            Self::Unresolvable { host, reason } => write!(f, "cannot resolve {host}: {reason}"),
        }
    }
}

/// An egress rule that does not parse; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

impl From<String> for RuleError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for RuleError {
    fn from(message: &str) -> Self {
        Self(message.to_string())
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

impl HostRule {
    /// Parse `scheme://host[:port][/path-prefix]`.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let (scheme, rest) = text.split_once("://").ok_or("expected scheme://host[:port][/path]")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(RuleError(format!("scheme `{scheme}` is not http or https")));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if path.contains(['?', '#']) || has_dot_segment(path) {
            return Err("path prefix must be a plain path".into());
        }
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let (h, after) = stripped.split_once(']').ok_or("unclosed `[` in IPv6 host")?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            None => Some(default_port(&scheme)),
            Some("*") => None,
            Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("bad port `{p}`"))?),
        };
        let host = parse_host_pattern(host)?;
        Ok(Self { scheme, host, port, path_prefix: path.to_string(), source: text.to_string() })
    }

    fn matches(&self, t: &Target<'_>) -> bool {
        if t.scheme != self.scheme || self.port.is_some_and(|p| p != t.port) {
            return false;
        }
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Suffix(s) => t.host.len() > s.len() && t.host.ends_with(s.as_str()),
            HostPattern::Name(n) => t.host == n,
            HostPattern::Ip(ip) => t.host.parse::<IpAddr>().is_ok_and(|h| h == *ip),
        };
        host_ok && path_within(t.path, &self.path_prefix)
    }

    /// Whether this rule may reach a special-purpose address of `class`.
    /// A literal IP may reach itself. An exact host name (an in-cluster
    /// service, `localhost`) may resolve to loopback or private addresses,
    /// but never to link-local ones (cloud metadata): those need a literal
    /// rule. Wildcards never reach special addresses.
    pub fn permits(&self, class: &str) -> bool {
        match &self.host {
            HostPattern::Ip(_) => true,
            HostPattern::Name(_) => !class.starts_with("link-local"),
            HostPattern::Any | HostPattern::Suffix(_) => false,
        }
    }

    /// Whether the rule names its host exactly (an IP or a host name).
    pub fn is_exact(&self) -> bool {
        matches!(&self.host, HostPattern::Ip(_) | HostPattern::Name(_))
    }
}

fn parse_host_pattern(host: &str) -> Result<HostPattern, RuleError> {
    // One trailing dot (fully-qualified form) is allowed; `*.` is not a pattern.
    if host.ends_with("*.") || host.ends_with("..") {
        return Err(RuleError(format!("`{host}` is not a host name, IP address, `*` or `*.domain`")));
    }
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(HostPattern::Ip(ip));
    }
    let (suffix, name) = match host.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, host.as_str()),
    };
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !valid {
        return Err(RuleError(format!("`{host}` is not a host name, IP address, `*` or `*.domain`")));
    }
    Ok(if suffix { HostPattern::Suffix(format!(".{name}")) } else { HostPattern::Name(name.to_string()) })
}

fn has_dot_segment(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("%2e") || lower.contains("%2f") || path.split('/').any(|s| s == "." || s == "..")
}

fn path_within(path: &str, prefix: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    let path_only = path.split(['?', '#']).next().unwrap_or("");
    if has_dot_segment(path_only) {
        return false;
    }
    let prefix = prefix.trim_end_matches('/');
    path_only == prefix || path_only.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// A component's compiled egress policy.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    pub rules: Vec<HostRule>,
    pub max_request_bytes: u64,
    pub max_response_bytes: u64,
    pub timeout: Duration,
    /// Retries of idempotent requests (GET/HEAD) on transient failures.
    pub retries: u32,
    /// Consecutive failures that open an origin's circuit breaker (0: never).
    pub breaker_failures: u32,
    /// How long an open breaker fails calls fast before trying again.
    pub breaker_cooldown: Duration,
}

impl Default for EgressPolicy {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            timeout: DEFAULT_HTTP_TIMEOUT,
            retries: DEFAULT_RETRIES,
            breaker_failures: DEFAULT_BREAKER_FAILURES,
            breaker_cooldown: DEFAULT_BREAKER_COOLDOWN,
        }
    }
}

impl EgressPolicy {
    /// Compile; errors carry the index of the bad `allow` entry.
    pub fn compile(doc: &HttpDocument) -> Result<Self, (usize, String)> {
        let rules = doc
            .allow
            .iter()
            .enumerate()
            .map(|(i, r)| HostRule::parse(r).map_err(|m| (i, format!("`{r}`: {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let d = Self::default();
        Ok(Self {
            rules,
            max_request_bytes: doc.max_request_bytes.unwrap_or(d.max_request_bytes),
            max_response_bytes: doc.max_response_bytes.unwrap_or(d.max_response_bytes),
            timeout: doc.timeout_ms.map_or(d.timeout, Duration::from_millis),
            retries: doc.retries.unwrap_or(d.retries).min(10),
            breaker_failures: doc.breaker_failures.unwrap_or(d.breaker_failures),
            breaker_cooldown: doc.breaker_cooldown_ms.map_or(d.breaker_cooldown, Duration::from_millis),
        })
    }

    /// Add a rule (e.g. the origin of a configured backend).
    pub fn allow(&mut self, rule: HostRule) {
        self.rules.push(rule);
    }

    /// Decide on the URL alone. The caller must still vet the resolved
    /// addresses with [`EgressPolicy::check_addresses`].
    pub fn check(&self, t: &Target<'_>) -> Result<&HostRule, Denial> {
        let rule = self.rules.iter().find(|r| r.matches(t));
        let rule = rule.ok_or_else(|| Denial::NoRule { url: display_url(t) })?;
        if let Ok(ip) = t.host.parse::<IpAddr>() {
            check_ip(rule, t.host, ip)?;
        }
        Ok(rule)
    }

    /// Refuse if any resolved address is special-purpose and the rule does
    /// not name it literally (defeats DNS names pointing at internal hosts).
    pub fn check_addresses(rule: &HostRule, host: &str, addrs: &[IpAddr]) -> Result<(), Denial> {
        if addrs.is_empty() {
            return Err(Denial::Unresolvable { host: host.to_string(), reason: "no addresses".into() });
        }
        addrs.iter().try_for_each(|ip| check_ip(rule, host, *ip))
    }
}

fn check_ip(rule: &HostRule, host: &str, ip: IpAddr) -> Result<(), Denial> {
    match special_purpose(ip) {
        Some(class) if !rule.permits(class) => Err(Denial::SpecialAddress { host: host.to_string(), addr: ip, class }),
        _ => Ok(()),
    }
}

fn display_url(t: &Target<'_>) -> String {
    let host = if t.host.contains(':') { format!("[{}]", t.host) } else { t.host.to_string() };
    format!("{}://{}:{}{}", t.scheme, host, t.port, t.path)
}

#[cfg(test)]
mod tests;
