//! Where a user-given URL may lead. The worker hands URLs from users to
//! yt-dlp, which follows redirects and playlists wherever they point; left
//! alone, a URL could make it read loopback services, the private network
//! or the cloud metadata endpoint (SSRF). yt-dlp is therefore run with
//! `--proxy` set to a [`CheckingProxy`]: the proxy resolves every target
//! itself, refuses any that resolves to a non-public address, and connects
//! to the exact address it checked, so DNS cannot answer differently between
//! the check and the connection (rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Which destinations a user-given URL may reach.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Hosts (exact name or IP literal) allowed whatever they resolve to,
    /// on one port or on any (`None`): tests and `make dev` serve media from
    /// 127.0.0.1.
    allow: Vec<(String, Option<u16>)>,
}

impl AddressPolicy {
    /// No exceptions: only public addresses.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Public addresses plus these `host[:port]` entries (exact host string
    /// or IP literal, IPv6 in brackets when a port follows; port optional).
    /// An entry that is not `host[:port]` is skipped with a warning; use
    /// [`AddressPolicy::from_list`] to reject it instead.
    pub fn allowing(entries: impl IntoIterator<Item = String>) -> Self {
        let allow = entries
            .into_iter()
            .filter_map(|entry| match parse_authority(entry.trim()) {
                Ok(allowed) => Some(allowed),
                Err(error) => {
                    tracing::warn!(%error, "skipping a malformed egress allow-list entry");
                    None
                }
            })
            .collect();
        Self { allow }
    }

    /// Parses a comma-separated list like "127.0.0.1:8080,localhost" (empty
    /// = public only).
    pub fn from_list(list: &str) -> Result<Self, String> {
        let allow = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| parse_authority(entry).map_err(|error| format!("egress allow-list entry {entry:?}: {error}")))
            .collect::<Result<_, _>>()?;
        Ok(Self { allow })
    }

    /// Whether `ip` is a public unicast address, one a user-given URL may
    /// reach.
    pub fn is_public(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => is_public_v4(v4),
            IpAddr::V6(v6) => is_public_v6(v6),
        }
    }

    /// The addresses `host` (an IP literal, bracketed or not, or a DNS name)
    /// resolves to at `port`. Unless `host:port` is allowed explicitly, one
    /// non-public address refuses the whole host, so a name cannot straddle
    /// a public and a private address.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressError> {
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| EgressError::Unresolvable(host.to_owned()))?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(EgressError::Unresolvable(host.to_owned()));
        }
        if self.allows(host, port) {
            return Ok(addrs);
        }
        match addrs.iter().find(|addr| !Self::is_public(addr.ip())) {
            Some(private) => Err(EgressError::Refused {
                host: host.to_owned(),
                reason: format!("{} is not a public address", private.ip()),
            }),
            None => Ok(addrs),
        }
    }

    fn allows(&self, host: &str, port: u16) -> bool {
        self.allow
            .iter()
            .any(|(allowed, allowed_port)| allowed_port.is_none_or(|p| p == port) && same_host(allowed, host))
    }
}

/// IP literals compare as addresses (`::1` is `[::1]` is `0:0::1`), names
/// case-insensitively.
fn same_host(a: &str, b: &str) -> bool {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// IPv4 networks that are not public unicast (IANA special-purpose registry).
const NON_PUBLIC_V4: &[(Ipv4Addr, u32)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network", unspecified
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, cloud metadata (169.254.169.254)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, broadcast
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !NON_PUBLIC_V4.iter().any(|&(net, prefix)| {
        let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
        u32::from(ip) & mask == u32::from(net) & mask
    })
}

fn in_v6_net(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The well-known NAT64 prefix: `64:ff9b::a.b.c.d` reaches `a.b.c.d`.
const NAT64: Ipv6Addr = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0);
/// 6to4: `2002:AABB:CCDD::/48` is the network of `AA.BB.CC.DD`.
const SIX_TO_FOUR: Ipv6Addr = Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0);

/// Networks inside global unicast (2000::/3) that are not public anyway.
const NON_PUBLIC_GLOBAL_V6: &[(Ipv6Addr, u32)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),     // Teredo
    (Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0), 48),   // benchmarking
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // documentation
];

