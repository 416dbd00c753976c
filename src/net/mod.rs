//! Networking with the API of `std::net`: TCP and UDP sockets whose blocking calls park only
//! the calling green thread.
//!
//! Code moves over by changing imports: `use greenthread::net::{TcpListener, TcpStream}`.
//! Where a call would block (`accept`, `connect`, `read`, `write`, `recv_from`), the green
//! thread parks and the reactor makes it runnable when the socket is ready; its worker runs
//! other green threads meanwhile. A read whose data is already there is one syscall.
//! Called from a plain OS thread, the same calls block that thread, as std's do.
//!
//! Errors are the `io::Error`s std gives: a refused connection is `ConnectionRefused`, a
//! reset peer `ConnectionReset`, an expired timeout `WouldBlock`, `EMFILE` on accept is
//! returned and the listener keeps working. An accept loop pauses after the errors that a
//! retry at once would only repeat (out of descriptors or memory): [`accept_backoff`] says
//! which and for how long. Host names are resolved with [`unblock`](crate::unblock).
//!
//! # Examples
//!
//! An echo server, one green thread per connection:
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use greenthread::net::{TcpListener, accept_backoff};
//!
//! let listener = TcpListener::bind("127.0.0.1:7000")?;
//! for stream in listener.incoming() {
//!     let mut stream = match stream {
//!         Ok(stream) => stream,
//!         Err(e) => {
//!             // EMFILE and friends: pause, or this loop spins until a descriptor frees.
//!             if let Some(pause) = accept_backoff(&e) {
//!                 eprintln!("accept: {e}");
//!                 greenthread::sleep(pause);
//!             }
//!             continue;
//!         }
//!     };
//!     greenthread::spawn(move || {
//!         let mut buf = [0; 4096];
//!         while let Ok(n @ 1..) = stream.read(&mut buf) {
//!             if stream.write_all(&buf[..n]).is_err() {
//!                 break;
//!             }
//!         }
//!     });
//! }
//! # std::io::Result::Ok(())
//! ```

#![forbid(unsafe_code)]

mod accept;
mod addr;
mod tcp;
mod udp;

pub use accept::accept_backoff;
pub use addr::ToSocketAddrs;
pub use std::net::Shutdown;
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;

pub(crate) use tcp::fd_traits;
