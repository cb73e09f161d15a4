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

fn unsafe_reason(p: &EgressPolicy, path: &str) -> Option<Unsafe> {
    match p.check(&target("http", "h.example", 80, path)) {
        Err(Denial::UnsafePath { reason, .. }) => Some(reason),
        _ => None,
    }
}

#[test]
fn semicolon_dot_dot_is_refused() {
    assert_eq!(unsafe_reason(&policy(&["http://h.example/v1"]), "/v1/..;/admin"), Some(Unsafe::Parameter));
}

#[test]
fn double_encoded_dots_are_refused() {
    assert_eq!(unsafe_reason(&policy(&["http://h.example/v1"]), "/v1/%252e%252e/admin"), Some(Unsafe::DoubleEncoded));
}

#[test]
fn encoded_backslash_is_refused() {
    assert_eq!(unsafe_reason(&policy(&["http://h.example/v1"]), "/v1/..%5cadmin"), Some(Unsafe::Encoded('\\')));
    assert_eq!(unsafe_reason(&policy(&["http://h.example/v1"]), "/v1/..\\admin"), Some(Unsafe::Backslash));
}

#[test]
fn encoded_slashes_and_dots_are_refused() {
    let p = policy(&["http://h.example/v1"]);
    assert_eq!(unsafe_reason(&p, "/v1%2f..%2fadmin"), Some(Unsafe::Encoded('/')));
    assert_eq!(unsafe_reason(&p, "/v1/%2E%2E/admin"), Some(Unsafe::Encoded('.')));
    assert_eq!(unsafe_reason(&p, "/v1/../admin"), Some(Unsafe::DotSegment));
}

