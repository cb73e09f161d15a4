//! Classification of IP addresses that must never be reached unless a policy
//! names them: every block of the IANA IPv4 and IPv6 Special-Purpose Address
//! Registries (<https://www.iana.org/assignments/iana-ipv4-special-registry>,
//! <https://www.iana.org/assignments/iana-ipv6-special-registry>), multicast,
//! the IPv6 space outside global unicast, and the cloud metadata endpoints.
//!
//! Every registry block is special here, including the ones the registry marks
//! globally reachable (AS112, AMT, anycast relays): no tool has a reason to
//! reach them, and a wildcard rule should not. Addresses that embed an IPv4
//! address (mapped, translated, compatible, NAT64, 6to4) are special whatever
//! they embed, except IPv4-mapped ones, which are the IPv4 address itself.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is special: the block it lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Special {
    /// The block's name (after the registry's).
    pub name: &'static str,
    /// The block, e.g. `169.254.0.0/16`.
    pub net: IpAddr,
    pub len: u8,
    /// The RFC that assigns it.
    pub rfc: &'static str,
    /// Only a rule naming the address literally may reach it, never a host
    /// name (link-local addresses and cloud metadata endpoints, or an address
    /// embedding one).
    pub literal_only: bool,
}

impl Special {
    /// The block in CIDR notation.
    pub fn block(&self) -> String {
        format!("{}/{}", self.net, self.len)
    }
}

impl fmt::Display for Special {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} address ({}, {})", self.name, self.block(), self.rfc)
    }
}

/// One row of the tables below.
struct Block<A> {
    net: A,
    len: u8,
    name: &'static str,
    rfc: &'static str,
    literal_only: bool,
}

const fn b4(net: [u8; 4], len: u8, name: &'static str, rfc: &'static str) -> Block<Ipv4Addr> {
    Block { net: Ipv4Addr::new(net[0], net[1], net[2], net[3]), len, name, rfc, literal_only: false }
}

const fn b6(net: [u16; 8], len: u8, name: &'static str, rfc: &'static str) -> Block<Ipv6Addr> {
    let s = net;
    Block { net: Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]), len, name, rfc, literal_only: false }
}

const fn literal<A: Copy>(block: Block<A>) -> Block<A> {
    Block { net: block.net, len: block.len, name: block.name, rfc: block.rfc, literal_only: true }
}

/// The IANA IPv4 Special-Purpose Address Registry, most specific block first,
/// then multicast (IANA IPv4 Multicast Address Space Registry) and one cloud
/// metadata endpoint that lies in an ordinary-looking block.
const V4: &[Block<Ipv4Addr>] = &[
    b4([0, 0, 0, 0], 32, "this host on this network", "RFC 1122 §3.2.1.3"),
    b4([0, 0, 0, 0], 8, "this network", "RFC 791 §3.2"),
    b4([10, 0, 0, 0], 8, "private-use", "RFC 1918"),
    literal(b4([100, 100, 100, 200], 32, "cloud metadata (Alibaba Cloud)", "RFC 6598 shared space")),
    b4([100, 64, 0, 0], 10, "shared (carrier-grade NAT)", "RFC 6598"),
    b4([127, 0, 0, 0], 8, "loopback", "RFC 1122 §3.2.1.3"),
    literal(b4([169, 254, 0, 0], 16, "link-local (cloud metadata)", "RFC 3927")),
    b4([172, 16, 0, 0], 12, "private-use", "RFC 1918"),
    b4([192, 0, 0, 0], 29, "IPv4 service continuity prefix", "RFC 7335"),
    b4([192, 0, 0, 8], 32, "IPv4 dummy", "RFC 7600"),
    b4([192, 0, 0, 9], 32, "Port Control Protocol anycast", "RFC 7723"),
    b4([192, 0, 0, 10], 32, "TURN anycast", "RFC 8155"),
    b4([192, 0, 0, 170], 32, "NAT64/DNS64 discovery", "RFC 8880, RFC 7050"),
    b4([192, 0, 0, 171], 32, "NAT64/DNS64 discovery", "RFC 8880, RFC 7050"),
    b4([192, 0, 0, 0], 24, "IETF protocol assignment", "RFC 6890 §2.1"),
    b4([192, 0, 2, 0], 24, "documentation (TEST-NET-1)", "RFC 5737"),
    b4([192, 31, 196, 0], 24, "AS112-v4", "RFC 7535"),
    b4([192, 52, 193, 0], 24, "AMT", "RFC 7450"),
    b4([192, 88, 99, 0], 24, "deprecated 6to4 relay anycast", "RFC 7526"),
    b4([192, 168, 0, 0], 16, "private-use", "RFC 1918"),
    b4([192, 175, 48, 0], 24, "AS112 direct delegation", "RFC 7534"),
    b4([198, 18, 0, 0], 15, "benchmarking", "RFC 2544"),
    b4([198, 51, 100, 0], 24, "documentation (TEST-NET-2)", "RFC 5737"),
    b4([203, 0, 113, 0], 24, "documentation (TEST-NET-3)", "RFC 5737"),
    b4([224, 0, 0, 0], 4, "multicast", "RFC 5771"),
    b4([255, 255, 255, 255], 32, "limited broadcast", "RFC 8190, RFC 919 §7"),
    b4([240, 0, 0, 0], 4, "reserved", "RFC 1112 §4"),
];

