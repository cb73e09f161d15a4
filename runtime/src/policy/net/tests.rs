use super::*;
use proptest::prelude::*;

fn class(addr: &str) -> Option<Special> {
    special_purpose(addr.parse().unwrap())
}

/// One address in each block of both IANA registries (and the extra rows),
/// with the block it must be classified into.
#[test]
fn every_registry_block_is_special() {
    for (addr, block) in [
        ("0.0.0.0", "0.0.0.0/32"),
        ("0.1.2.3", "0.0.0.0/8"),
        ("10.1.2.3", "10.0.0.0/8"),
        ("100.64.0.1", "100.64.0.0/10"),
        ("100.127.255.254", "100.64.0.0/10"),
        ("100.100.100.200", "100.100.100.200/32"),
        ("127.0.0.1", "127.0.0.0/8"),
        ("127.8.9.10", "127.0.0.0/8"),
        ("169.254.169.254", "169.254.0.0/16"),
        ("172.16.0.1", "172.16.0.0/12"),
        ("172.31.255.255", "172.16.0.0/12"),
        ("192.0.0.1", "192.0.0.0/29"),
        ("192.0.0.8", "192.0.0.8/32"),
        ("192.0.0.9", "192.0.0.9/32"),
        ("192.0.0.10", "192.0.0.10/32"),
        ("192.0.0.170", "192.0.0.170/32"),
        ("192.0.0.171", "192.0.0.171/32"),
        ("192.0.0.100", "192.0.0.0/24"),
        ("192.0.2.1", "192.0.2.0/24"),
        ("192.31.196.1", "192.31.196.0/24"),
        ("192.52.193.1", "192.52.193.0/24"),
        ("192.88.99.1", "192.88.99.0/24"),
        ("192.168.1.1", "192.168.0.0/16"),
        ("192.175.48.1", "192.175.48.0/24"),
        ("198.18.0.1", "198.18.0.0/15"),
        ("198.19.255.255", "198.18.0.0/15"),
        ("198.51.100.1", "198.51.100.0/24"),
        ("203.0.113.1", "203.0.113.0/24"),
        ("224.0.0.1", "224.0.0.0/4"),
        ("239.255.255.255", "224.0.0.0/4"),
        ("240.0.0.1", "240.0.0.0/4"),
        ("255.255.255.255", "255.255.255.255/32"),
        ("::1", "::1/128"),
        ("::", "::/128"),
        ("::ffff:0:7f00:1", "::ffff:0:0:0/96"),
        ("::ffff:0:808:808", "::ffff:0:0:0/96"),
        ("::7f00:1", "::/96"),
        ("64:ff9b::808:808", "64:ff9b::/96"),
        ("64:ff9b:1::1", "64:ff9b:1::/48"),
        ("100::1", "100::/64"),
        ("100:0:0:1::1", "100:0:0:1::/64"),
        ("2001:1::1", "2001:1::1/128"),
        ("2001:1::2", "2001:1::2/128"),
        ("2001:1::3", "2001:1::3/128"),
        ("2001::1", "2001::/32"),
        ("2001:2::1", "2001:2::/48"),
        ("2001:3::1", "2001:3::/32"),
        ("2001:4:112::1", "2001:4:112::/48"),
        ("2001:10::1", "2001:10::/28"),
        ("2001:20::1", "2001:20::/28"),
        ("2001:30::1", "2001:30::/28"),
        ("2001:1ff::1", "2001::/23"),
        ("2001:db8::1", "2001:db8::/32"),
        ("2002:808:808::1", "2002::/16"),
        ("2620:4f:8000::1", "2620:4f:8000::/48"),
        ("3fff::1", "3fff::/20"),
        ("5f00::1", "5f00::/16"),
        ("fd00:ec2::254", "fd00:ec2::254/128"),
        ("fd00::1", "fc00::/7"),
        ("fc00::1", "fc00::/7"),
        ("fe80::1", "fe80::/10"),
        ("fec0::1", "fec0::/10"),
        ("feff::1", "fec0::/10"),
        ("ff02::1", "ff00::/8"),
        ("1::1", "::/8"),
        ("4000::1", "4000::/3"),
        ("fe00::1", "fe00::/9"),
    ] {
        assert_eq!(class(addr).map(|s| s.block()).as_deref(), Some(block), "{addr}");
    }
}