#[test]
fn prefixes_compare_on_the_decoded_path() {
    let p = policy(&["http://h.example/v1"]);
    assert!(p.check(&target("http", "h.example", 80, "/%76%31/query")).is_ok());
    assert!(matches!(p.check(&target("http", "h.example", 80, "/v%310/x")), Err(Denial::NoRule { .. })));
    // A rule's own prefix is decoded the same way, and must be plain too.
    let encoded = policy(&["http://h.example/api%20v1/"]);
    assert_eq!(encoded.rules[0].path_prefix, "/api v1");
    assert!(encoded.check(&target("http", "h.example", 80, "/api%20v1/x")).is_ok());
    for bad in
        ["http://h/v1/..;/x", "http://h/a%252e", "http://h/a%5cb", "http://h/a\\b", "http://h/a;b", "http://h/%2e%2e"]
    {
        assert!(HostRule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_root_prefix_admits_any_path_as_before() {
    // A rule for a whole origin has no prefix to escape: encoded slashes
    // (Elasticsearch date math, Jaeger service names) keep working.
    let p = policy(&["http://h.example"]);
    for path in ["/%3Clogs-%7Bnow%2Fd%7D%3E/_search", "/a;b", "/v1/%252e"] {
        assert!(p.check(&target("http", "h.example", 80, path)).is_ok(), "{path}");
    }
}

#[test]
fn an_unsafe_path_is_refused_even_when_another_rule_names_the_origin_elsewhere() {
    let p = policy(&["http://h.example/v1", "http://h.example/v2"]);
    let d = p.check(&target("http", "h.example", 80, "/v2/..;/admin")).unwrap_err();
    assert!(matches!(d, Denial::UnsafePath { .. }), "{d}");
}

#[test]
fn path_denials_name_the_path_the_reason_and_the_rule() {
    let p = policy(&["http://127.0.0.1:9000/v1"]);
    let d = p.check(&target("http", "127.0.0.1", 9000, "/v1/..;/admin")).unwrap_err().to_string();
    assert_eq!(
        d,
        "http://127.0.0.1:9000/v1/..;/admin refused: the path has a `;` parameter, \
         which the path-prefix rule `http://127.0.0.1:9000/v1` never admits"
    );
}

#[test]
fn metadata_and_loopback_denied_unless_named_literally() {
    let any = policy(&["http://*:*"]);
    for host in [
        "169.254.169.254",
        "127.0.0.1",
        "10.0.0.1",
        "192.168.0.10",
        "::1",
        "fd00:ec2::254",
        "::ffff:0:7f00:1",
        "fec0::1",
        "2001::1",
        "2001:db8::1",
        "64:ff9b::a9fe:a9fe",
        "100::1",
        "3fff::1",
        "5f00::1",
        "198.18.0.1",
        "192.0.0.170",
        "240.0.0.1",
    ] {
        let d = any.check(&target("http", host, 80, "/latest/meta-data")).unwrap_err();
        assert!(matches!(d, Denial::SpecialAddress { .. }), "{host}: {d}");
    }
    let named = policy(&["http://169.254.169.254", "http://127.0.0.1:8080"]);
    assert!(named.check(&target("http", "169.254.169.254", 80, "/")).is_ok());
    assert!(named.check(&target("http", "127.0.0.1", 8080, "/")).is_ok());
    assert!(named.check(&target("http", "127.0.0.1", 8081, "/")).is_err());
}

#[test]
fn ipv4_translated_loopback_is_special() {
    let d = policy(&["http://*:*"]).check(&target("http", "::ffff:0:7f00:1", 80, "/")).unwrap_err();
    assert_eq!(
        d.to_string(),
        "::ffff:0:7f00:1 is an IPv4-translated address (::ffff:0:0:0/96, RFC 2765), \
         reachable only through a rule naming that address"
    );
}

#[test]
fn site_local_and_ietf_protocol_blocks_are_special() {
    let p = policy(&["http://*:*"]);
    for host in ["fec0::1", "2001:1ff::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"] {
        assert!(matches!(p.check(&target("http", host, 80, "/")), Err(Denial::SpecialAddress { .. })), "{host}");
    }
}

#[test]
fn literal_special_rules_keep_working() {
    for (rule, host) in [
        ("http://[::ffff:0:7f00:1]", "::ffff:0:7f00:1"),
        ("http://[fec0::1]", "fec0::1"),
        ("http://[2001:db8::1]", "2001:db8::1"),
        ("http://198.18.0.1", "198.18.0.1"),
        ("http://[fd00:ec2::254]", "fd00:ec2::254"),
    ] {
        assert!(policy(&[rule]).check(&target("http", host, 80, "/")).is_ok(), "{rule}");
    }
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
    for literal_only in ["fe80::1", "fd00:ec2::254", "100.100.100.200", "64:ff9b::a9fe:a9fe"] {
        let d = EgressPolicy::check_addresses(rule, svc, &[literal_only.parse().unwrap()]).unwrap_err().to_string();
        assert!(d.ends_with("reachable only through a rule naming that address literally"), "{d}");
    }
    let translated: IpAddr = "::ffff:0:a00:1".parse().unwrap();
    assert!(EgressPolicy::check_addresses(rule, svc, &[translated]).is_ok(), "an exact name reaches private space");
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
        "https://h..",
        "https://a..b",
        "https://*.*.example.com",
        "https://*.10.0.0.1",
        "https://1.2.3.256",
    ] {
        assert!(HostRule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn rule_hosts_are_normalised_like_request_hosts() {
    let p = policy(&["http://API.Example.com.:8080", "http://0x7f.1:9090", "http://[0:0::1]:7070"]);
    assert_eq!(p.rules[0].host, HostPattern::Name("api.example.com".into()));
    assert_eq!(p.rules[1].host, HostPattern::Ip("127.0.0.1".parse().unwrap()));
    assert_eq!(p.rules[2].host, HostPattern::Ip("::1".parse().unwrap()));
}

#[test]
fn forty_spellings_of_one_origin_are_one_origin() {
    let p = policy(&["http://localhost:9090"]);
    let mut origins = std::collections::BTreeSet::new();
    for i in 0..40 {
        let host: String = "localhost"
            .chars()
            .enumerate()
            .map(|(j, c)| if i >> (j % 5) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        let dot = if i % 2 == 0 { "." } else { "" };
        let port = if i % 3 == 0 { ":9090" } else { ":09090" };
        let uri: http::Uri = format!("http://{host}{dot}{port}/api/{i}").parse().unwrap();
        let origin = Origin::of_uri(&uri).unwrap();
        assert!(p.check(&origin.target(uri.path())).is_ok(), "{uri}");
        origins.insert(origin.to_string());
    }
    assert_eq!(origins.into_iter().collect::<Vec<_>>(), ["http://localhost:9090"]);
    // More than one trailing dot is not a spelling of the origin but a bad host.
    let uri: http::Uri = "http://localhost..:9090/".parse().unwrap();
    assert!(Origin::of_uri(&uri).unwrap_err().contains("empty label"));
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

/// What a lenient server could make of a path: decode until nothing
/// changes, take `\` and full-width forms for their ASCII, drop `;`
/// parameters, then resolve dot segments (RFC 3986 §5.2.4).
fn most_lenient_reading(path: &str) -> String {
    let mut p = path.split(['?', '#']).next().unwrap_or("").to_string();
    loop {
        let next = percent_encoding::percent_decode_str(&p).decode_utf8_lossy().into_owned();
        if next == p {
            break;
        }
        p = next;
    }
    let p =
        p.replace(['\\', '\u{FF3C}', '\u{FE68}', '\u{FF0F}'], "/").replace(['\u{FF0E}', '\u{2024}', '\u{FE52}'], ".");
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/').skip(1) {
        let seg = seg.split([';', '\u{FF1B}', '\u{FE54}']).next().unwrap_or("");
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "/",
        "v1",
        "admin",
        "a",
        ".",
        "..",
        "%2e",
        "%2E",
        "%252e",
        "%25252e",
        "%2f",
        "%2F",
        "%252f",
        "%5c",
        "%5C",
        "\\",
        ";",
        "%3b",
        "..;",
        "%00",
        "%",
        "%41",
        "%76%31",
        "%c0%ae",
        "%ef%bc%8e",
        "\u{FF0E}",
        "?",
        "#",
        "x=1",
    ])
}

proptest! {
    /// Whatever a path is made of, if the matcher admits it under `/v1`,
    /// every reading a server could give it stays under `/v1`.
    #[test]
    fn admitted_paths_stay_under_the_prefix(parts in prop::collection::vec(fragment(), 0..10)) {
        let p = policy(&["http://h.example/v1"]);
        let path = format!("/v1/{}", parts.concat());
        if p.check(&target("http", "h.example", 80, &path)).is_ok() {
            let normalised = path::normalize(&path).expect("admitted paths normalise");
            prop_assert!(path::within(&normalised, "/v1"), "{} -> {}", path, normalised);
            let lenient = most_lenient_reading(&path);
            prop_assert!(lenient == "/v1" || lenient.starts_with("/v1/"), "{} read as {}", path, lenient);
        }
    }

    /// No spelling of `..` (literal, encoded, double-encoded, overlong or
    /// full-width dots; any separator) climbs out of the prefix.
    #[test]
    fn no_encoding_of_dot_dot_escapes(
        first in prop::sample::select(vec![".", "%2e", "%2E", "%252e", "%25252E", "%c0%ae", "%ef%bc%8e", "\u{FF0E}"]),
        second in prop::sample::select(vec![".", "%2e", "%2E", "%252e", "%25252E", "%c0%ae", "%ef%bc%8e", "\u{FF0E}"]),
        before in prop::sample::select(vec!["/", "%2f", "%2F", "%252f", "%5c", "\\", ";/", "/;x/"]),
        after in prop::sample::select(vec!["/", "%2f", "%252f", "%5c", "\\", ";/", ";", "%3b/"]),
    ) {
        let p = policy(&["http://h.example/v1"]);
        let path = format!("/v1{before}{first}{second}{after}admin");
        prop_assert!(p.check(&target("http", "h.example", 80, &path)).is_err(), "{}", path);
    }

    /// Every IPv6 address outside global unicast is refused by wildcards.
    #[test]
    fn wildcards_never_reach_outside_global_unicast(bits in any::<u128>()) {
        let ip = std::net::Ipv6Addr::from(bits);
        if bits >> 125 != 0b001 {
            let p = policy(&["http://*:*"]);
            prop_assert!(p.check(&target("http", &ip.to_string(), 80, "/")).is_err(), "{}", ip);
        }
    }
}
