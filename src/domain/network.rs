//! Which addresses finmatch may call back (webhooks): public unicast only, unless the
//! operator allows a network (`FINMATCH_WEBHOOK_ALLOW_NETWORKS`, e.g. `10.0.0.0/8` for banks
//! on a private line). Refuses loopback, private, link-local (incl. the 169.254.169.254
//! metadata service), shared, multicast, broadcast, unspecified, documentation and reserved
//! ranges, and IPv6's equivalents (IPv4-mapped addresses are judged as IPv4).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

pub fn may_call(ip: IpAddr, allow: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    allow.iter().any(|n| n.contains(&ip)) || is_public(ip)
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 onto anything
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_unless_allowed() {
        for bad in [
            "127.0.0.1",
            "127.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "ff02::1",
            "240.0.0.1",
        ] {
            assert!(!may_call(ip(bad), &[]), "{bad}");
        }
        for good in ["1.1.1.1", "203.0.114.1", "2606:4700::1111"] {
            assert!(may_call(ip(good), &[]), "{good}");
        }
        let allow: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(may_call(ip("10.9.8.7"), &allow));
        assert!(!may_call(ip("192.168.0.1"), &allow));
    }
}
