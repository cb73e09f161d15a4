//! Outbound HTTP allowlist: which `scheme://host:port/path` a component may
//! reach. Deny by default; special-purpose addresses (loopback, metadata,
//! private ranges) only when a rule names them. Hosts are compared in the
//! one spelling [`Origin`] gives them, paths decoded and segment by segment
//! ([`path`]).

mod origin;
pub mod path;

pub use origin::{Host, Origin, default_port, normalize_host};
pub use path::Unsafe;

use super::HttpDocument;
use super::net::{Special, special_purpose};
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
    /// The host as [`Origin`] normalises it: lower case, no trailing dot, an
    /// IP address in canonical form without brackets.
    pub host: &'a str,
    pub port: u16,
    /// The path and query as sent.
    pub path: &'a str,
}

impl Origin {
    /// The target of a request to `path` at this origin.
    pub fn target<'a>(&'a self, path: &'a str) -> Target<'a> {
        Target { scheme: &self.scheme, host: &self.host, port: self.port, path }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    NoRule {
        url: String,
    },
    /// A rule would admit the origin, but the path is ambiguous under its prefix.
    UnsafePath {
        url: String,
        reason: Unsafe,
        rule: String,
    },
    InvalidHost {
        reason: String,
    },
    SpecialAddress {
        host: String,
        addr: IpAddr,
        special: Special,
    },
    Unresolvable {
        host: String,
        reason: String,
    },
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRule { url } => write!(f, "no egress rule allows {url}"),
            Self::UnsafePath { url, reason, rule } => {
                write!(f, "{url} refused: {reason}, which the path-prefix rule `{rule}` never admits")
            }
            Self::InvalidHost { reason } => f.write_str(reason),
            Self::SpecialAddress { host, addr, special } => {
                let needs = if special.literal_only { "that address literally" } else { "that host exactly" };
                let a = if special.name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
                    "an"
                } else {
                    "a"
                };
                if *host == addr.to_string() {
                    write!(f, "{addr} is {a} {special}, reachable only through a rule naming that address")
                } else {
                    write!(f, "{host} resolves to {addr}, {a} {special}, reachable only through a rule naming {needs}")
                }
            }
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

/// How a rule relates to a target.
enum Match {
    Yes,
    No,
    /// The origin matches but the path cannot be compared with the prefix.
    Unsafe(Unsafe),
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
        if path.contains(['?', '#']) {
            return Err("path prefix must be a plain path".into());
        }
        let path_prefix =
            path::normalize_prefix(path).map_err(|why| format!("path prefix must be a plain path: {why}"))?;
        let (host, port) = if authority.starts_with('[') {
            let end = authority.find(']').ok_or("unclosed `[` in IPv6 host")?;
            (&authority[..=end], authority[end + 1..].strip_prefix(':'))
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
        Ok(Self { scheme, host, port, path_prefix, source: text.to_string() })
    }

    fn matches(&self, t: &Target<'_>, path: &Result<String, Unsafe>) -> Match {
        if t.scheme != self.scheme || self.port.is_some_and(|p| p != t.port) {
            return Match::No;
        }
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Suffix(s) => t.host.len() > s.len() && t.host.ends_with(s.as_str()),
            HostPattern::Name(n) => t.host == n,
            HostPattern::Ip(ip) => t.host.parse::<IpAddr>().is_ok_and(|h| h == *ip),
        };
        match path {
            _ if !host_ok => Match::No,
            // Under the root every path is within; nothing to compare.
            _ if self.path_prefix == "/" => Match::Yes,
            Ok(p) if path::within(p, &self.path_prefix) => Match::Yes,
            Ok(_) => Match::No,
            Err(why) => Match::Unsafe(*why),
        }
    }

    /// Whether this rule may reach an address of a special-purpose block.
    /// A literal IP may reach itself. An exact host name (an in-cluster
    /// service, `localhost`) may resolve to loopback or private addresses,
    /// but never to link-local ones or cloud metadata: those need a literal
    /// rule. Wildcards never reach special addresses.
    pub fn permits(&self, special: &Special) -> bool {
        match &self.host {
            HostPattern::Ip(_) => true,
            HostPattern::Name(_) => !special.literal_only,
            HostPattern::Any | HostPattern::Suffix(_) => false,
        }
    }

    /// Whether the rule names its host exactly (an IP or a host name).
    pub fn is_exact(&self) -> bool {
        matches!(&self.host, HostPattern::Ip(_) | HostPattern::Name(_))
    }
}

/// `*`, `*.domain`, or a host the way [`Origin`] normalises request hosts,
/// so that a rule and a request spell the same host the same way.
fn parse_host_pattern(host: &str) -> Result<HostPattern, RuleError> {
    let not_a_host = || RuleError(format!("`{host}` is not a host name, IP address, `*` or `*.domain`"));
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    let (suffix, name) = match host.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, host),
    };
    if name.contains('*') {
        return Err(not_a_host());
    }
    match normalize_host(name).map_err(|_| not_a_host())? {
        Host::Name(n) if suffix => Ok(HostPattern::Suffix(format!(".{n}"))),
        Host::Name(n) if n.contains('_') => Err(not_a_host()),
        Host::Name(n) => Ok(HostPattern::Name(n)),
        Host::Ip(ip) if !suffix => Ok(HostPattern::Ip(ip)),
        Host::Ip(_) => Err(not_a_host()),
    }
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
        let path = path::normalize(t.path);
        let mut refused = None;
        let mut found = None;
        for rule in &self.rules {
            match rule.matches(t, &path) {
                Match::Yes => {
                    found = Some(rule);
                    break;
                }
                Match::Unsafe(why) => {
                    refused.get_or_insert((rule, why));
                }
                Match::No => {}
            }
        }
        let rule = found.ok_or_else(|| match refused {
            Some((rule, reason)) => Denial::UnsafePath { url: display_url(t), reason, rule: rule.source.clone() },
            None => Denial::NoRule { url: display_url(t) },
        })?;
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
        Some(special) if !rule.permits(&special) => {
            Err(Denial::SpecialAddress { host: host.to_string(), addr: ip, special })
        }
        _ => Ok(()),
    }
}

fn display_url(t: &Target<'_>) -> String {
    let host = if t.host.contains(':') { format!("[{}]", t.host) } else { t.host.to_string() };
    format!("{}://{}:{}{}", t.scheme, host, t.port, t.path)
}

#[cfg(test)]
mod tests;