/// Only global unicast (2000::/3) is public, which leaves out ::, ::1, the
/// IPv4-compatible ::/96, discard-only 100::/64, unique local fc00::/7,
/// link-local fe80::/10, site-local fec0::/10 and multicast ff00::/8.
/// Addresses that embed an IPv4 address (mapped, NAT64, 6to4) are judged by
/// that address, since that is where they lead.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if in_v6_net(ip, NAT64, 96) {
        return is_public_v4(Ipv4Addr::from((bits & 0xffff_ffff) as u32));
    }
    if in_v6_net(ip, SIX_TO_FOUR, 16) {
        return is_public_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    let global_unicast = Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0);
    in_v6_net(ip, global_unicast, 3) && !NON_PUBLIC_GLOBAL_V6.iter().any(|&(net, prefix)| in_v6_net(ip, net, prefix))
}

/// Why a destination was not reached.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    #[error("{host} is not allowed: {reason}")]
    Refused { host: String, reason: String },
    #[error("{0} does not resolve")]
    Unresolvable(String),
    #[error("egress proxy I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad proxy request: {0}")]
    BadRequest(String),
}

/// `host[:port]`, the host a name or an IP literal (IPv6 in brackets, or
/// bare without a port). The character check keeps anything but a host
/// name away from the resolver.
fn parse_authority(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("unclosed '['")?;
        host.parse::<Ipv6Addr>().map_err(|_| format!("{host:?} is not an IPv6 address"))?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("junk after ']'")?)),
        }
    } else if authority.parse::<Ipv6Addr>().is_ok() {
        (authority, None)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("empty host".to_owned());
    }
    let is_ip = host.parse::<IpAddr>().is_ok();
    if !is_ip && !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
        return Err(format!("{host:?} is not a host name"));
    }
    let port = port
        .map(|p| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| format!("{p:?} is not a port")))
        .transpose()?;
    Ok((host.to_owned(), port))
}

/// `host:port`, with IPv6 hosts in brackets.
fn display_destination(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The destinations refused so far, shared by the connection tasks.
#[derive(Debug, Clone, Default)]
struct Refusals(Arc<Mutex<Vec<String>>>);

impl Refusals {
    fn record(&self, host: &str, port: u16, reason: &str) {
        tracing::warn!(host, port, reason, "egress proxy refused a destination");
        let refusal = format!("{}: {reason}", display_destination(host, port));
        let mut refusals = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !refusals.contains(&refusal) {
            refusals.push(refusal);
        }
    }

    fn list(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A request head bigger than this is refused: yt-dlp's are a few hundred
/// bytes, and the limit bounds what a connection holds in memory.
const MAX_HEAD: usize = 16 * 1024;
/// How long one upstream address may take to accept before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running checking proxy on 127.0.0.1 (an ephemeral port). Dropping it
/// (or calling [`CheckingProxy::stop`]) stops it, open tunnels included.
#[derive(Debug)]
pub struct CheckingProxy {
    addr: SocketAddr,
    refusals: Refusals,
    accept_task: JoinHandle<()>,
}

impl CheckingProxy {
    pub async fn start(policy: AddressPolicy) -> std::io::Result<CheckingProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let refusals = Refusals::default();
        let accept_task = tokio::spawn(accept_loop(listener, Arc::new(policy), refusals.clone()));
        Ok(CheckingProxy { addr, refusals, accept_task })
    }

    /// "http://127.0.0.1:PORT", for yt-dlp's --proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The destinations refused so far ("host:port: reason"), so the caller
    /// can report a clear error (yt-dlp only says the proxy refused).
    pub fn refusals(&self) -> Vec<String> {
        self.refusals.list()
    }

    /// Stops accepting connections and closes open ones, like dropping it.
    pub fn stop(self) {}
}

impl Drop for CheckingProxy {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Owns the connection tasks, so aborting it closes them too.
async fn accept_loop(listener: TcpListener, policy: Arc<AddressPolicy>, refusals: Refusals) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let (policy, refusals) = (policy.clone(), refusals.clone());
                connections.spawn(async move {
                    if let Err(error) = serve(client, &policy, &refusals).await {
                        tracing::debug!(%error, "egress proxy connection ended");
                    }
                });
            }
            Err(error) => tracing::warn!(%error, "egress proxy could not accept a connection"),
        }
        while connections.try_join_next().is_some() {}
    }
}

/// What a client read ended with.
#[derive(Debug)]
enum HeadRead {
    /// The head (through "\r\n\r\n") and whatever the client sent after it.
    Complete {
        head: Vec<u8>,
        rest: Vec<u8>,
    },
    TooLarge,
    Closed,
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<HeadRead> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let searched_from = buf.len().saturating_sub(3);
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(HeadRead::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf[searched_from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = searched_from + at + 4;
            if end > MAX_HEAD {
                return Ok(HeadRead::TooLarge);
            }
            let rest = buf.split_off(end);
            return Ok(HeadRead::Complete { head: buf, rest });
        }
        if buf.len() > MAX_HEAD {
            return Ok(HeadRead::TooLarge);
        }
    }
}

