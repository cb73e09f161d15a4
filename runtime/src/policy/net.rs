//! Classification of IP addresses that must never be reached unless a policy
//! names them explicitly: loopback, link-local (cloud metadata), private,
//! shared, multicast and other special-purpose ranges.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is special, or `None` for an ordinary public address.
pub fn special_purpose(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata)")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("shared (carrier-grade NAT)")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("IETF protocol assignment")
    } else if ip.is_documentation() {
        Some("documentation")
    } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
        Some("benchmarking")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() || o[0] >= 240 {
        Some("reserved")
    } else {
        None
    }
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let seg = ip.segments();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if (seg[0] & 0xfe00) == 0xfc00 {
        Some("private (unique local)")
    } else if (seg[0] & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        Some("documentation")
    } else if seg[0] == 0x0064 && seg[1] == 0xff9b {
        // NAT64 can reach any IPv4 address, including private ones.
        Some("NAT64")
    } else if seg[0] == 0x2002 {
        Some("6to4")
    } else if seg[..6] == [0, 0, 0, 0, 0, 0] {
        Some("IPv4-compatible")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::special_purpose;

    #[test]
    fn special_addresses_are_classified() {
        for (addr, class) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::1", "loopback"),
            ("::ffff:169.254.169.254", "link-local (cloud metadata)"),
            ("::ffff:10.0.0.1", "private"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("fd00:ec2::254", "private (unique local)"),
        ] {
            assert_eq!(special_purpose(addr.parse().unwrap()), Some(class), "{addr}");
        }
    }

    #[test]
    fn public_addresses_are_ordinary() {
        for addr in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111"] {
            assert_eq!(special_purpose(addr.parse().unwrap()), None, "{addr}");
        }
    }
}
