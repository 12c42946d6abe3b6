//! Which address a request comes from, behind proxies we run. Per-address
//! rate limits key on it, so it must be the client's, not the proxy's, and
//! never a value the client chose: `X-Forwarded-For` is read only when the
//! peer is a trusted proxy, from the right, and the first address that is
//! not one of ours is the client (anything left of it was written by the
//! client and proves nothing).

use std::net::IpAddr;

/// An address or a network (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| format!("{s:?} is not an IP address or network"))?;
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or(format!("{s:?}: bad prefix length"))?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` we believe (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated addresses and networks; empty for none.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::parse).collect::<Result<_, _>>().map(Self)
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy;
/// then the right-most `X-Forwarded-For` entry that is not a trusted proxy
/// (or the left-most one when every entry is ours). An unreadable entry
/// ends the walk at the last address we could trust.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &TrustedProxies) -> IpAddr {
    let mut client = canonical(peer);
    if !trusted.contains(client) {
        return client;
    }
    let hops = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|h| !h.is_empty());
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = canonical(ip);
        if !trusted.contains(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net: Network = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.200.1.1")) && !net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6 is IPv4");
        let one: Network = "172.18.0.5".parse().unwrap();
        assert!(one.contains(ip("172.18.0.5")) && !one.contains(ip("172.18.0.6")));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("0.0.0.0/0".parse::<Network>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
        let list: TrustedProxies = " 127.0.0.1, 172.16.0.0/12 ,".parse().unwrap();
        assert!(list.contains(ip("172.20.0.2")) && list.contains(ip("127.0.0.1")) && !list.contains(ip("8.8.8.8")));
        assert_eq!("".parse::<TrustedProxies>().unwrap(), TrustedProxies::default());
    }

    #[test]
    fn the_client_is_the_right_most_address_that_is_not_our_proxy() {
        let trusted: TrustedProxies = "172.16.0.0/12".parse().unwrap();
        let proxy = ip("172.18.0.3");
        // A direct caller's header is ignored: anyone can send one.
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.1.1.1"], &trusted), ip("203.0.113.9"));
        // Through our proxy: the address it saw.
        assert_eq!(client_ip(proxy, &["203.0.113.9"], &trusted), ip("203.0.113.9"));
        // A client forging entries to the left changes nothing.
        assert_eq!(client_ip(proxy, &["6.6.6.6, 7.7.7.7, 203.0.113.9"], &trusted), ip("203.0.113.9"));
        // Several of our proxies in a row are skipped, across header lines too.
        assert_eq!(client_ip(proxy, &["6.6.6.6, 203.0.113.9", "172.18.0.7"], &trusted), ip("203.0.113.9"));
        // Garbage ends the walk at the last address we could trust.
        assert_eq!(client_ip(proxy, &["203.0.113.9, garbage"], &trusted), proxy);
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &[], &trusted), proxy);
        // Nothing trusted: the peer, always.
        assert_eq!(client_ip(proxy, &["203.0.113.9"], &TrustedProxies::default()), proxy);
    }
}