/// A request the proxy can serve: where to, and what to send once connected.
#[derive(Debug)]
struct ProxyRequest {
    host: String,
    port: u16,
    /// `None` for CONNECT (answer 200 and tunnel); for a plain HTTP request,
    /// its head rewritten for the origin server.
    upstream_head: Option<String>,
}

/// Hop-by-hop headers of the client's connection to us, not for upstream.
const DROPPED_HEADERS: &[&str] = &["proxy-connection", "proxy-authorization", "connection", "keep-alive"];

impl ProxyRequest {
    fn parse(head: &[u8]) -> Result<Self, EgressError> {
        let bad = |why: &str| EgressError::BadRequest(why.to_owned());
        let head = std::str::from_utf8(head).map_err(|_| bad("the request head is not UTF-8"))?;
        let mut lines = head.trim_end_matches("\r\n").split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        let [method, target, version] = request_line.split(' ').collect::<Vec<_>>()[..] else {
            return Err(bad("malformed request line"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(bad("only HTTP/1.x is proxied"));
        }
        if method.eq_ignore_ascii_case("CONNECT") {
            let (host, port) = parse_authority(target).map_err(EgressError::BadRequest)?;
            let port = port.ok_or_else(|| bad("CONNECT needs host:port"))?;
            return Ok(Self { host, port, upstream_head: None });
        }
        let after_scheme = target
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .map(|_| &target[7..])
            .ok_or_else(|| bad("only absolute http:// URLs are proxied"))?;
        let authority_end = after_scheme.find(['/', '?', '#']).unwrap_or(after_scheme.len());
        let (authority, path) = after_scheme.split_at(authority_end);
        if authority.contains('@') {
            return Err(bad("user information in the URL is not proxied"));
        }
        let (host, port) = parse_authority(authority).map_err(EgressError::BadRequest)?;
        let path = path.split('#').next().unwrap_or_default();
        let origin_form = match path {
            "" => "/".to_owned(),
            p if p.starts_with('/') => p.to_owned(),
            p => format!("/{p}"),
        };
        let mut upstream_head = format!("{method} {origin_form} {version}\r\n");
        for line in lines {
            if line.starts_with([' ', '\t']) {
                return Err(bad("folded header lines are not proxied"));
            }
            let (name, _) = line.split_once(':').ok_or_else(|| bad("malformed header line"))?;
            if !DROPPED_HEADERS.iter().any(|dropped| name.trim().eq_ignore_ascii_case(dropped)) {
                upstream_head.push_str(line);
                upstream_head.push_str("\r\n");
            }
        }
        // One upstream per client connection: ask the origin to close after
        // this response, so the client opens a new (checked) connection for
        // its next request instead of sending it to this server.
        upstream_head.push_str("Connection: close\r\n\r\n");
        Ok(Self { host, port: port.unwrap_or(80), upstream_head: Some(upstream_head) })
    }
}

async fn serve(mut client: TcpStream, policy: &AddressPolicy, refusals: &Refusals) -> Result<(), EgressError> {
    let (head, rest) = match read_head(&mut client).await? {
        HeadRead::Complete { head, rest } => (head, rest),
        HeadRead::TooLarge => {
            return respond(&mut client, "431 Request Header Fields Too Large", "request head too large").await;
        }
        HeadRead::Closed => return Ok(()),
    };
    let request = match ProxyRequest::parse(&head) {
        Ok(request) => request,
        Err(error) => return respond(&mut client, "400 Bad Request", &error.to_string()).await,
    };
    let (host, port) = (request.host.as_str(), request.port);
    let addrs = match policy.resolve(host, port).await {
        Ok(addrs) => addrs,
        Err(EgressError::Refused { host, reason }) => {
            refusals.record(&host, port, &reason);
            let body = format!("{} refused: {reason}", display_destination(&host, port));
            return respond(&mut client, "403 Forbidden", &body).await;
        }
        Err(error) => return respond(&mut client, "502 Bad Gateway", &error.to_string()).await,
    };
    let Some(mut upstream) = connect_checked(&addrs).await else {
        let body = format!("could not connect to {}", display_destination(host, port));
        return respond(&mut client, "502 Bad Gateway", &body).await;
    };
    match &request.upstream_head {
        Some(upstream_head) => upstream.write_all(upstream_head.as_bytes()).await?,
        None => client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?,
    }
    upstream.write_all(&rest).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Connects to the first of `addrs` that accepts; these are the addresses
/// the policy checked, never a fresh resolution.
async fn connect_checked(addrs: &[SocketAddr]) -> Option<TcpStream> {
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Some(stream),
            Ok(Err(error)) => tracing::debug!(%addr, %error, "egress proxy could not connect"),
            Err(_) => tracing::debug!(%addr, "egress proxy timed out connecting"),
        }
    }
    None
}

async fn respond(client: &mut TcpStream, status: &str, body: &str) -> Result<(), EgressError> {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(response.as_bytes()).await?;
    client.shutdown().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        let non_public = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd00::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "100::1",
        ];
        for ip in non_public {
            assert!(!AddressPolicy::is_public(ip.parse().unwrap()), "{ip} must not be public");
        }
    }

    #[test]
    fn public_addresses_are_accepted() {
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "172.32.0.1",
            "198.20.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ];
        for ip in public {
            assert!(AddressPolicy::is_public(ip.parse().unwrap()), "{ip} must be public");
        }
    }

    #[test]
    fn allow_lists_parse_and_reject_malformed_entries() {
        let policy = AddressPolicy::from_list(" 127.0.0.1:8080, localhost,[::1]:9000,::1 ").unwrap();
        let expected = [("127.0.0.1", Some(8080)), ("localhost", None), ("::1", Some(9000)), ("::1", None)];
        assert_eq!(policy.allow, expected.map(|(host, port)| (host.to_owned(), port)));
        assert!(AddressPolicy::from_list("").unwrap().allow.is_empty());
        for malformed in ["host:port", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[nope]:80", "a b", ":80"] {
            assert!(AddressPolicy::from_list(malformed).is_err(), "{malformed:?} must be rejected");
        }
        assert_eq!(AddressPolicy::allowing(["bad:port".to_owned(), "localhost".to_owned()]).allow.len(), 1);
    }

    #[tokio::test]
    async fn loopback_is_refused_by_public_only() {
        let policy = AddressPolicy::public_only();
        for host in ["localhost", "127.0.0.1", "[::1]", "::1"] {
            let refused = policy.resolve(host, 80).await;
            assert!(matches!(refused, Err(EgressError::Refused { .. })), "{host}: {refused:?}");
        }
    }

    #[tokio::test]
    async fn an_allowed_host_is_allowed_only_on_its_port() {
        let policy = AddressPolicy::allowing(["127.0.0.1:8080".to_owned()]);
        let addrs = policy.resolve("127.0.0.1", 8080).await.unwrap();
        assert_eq!(addrs, ["127.0.0.1:8080".parse().unwrap()]);
        assert!(matches!(policy.resolve("127.0.0.1", 8081).await, Err(EgressError::Refused { .. })));
        assert!(matches!(policy.resolve("localhost", 8080).await, Err(EgressError::Refused { .. })));
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_unresolvable() {
        let error = AddressPolicy::public_only().resolve("nonexistent.invalid", 80).await.unwrap_err();
        assert!(matches!(error, EgressError::Unresolvable(ref host) if host == "nonexistent.invalid"), "{error:?}");
    }

    /// An HTTP server on 127.0.0.1 that answers every request with
    /// `respond(request head)` and closes; counts the connections it got.
    async fn local_server(respond: impl Fn(&str) -> String + Send + Sync + 'static) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                if let Ok(HeadRead::Complete { head, .. }) = read_head(&mut stream).await {
                    let response = respond(&String::from_utf8_lossy(&head));
                    let _ = stream.write_all(response.as_bytes()).await;
                }
            }
        });
        (addr, hits)
    }

    fn ok(body: &str) -> String {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
    }

    /// Sends `request` through the proxy and reads the answer to the end.
    async fn through(proxy: &CheckingProxy, request: &str) -> String {
        let mut stream = TcpStream::connect(proxy.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        String::from_utf8(response).unwrap()
    }

    #[tokio::test]
    async fn a_plain_request_to_loopback_is_refused_and_recorded() {
        let (server, hits) = local_server(|_| ok("secret")).await;
        let proxy = CheckingProxy::start(AddressPolicy::public_only()).await.unwrap();
        assert!(proxy.url().starts_with("http://127.0.0.1:"));
        let response =
            through(&proxy, &format!("GET http://{server}/?token=x HTTP/1.1\r\nHost: {server}\r\n\r\n")).await;
        assert!(response.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{response}");
        assert!(!response.contains("secret"));
        assert_eq!(proxy.refusals(), [format!("{server}: 127.0.0.1 is not a public address")]);
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn connect_to_loopback_is_refused() {
        let (server, hits) = local_server(|_| ok("secret")).await;
        let proxy = CheckingProxy::start(AddressPolicy::public_only()).await.unwrap();
        let port = server.port();
        for target in [format!("127.0.0.1:{port}"), format!("[::1]:{port}"), format!("localhost:{port}")] {
            let response = through(&proxy, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")).await;
            assert!(response.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{target}: {response}");
        }
        let refusals = proxy.refusals();
        assert!(refusals.iter().any(|r| r.starts_with(&format!("[::1]:{port}: "))), "{refusals:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_allowed_server_is_reached_but_not_where_it_redirects() {
        let (elsewhere, elsewhere_hits) = local_server(|_| ok("elsewhere")).await;
        let (server, _) = local_server(move |_| {
            format!("HTTP/1.1 302 Found\r\nLocation: http://{elsewhere}/\r\nContent-Length: 0\r\n\r\n")
        })
        .await;
        let proxy = CheckingProxy::start(AddressPolicy::allowing([server.to_string()])).await.unwrap();

        let response = through(&proxy, &format!("GET http://{server}/video HTTP/1.1\r\nHost: {server}\r\n\r\n")).await;
        assert!(response.starts_with("HTTP/1.1 302 Found\r\n"), "{response}");
        let location = response.lines().find_map(|line| line.strip_prefix("Location: ")).unwrap();

        let response = through(&proxy, &format!("GET {location} HTTP/1.1\r\nHost: {elsewhere}\r\n\r\n")).await;
        assert!(response.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{response}");
        assert_eq!(proxy.refusals(), [format!("{elsewhere}: 127.0.0.1 is not a public address")]);
        assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_plain_request_reaches_the_origin_in_origin_form_without_proxy_headers() {
        let (server, _) = local_server(ok).await;
        let proxy = CheckingProxy::start(AddressPolicy::allowing([server.to_string()])).await.unwrap();
        let request = format!(
            "GET http://{server}/path?q=1 HTTP/1.1\r\nHost: {server}\r\nProxy-Connection: keep-alive\r\n\
             Proxy-Authorization: Basic eDp5\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n"
        );
        let response = through(&proxy, &request).await;
        let (status, echoed) = response.split_once("\r\n\r\n").unwrap();
        assert!(status.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert_eq!(
            echoed,
            format!("GET /path?q=1 HTTP/1.1\r\nHost: {server}\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        );
    }

    #[tokio::test]
    async fn connect_to_an_allowed_server_tunnels() {
        let (server, _) = local_server(|_| ok("tunnelled")).await;
        let proxy = CheckingProxy::start(AddressPolicy::allowing([server.to_string()])).await.unwrap();
        let mut stream = TcpStream::connect(proxy.addr).await.unwrap();
        stream.write_all(format!("CONNECT {server} HTTP/1.1\r\nHost: {server}\r\n\r\n").as_bytes()).await.unwrap();
        let HeadRead::Complete { head, rest } = read_head(&mut stream).await.unwrap() else { panic!("no answer") };
        assert_eq!(head, b"HTTP/1.1 200 Connection Established\r\n\r\n");
        assert!(rest.is_empty());
        stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with("tunnelled"), "{response}");
    }

    #[tokio::test]
    async fn requests_the_proxy_cannot_serve_get_errors() {
        let proxy = CheckingProxy::start(AddressPolicy::public_only()).await.unwrap();
        for request in [
            "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "GET https://example.com/ HTTP/1.1\r\n\r\n",
            "GET ftp://example.com/ HTTP/1.1\r\n\r\n",
            "GET http://user@example.com/ HTTP/1.1\r\n\r\n",
            "CONNECT example.com HTTP/1.1\r\n\r\n",
            "CONNECT [::1 HTTP/1.1\r\n\r\n",
        ] {
            let response = through(&proxy, request).await;
            assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{request:?}: {response}");
        }
        let huge = format!("GET http://example.com/ HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        let response = through(&proxy, &huge).await;
        assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
        let response = through(&proxy, "GET http://nonexistent.invalid/ HTTP/1.1\r\n\r\n").await;
        assert!(response.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{response}");
        assert!(proxy.refusals().is_empty());
    }

    #[tokio::test]
    async fn dropping_the_proxy_stops_it() {
        let proxy = CheckingProxy::start(AddressPolicy::public_only()).await.unwrap();
        let addr = proxy.addr;
        proxy.stop();
        for _ in 0..100 {
            if TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the proxy still accepts connections after it was stopped");
    }
}
