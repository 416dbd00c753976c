//! [`ToSocketAddrs`]: std's trait, resolving host names on the blocking pool.

#![forbid(unsafe_code)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::{option, vec};

/// Values that resolve to socket addresses, like `std::net::ToSocketAddrs` and implemented
/// for the same types.
///
/// The difference: a host name (`"localhost:80"`, `("example.com", 443)`) is resolved with
/// [`unblock`](crate::unblock), so a slow DNS server parks only the calling green thread,
/// never a worker. Literal addresses (`"127.0.0.1:80"`) are parsed in place, without the
/// pool.
///
/// # Examples
///
/// ```
/// use greenthread::net::ToSocketAddrs;
///
/// let addr = "127.0.0.1:8080".to_socket_addrs()?.next().unwrap();
/// assert_eq!(addr.port(), 8080);
/// # std::io::Result::Ok(())
/// ```
pub trait ToSocketAddrs {
    /// The iterator of resolved addresses.
    type Iter: Iterator<Item = SocketAddr>;

    /// Resolves `self` into socket addresses.
    ///
    /// # Errors
    ///
    /// The resolver's error, or `InvalidInput` for a malformed address.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::{Ipv4Addr, SocketAddr};
    /// use greenthread::net::ToSocketAddrs;
    ///
    /// let mut addrs = (Ipv4Addr::LOCALHOST, 0).to_socket_addrs()?;
    /// assert_eq!(addrs.next(), Some(SocketAddr::from(([127, 0, 0, 1], 0))));
    /// assert_eq!(addrs.next(), None);
    /// # std::io::Result::Ok(())
    /// ```
    fn to_socket_addrs(&self) -> io::Result<Self::Iter>;
}

macro_rules! literal {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {
            type Iter = option::IntoIter<SocketAddr>;
            fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
                std::net::ToSocketAddrs::to_socket_addrs(self)
            }
        }
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl<'a> ToSocketAddrs for &'a [SocketAddr] {
    type Iter = std::iter::Cloned<std::slice::Iter<'a, SocketAddr>>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        Ok(self.iter().cloned())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    type Iter = T::Iter;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        (**self).to_socket_addrs()
    }
}

impl ToSocketAddrs for str {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr].into_iter());
        }
        let host = self.to_owned();
        resolve(move || std::net::ToSocketAddrs::to_socket_addrs(host.as_str()))
    }
}

impl ToSocketAddrs for String {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        self.as_str().to_socket_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        let (host, port) = *self;
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)].into_iter());
        }
        let host = host.to_owned();
        resolve(move || std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)))
    }
}

impl ToSocketAddrs for (String, u16) {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        (self.0.as_str(), self.1).to_socket_addrs()
    }
}

fn resolve<I>(
    f: impl FnOnce() -> io::Result<I> + Send + 'static,
) -> io::Result<vec::IntoIter<SocketAddr>>
where
    I: Iterator<Item = SocketAddr>,
{
    crate::unblock(move || f().map(|it| it.collect::<Vec<_>>())).map(Vec::into_iter)
}

/// Runs `f` on each resolved address until one succeeds, like std: the last error if all
/// fail, `InvalidInput` if there were none.
pub(crate) fn each_addr<A: ToSocketAddrs + ?Sized, T>(
    addr: &A,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match f(a) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}