#[test]
fn ipv4_mapped_is_the_ipv4_address() {
    assert_eq!(class("::ffff:169.254.169.254").map(|s| s.block()).as_deref(), Some("169.254.0.0/16"));
    assert_eq!(class("::ffff:10.0.0.1").map(|s| s.block()).as_deref(), Some("10.0.0.0/8"));
    assert_eq!(class("::ffff:8.8.8.8"), None);
}

#[test]
fn link_local_metadata_and_what_embeds_them_need_a_literal_rule() {
    for addr in [
        "169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "::ffff:169.254.169.254",
        "::ffff:0:a9fe:a9fe",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
        "::a9fe:a9fe",
    ] {
        assert!(class(addr).is_some_and(|s| s.literal_only), "{addr}");
    }
    for addr in ["127.0.0.1", "10.0.0.1", "fd00::1", "::ffff:0:7f00:1", "64:ff9b::a00:1", "100.64.0.1"] {
        assert!(class(addr).is_some_and(|s| !s.literal_only), "{addr}");
    }
}

#[test]
fn the_class_names_its_block_and_rfc() {
    let s = class("::ffff:0:7f00:1").unwrap().to_string();
    assert_eq!(s, "IPv4-translated address (::ffff:0:0:0/96, RFC 2765)");
    let s = class("169.254.169.254").unwrap().to_string();
    assert_eq!(s, "link-local (cloud metadata) address (169.254.0.0/16, RFC 3927)");
}

#[test]
fn public_addresses_are_ordinary() {
    for addr in [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "100.128.0.1",
        "192.0.1.1",
        "198.20.0.1",
        "223.255.255.255",
        "2606:4700::1111",
        "2001:200::1",
        "2a00:1450::1",
        "3ffe::1",
    ] {
        assert_eq!(class(addr), None, "{addr}");
    }
}

#[test]
fn table_rows_are_aligned_to_their_length() {
    for b in V4 {
        assert_eq!(u32::from(b.net) & !(u32::MAX.checked_shr(u32::from(b.len)).unwrap_or(0)), u32::from(b.net));
    }
    for b in V6 {
        let mask = !(u128::MAX.checked_shr(u32::from(b.len)).unwrap_or(0));
        assert_eq!(u128::from(b.net) & mask, u128::from(b.net), "{}/{}", b.net, b.len);
    }
}

proptest! {
    /// Only global unicast (2000::/3) can be ordinary.
    #[test]
    fn ipv6_outside_global_unicast_is_special(bits in any::<u128>()) {
        let ip = Ipv6Addr::from(bits);
        if bits >> 125 != 0b001 && ip.to_ipv4_mapped().is_none() {
            prop_assert!(special_purpose(IpAddr::V6(ip)).is_some(), "{}", ip);
        }
    }

    /// An address and its IPv4-mapped form are classified alike.
    #[test]
    fn mapped_matches_ipv4(bits in any::<u32>()) {
        let v4 = Ipv4Addr::from(bits);
        prop_assert_eq!(special_purpose(IpAddr::V4(v4)), special_purpose(IpAddr::V6(v4.to_ipv6_mapped())));
    }

    /// IPv4-translated addresses are special whatever they embed.
    #[test]
    fn translated_is_always_special(bits in any::<u32>()) {
        let ip = Ipv6Addr::from((0xffffu128 << 48) | u128::from(bits));
        prop_assert_eq!(special_purpose(IpAddr::V6(ip)).map(|s| s.name), Some("IPv4-translated"));
    }
}