/// The IANA IPv6 Special-Purpose Address Registry, most specific block first,
/// the AWS metadata endpoint, then the blocks of the IANA IPv6 Address Space
/// registry outside global unicast (site-local, multicast, reserved). IPv4-mapped
/// addresses (`::ffff:0:0/96`, RFC 4291) are classified as their IPv4 address
/// before this table is consulted.
const V6: &[Block<Ipv6Addr>] = &[
    b6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback", "RFC 4291"),
    b6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified", "RFC 4291"),
    b6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96, "IPv4-translated", "RFC 2765"),
    b6([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible (deprecated)", "RFC 4291 §2.5.5.1"),
    b6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "IPv4/IPv6 translation (NAT64)", "RFC 6052"),
    b6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "IPv4/IPv6 translation (local use)", "RFC 8215"),
    b6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only", "RFC 6666"),
    b6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy IPv6 prefix", "RFC 9780"),
    b6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128, "Port Control Protocol anycast", "RFC 7723"),
    b6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, "TURN anycast", "RFC 8155"),
    b6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128, "DNS-SD service registration anycast", "RFC 9665"),
    b6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo", "RFC 4380, RFC 8190"),
    b6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "benchmarking", "RFC 5180"),
    b6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, "AMT", "RFC 7450"),
    b6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, "AS112-v6", "RFC 7535"),
    b6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, "deprecated ORCHID", "RFC 4843"),
    b6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2", "RFC 7343"),
    b6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28, "drone remote ID entity tags", "RFC 9374"),
    b6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignment", "RFC 2928"),
    b6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation", "RFC 3849"),
    b6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4", "RFC 3056"),
    b6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "AS112 direct delegation", "RFC 7534"),
    b6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation", "RFC 9637"),
    b6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "segment routing (SRv6) SID", "RFC 9602"),
    literal(b6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128, "cloud metadata (AWS)", "RFC 4193 unique-local")),
    b6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "private (unique local)", "RFC 4193, RFC 8190"),
    literal(b6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local", "RFC 4291")),
    b6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)", "RFC 3879"),
    b6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast", "RFC 4291"),
    // The rest of the space outside global unicast (2000::/3), as the IANA
    // IPv6 Address Space registry lists it: reserved by the IETF.
    b6([0, 0, 0, 0, 0, 0, 0, 0], 8, "reserved", "RFC 4291"),
    b6([0x100, 0, 0, 0, 0, 0, 0, 0], 8, "reserved", "RFC 4291"),
    b6([0x200, 0, 0, 0, 0, 0, 0, 0], 7, "reserved", "RFC 4048"),
    b6([0x400, 0, 0, 0, 0, 0, 0, 0], 6, "reserved", "RFC 4291"),
    b6([0x800, 0, 0, 0, 0, 0, 0, 0], 5, "reserved", "RFC 4291"),
    b6([0x1000, 0, 0, 0, 0, 0, 0, 0], 4, "reserved", "RFC 4291"),
    b6([0x4000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", "RFC 4291"),
    b6([0x6000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", "RFC 4291"),
    b6([0x8000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", "RFC 4291"),
    b6([0xa000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", "RFC 4291"),
    b6([0xc000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", "RFC 4291"),
    b6([0xe000, 0, 0, 0, 0, 0, 0, 0], 4, "reserved", "RFC 4291"),
    b6([0xf000, 0, 0, 0, 0, 0, 0, 0], 5, "reserved", "RFC 4291"),
    b6([0xf800, 0, 0, 0, 0, 0, 0, 0], 6, "reserved", "RFC 4291"),
    b6([0xfe00, 0, 0, 0, 0, 0, 0, 0], 9, "reserved", "RFC 4291"),
];

/// Why an address is special, or `None` for an ordinary public address.
pub fn special_purpose(ip: IpAddr) -> Option<Special> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<Special> {
    let bits = u32::from(ip);
    V4.iter().find(|b| prefix_v4(bits, u32::from(b.net), b.len)).map(|b| special(b, IpAddr::V4(b.net)))
}

fn special_v6(ip: Ipv6Addr) -> Option<Special> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let bits = u128::from(ip);
    let block = V6.iter().find(|b| prefix_v6(bits, u128::from(b.net), b.len))?;
    let mut s = special(block, IpAddr::V6(block.net));
    // An address that carries an IPv4 address to a translator reaches what
    // the IPv4 address reaches: metadata through it needs a literal rule too.
    s.literal_only |= embedded_v4(ip).and_then(special_v4).is_some_and(|e| e.literal_only);
    Some(s)
}

fn special<A>(b: &Block<A>, net: IpAddr) -> Special {
    Special { name: b.name, net, len: b.len, rfc: b.rfc, literal_only: b.literal_only }
}

/// The IPv4 address an IPv6 address carries to a translator, if any:
/// IPv4-translated and -compatible (last 32 bits), NAT64 (last 32 bits of the
/// well-known and local-use prefixes), 6to4 (bits 16..48).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0xffff, 0, _, _] | [0, 0, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, _, _, _, _, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

fn prefix_v4(addr: u32, net: u32, len: u8) -> bool {
    len == 0 || (addr ^ net) >> (32 - u32::from(len)) == 0
}

fn prefix_v6(addr: u128, net: u128, len: u8) -> bool {
    len == 0 || (addr ^ net) >> (128 - u32::from(len)) == 0
}

#[cfg(test)]
mod tests;
