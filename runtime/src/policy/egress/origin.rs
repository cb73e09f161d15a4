//! One spelling per origin. Rules, circuit breakers, TLS routing and metrics
//! all see an origin after the URL standard's host parser (lower case,
//! percent-decoded, IDNA to ASCII, IPv4 in any of its numeric forms made
//! dotted-decimal), one trailing dot dropped and the scheme's default port
//! made explicit, so `HTTP://Example.COM.:80` and `http://example.com` are
//! one origin.

use std::fmt;
use std::net::IpAddr;

/// `scheme://host:port`, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// `http` or `https`, lower case.
    pub scheme: String,
    /// Lower-case host name without a trailing dot, or an IP address in its
    /// canonical form without brackets.
    pub host: String,
    pub port: u16,
}

/// The port a scheme implies when a URL names none.
pub fn default_port(scheme: &str) -> u16 {
    if scheme.eq_ignore_ascii_case("https") { 443 } else { 80 }
}

impl Origin {
    /// The origin of a request URI; the error says why the host is refused.
    pub fn of_uri(uri: &http::Uri) -> Result<Self, String> {
        let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
        let host = normalize_host(uri.host().unwrap_or(""))?.to_string();
        let port = uri.port_u16().unwrap_or_else(|| default_port(&scheme));
        Ok(Self { scheme, host, port })
    }

    /// The origin of a parsed URL (a configured backend address).
    pub fn of_url(url: &url::Url) -> Result<Self, String> {
        let host = normalize_host(url.host_str().unwrap_or(""))?.to_string();
        let port = url.port_or_known_default().unwrap_or_else(|| default_port(url.scheme()));
        Ok(Self { scheme: url.scheme().to_string(), host, port })
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip() {
            Some(IpAddr::V6(ip)) => write!(f, "{}://[{ip}]:{}", self.scheme, self.port),
            _ => write!(f, "{}://{}:{}", self.scheme, self.host, self.port),
        }
    }
}

/// A host as the URL standard parses it (IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Normalise a host: `[v6]`, an IPv4 address in any numeric form, or a DNS
/// name (case folded, one trailing dot dropped; empty labels, a label over
/// 63 bytes or a name over 253 refused).
pub fn normalize_host(raw: &str) -> Result<Host, String> {
    let bad = |why: &str| format!("`{raw}` is not a valid host: {why}");
    if raw.is_empty() {
        return Err(bad("empty"));
    }
    // A bare IPv6 address, as `Target` and the rule parser hand it over.
    if let Ok(ip) = raw.parse::<std::net::Ipv6Addr>() {
        return Ok(Host::Ip(IpAddr::V6(ip)));
    }
    match url::Host::parse(raw).map_err(|e| bad(&e.to_string()))? {
        url::Host::Ipv4(ip) => Ok(Host::Ip(IpAddr::V4(ip))),
        url::Host::Ipv6(ip) => Ok(Host::Ip(IpAddr::V6(ip))),
        url::Host::Domain(name) => {
            let name = name.strip_suffix('.').unwrap_or(&name);
            if name.is_empty() || name.len() > 253 {
                return Err(bad("a host name has 1 to 253 characters"));
            }
            if let Some(label) = name.split('.').find(|l| l.is_empty() || l.len() > 63) {
                let why = if label.is_empty() {
                    "empty label (`..` or a second trailing dot)"
                } else {
                    "label over 63 characters"
                };
                return Err(bad(why));
            }
            if !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.') {
                return Err(bad("only letters, digits, `-`, `_` and `.` may appear in a host name"));
            }
            Ok(Host::Name(name.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Result<String, String> {
        Origin::of_uri(&url.parse::<http::Uri>().unwrap()).map(|o| o.to_string())
    }

    #[test]
    fn spellings_of_one_origin_are_one_origin() {
        for url in ["http://example.com/", "http://example.com.:80/", "HTTP://EXAMPLE.COM/", "http://Example.Com.:80/x"]
        {
            assert_eq!(origin(url).as_deref(), Ok("http://example.com:80"), "{url}");
        }
        for url in [
            "http://127.0.0.1:8080/",
            "http://127.1:8080/",
            "http://0x7f.0.0.1:8080/",
            "http://2130706433:8080/",
            "http://127.0.0.1.:8080/",
        ] {
            assert_eq!(origin(url).as_deref(), Ok("http://127.0.0.1:8080"), "{url}");
        }
        assert_eq!(origin("https://[0:0:0:0:0:0:0:1]/").as_deref(), Ok("https://[::1]:443"));
        assert_eq!(origin("https://[::FFFF:0:7F00:1]:443/").as_deref(), Ok("https://[::ffff:0:7f00:1]:443"));
    }

    #[test]
    fn malformed_hosts_are_refused() {
        for url in ["http://example.com../", "http://a..b/", "http://./", "http://1.2.3.256/"] {
            let err = origin(url).unwrap_err();
            assert!(err.contains("is not a valid host"), "{url}: {err}");
        }
        for host in ["exa*mple.com", "a%2fb", ""] {
            assert!(normalize_host(host).is_err(), "{host}");
        }
        // Percent-encoding in a host decodes (the URL standard's host parser).
        assert_eq!(normalize_host("ex%61mple.com"), Ok(Host::Name("example.com".into())));
        let long = format!("http://{}.com/", "a".repeat(64));
        assert!(origin(&long).unwrap_err().contains("label over 63"));
    }

    #[test]
    fn backend_urls_normalise_alike() {
        let url = url::Url::parse("https://ES.Example.:443/base/").unwrap();
        assert_eq!(Origin::of_url(&url).unwrap().to_string(), "https://es.example:443");
    }
}
