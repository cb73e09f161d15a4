use super::*;
use proptest::prelude::*;

fn policy(rules: &[&str]) -> EgressPolicy {
    EgressPolicy::compile(&HttpDocument { allow: rules.iter().map(|s| s.to_string()).collect(), ..Default::default() })
        .expect("rules parse")
}

fn target<'a>(scheme: &'a str, host: &'a str, port: u16, path: &'a str) -> Target<'a> {
    Target { scheme, host, port, path }
}

#[test]
fn deny_by_default() {
    let p = policy(&[]);
    assert!(matches!(p.check(&target("https", "example.com", 443, "/")), Err(Denial::NoRule { .. })));
}

#[test]
fn exact_host_scheme_and_default_port() {
    let p = policy(&["https://api.example.com"]);
    assert!(p.check(&target("https", "api.example.com", 443, "/x")).is_ok());
    assert!(p.check(&target("http", "api.example.com", 80, "/x")).is_err());
    assert!(p.check(&target("https", "api.example.com", 8443, "/x")).is_err());
    assert!(p.check(&target("https", "evil-api.example.com", 443, "/")).is_err());
}

#[test]
fn path_prefix_is_segment_aware_and_rejects_dot_segments() {
    let p = policy(&["https://h.example/v1"]);
    assert!(p.check(&target("https", "h.example", 443, "/v1")).is_ok());
    assert!(p.check(&target("https", "h.example", 443, "/v1/q?x=1")).is_ok());
    assert!(p.check(&target("https", "h.example", 443, "/v10")).is_err());
    assert!(p.check(&target("https", "h.example", 443, "/v1/../admin")).is_err());
    assert!(p.check(&target("https", "h.example", 443, "/v1/%2e%2e/admin")).is_err());
}

#[test]
fn metadata_and_loopback_denied_unless_named_literally() {
    let any = policy(&["http://*:*"]);
    for host in ["169.254.169.254", "127.0.0.1", "10.0.0.1", "192.168.0.10", "::1", "fd00:ec2::254"] {
        let d = any.check(&target("http", host, 80, "/latest/meta-data")).unwrap_err();
        assert!(matches!(d, Denial::SpecialAddress { .. }), "{host}: {d}");
    }
    let named = policy(&["http://169.254.169.254", "http://127.0.0.1:8080"]);
    assert!(named.check(&target("http", "169.254.169.254", 80, "/")).is_ok());
    assert!(named.check(&target("http", "127.0.0.1", 8080, "/")).is_ok());
    assert!(named.check(&target("http", "127.0.0.1", 8081, "/")).is_err());
}

#[test]
fn names_resolving_to_internal_addresses_are_refused() {
    let p = policy(&["https://*.example.com"]);
    let rule = p.check(&target("https", "a.example.com", 443, "/")).unwrap();
    let internal: IpAddr = "10.1.2.3".parse().unwrap();
    let public: IpAddr = "93.184.216.34".parse().unwrap();
    assert!(EgressPolicy::check_addresses(rule, "a.example.com", &[public]).is_ok());
    assert!(EgressPolicy::check_addresses(rule, "a.example.com", &[public, internal]).is_err());
    assert!(EgressPolicy::check_addresses(rule, "a.example.com", &[]).is_err());
    let exact = policy(&["http://prometheus.monitoring.svc:9090"]);
    let rule = exact.check(&target("http", "prometheus.monitoring.svc", 9090, "/")).unwrap();
    let svc = "prometheus.monitoring.svc";
    assert!(EgressPolicy::check_addresses(rule, svc, &[internal]).is_ok());
    let metadata: IpAddr = "169.254.169.254".parse().unwrap();
    assert!(EgressPolicy::check_addresses(rule, svc, &[metadata]).is_err());
    let local = policy(&["http://localhost:9090"]);
    let rule = local.check(&target("http", "localhost", 9090, "/")).unwrap();
    assert!(EgressPolicy::check_addresses(rule, "localhost", &["127.0.0.1".parse().unwrap()]).is_ok());
}

#[test]
fn bad_rules_are_rejected() {
    for bad in [
        "example.com",
        "ftp://example.com",
        "https://",
        "https://exa mple.com",
        "https://h:0",
        "https://h:99999",
        "https://h/a?b",
        "https://*.",
        "https://[::1",
    ] {
        assert!(HostRule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn ipv6_and_any_port_rules() {
    let p = policy(&["http://[::1]:*"]);
    assert!(p.check(&target("http", "::1", 1234, "/")).is_ok());
    assert!(p.check(&target("http", "127.0.0.1", 1234, "/")).is_err());
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

proptest! {
    #[test]
    fn suffix_rule_matches_only_strict_subdomains(sub in label(), base in label(), tld in "[a-z]{2,6}", other in label()) {
        let domain = format!("{base}.{tld}");
        let p = policy(&[&format!("https://*.{domain}")]);
        let sub_host = format!("{sub}.{domain}");
        prop_assert!(p.check(&target("https", &sub_host, 443, "/")).is_ok());
        // The apex, look-alikes and suffix-extension attacks never match.
        prop_assert!(p.check(&target("https", &domain, 443, "/")).is_err());
        let glued = format!("{other}{domain}");
        prop_assert!(p.check(&target("https", &glued, 443, "/")).is_err());
        let extended = format!("{sub}.{domain}.{other}");
        prop_assert!(p.check(&target("https", &extended, 443, "/")).is_err());
    }

    #[test]
    fn exact_rule_matches_only_itself(a in label(), b in label(), port in 1u16..) {
        let host = format!("{a}.test");
        let p = policy(&[&format!("http://{host}:{port}")]);
        prop_assert!(p.check(&target("http", &host, port, "/any/path")).is_ok());
        if a != b {
            let other = format!("{b}.test");
            prop_assert!(p.check(&target("http", &other, port, "/")).is_err());
        }
        prop_assert!(p.check(&target("http", &host, port.wrapping_add(1).max(1), "/")).is_err() || port == u16::MAX);
    }

    #[test]
    fn private_ipv4_never_allowed_by_wildcards(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255) {
        let p = policy(&["http://*:*", "https://*:*"]);
        for ip in [format!("10.{a}.{b}.{c}"), format!("127.{a}.{b}.{c}"), format!("169.254.{b}.{c}"), format!("192.168.{b}.{c}")] {
            prop_assert!(p.check(&target("http", &ip, 80, "/")).is_err(), "{}", ip);
        }
    }

    #[test]
    fn rule_parser_never_panics(s in "\\PC{0,60}") {
        let _ = HostRule::parse(&s);
    }
}
