//! Who is calling: networks (CIDRs) and the client address behind trusted proxies.
//!
//! Only when the TCP peer is one of `trusted_proxies` are `Forwarded` (RFC 7239) and
//! `X-Forwarded-For` read, and then the client is the right-most address that is not itself a
//! trusted proxy: every hop appends, so anything left of the first untrusted hop may be
//! written by the client and is ignored. Otherwise the headers are ignored and the peer is the
//! client.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Parse CIDRs (`10.0.0.0/8`, `::1/128`); a bare address is a single host.
pub fn parse_cidrs(list: &[String]) -> Result<Vec<IpNet>, String> {
    list.iter()
        .map(|s| {
            let s = s.trim();
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not a CIDR such as 10.0.0.0/8"))
        })
        .collect()
}

pub fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    nets.iter().any(|n| n.contains(&ip))
}

/// `::ffff:10.0.0.1` is `10.0.0.1`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `for=` value of `Forwarded`: `192.0.2.1`, `"[2001:db8::1]:443"`, `192.0.2.1:80`.
fn forwarded_node(v: &str) -> Option<IpAddr> {
    let v = v.trim().trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse::<IpAddr>()
        .ok()
        .or_else(|| v.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The hops the proxies recorded, left (farthest) to right (nearest). `Forwarded` wins over
/// `X-Forwarded-For` when both are present. `None`: a hop is unreadable (obfuscated or
/// garbage), and nothing left of it can be placed.
fn hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|elem| {
                elem.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| forwarded_node(v))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>().ok())
        .collect()
}

/// The client's address for limits, audits and the push allow-list.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !contains(trusted, peer) {
        return peer;
    }
    let mut client = peer;
    for hop in hops(headers).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(ip);
                if !contains(trusted, client) {
                    return client;
                }
            }
            // An unreadable hop: the last readable address we reached is as far as we trust.
            None => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        m
    }

    #[test]
    fn right_most_untrusted_hop_from_a_trusted_peer_only() {
        let trusted = parse_cidrs(&["10.0.0.0/8".into(), "::1".into()]).expect("cidrs");
        let proxy: IpAddr = "10.1.2.3".parse().expect("ip");
        let outside: IpAddr = "203.0.113.9".parse().expect("ip");
        let xff = h(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.5")]);
        // The client may prepend anything; the right-most untrusted hop is the real one.
        assert_eq!(client_ip(proxy, &xff, &trusted).to_string(), "198.51.100.7");
        // From an untrusted peer, the headers are ignored.
        assert_eq!(client_ip(outside, &xff, &trusted), outside);
        let fwd = h(&[(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, for=10.0.0.9"#,
        )]);
        assert_eq!(client_ip(proxy, &fwd, &trusted).to_string(), "2001:db8::7");
        // Forwarded wins over X-Forwarded-For.
        let both = h(&[
            ("forwarded", "for=192.0.2.60"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(client_ip(proxy, &both, &trusted).to_string(), "192.0.2.60");
        // Garbage stops the walk at the last trusted hop.
        let junk = h(&[("x-forwarded-for", "198.51.100.7, nonsense")]);
        assert_eq!(client_ip(proxy, &junk, &trusted), proxy);
        // No header: the proxy itself.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        // IPv4-mapped peers count as their IPv4 address.
        let mapped: IpAddr = "::ffff:10.9.9.9".parse().expect("ip");
        assert_eq!(
            client_ip(mapped, &xff, &trusted).to_string(),
            "198.51.100.7"
        );
        assert!(parse_cidrs(&["10.0.0.0/33".into()]).is_err());
    }
}
