//! The client's address behind reverse proxies.
//!
//! Most deployments put nginx or HAProxy in front of the service: the TCP
//! peer is then the proxy, and every client would share one rate limit and
//! one recorded `ip_address`. When the peer is one of the operator's
//! `APP_TRUSTED_PROXIES`, the client is the right-most address of
//! `X-Forwarded-For` that is not a trusted proxy itself. A peer that is not
//! trusted is the client, whatever headers it sends, so nobody can dodge a
//! limit by writing `X-Forwarded-For`.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// One address or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpRange { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => same_prefix(
                u32::from(network).into(),
                u32::from(ip).into(),
                32,
                self.prefix,
            ),
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                same_prefix(u128::from(network), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// True when the first `prefix` of `bits` bits of `a` and `b` are equal.
fn same_prefix(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

/// The client of a request whose TCP peer is `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(peer) {
        return peer;
    }
    // Each proxy appends the address it received from; several headers
    // count as one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        // An entry that is not an address ends what can be believed: the
        // last trusted hop is the best known client.
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| IpRange::parse(r).unwrap()).collect()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let net = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        let one = IpRange::parse("192.0.2.7").unwrap();
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));
        let v6 = IpRange::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host",
            "10.0.0.0/x",
        ] {
            assert_eq!(IpRange::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &headers, &ranges(&["127.0.0.1"])),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers, &[]),
            ip("127.0.0.1"),
            "no trusted proxy configured"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = ranges(&["127.0.0.1", "10.0.0.0/8"]);
        let peer = ip("127.0.0.1");
        // A client may write its own header: only what trusted proxies
        // appended is believed.
        let headers = forwarded(&["6.6.6.6, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(client_ip(peer, &headers, &trusted), ip("203.0.113.9"));
        assert_eq!(
            client_ip(peer, &forwarded(&["2001:db8::5"]), &trusted),
            ip("2001:db8::5")
        );
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        assert_eq!(
            client_ip(peer, &forwarded(&["10.0.0.3, 10.0.0.2"]), &trusted),
            ip("10.0.0.3"),
            "all trusted: the farthest proxy"
        );
        assert_eq!(
            client_ip(peer, &forwarded(&["203.0.113.9, junk, 10.0.0.2"]), &trusted),
            ip("10.0.0.2"),
            "nothing beyond an unreadable hop is believed"
        );
    }
}
