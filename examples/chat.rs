//! A line-based chat server: every line a client sends goes to every other client.
//!
//! ```sh
//! cargo run --release --example chat [ADDR]   # default 127.0.0.1:7001
//! nc 127.0.0.1 7001                           # in two or more other terminals
//! ```
//!
//! Type a line to say it, `/nick NAME` to change your name, `/quit` to leave.
//!
//! Layout: one green thread per connection reads its lines; one more per connection writes
//! what it is sent; a single *hub* green thread owns the list of clients and broadcasts.
//! They talk only through channels: connections send [`Event`]s to the hub, the hub sends
//! lines to each connection's bounded outbox. A client that does not read (its outbox full)
//! is disconnected instead of slowing everyone down.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use greenthread::channel::{Receiver, Sender, TrySendError, bounded, unbounded};
use greenthread::net::{TcpListener, TcpStream};

/// Lines a client may have waiting before it counts as too slow.
const OUTBOX: usize = 256;
/// The longest line accepted.
const MAX_LINE: usize = 4096;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("chat: listening on {}", listener.local_addr()?);
    serve(listener);
    Ok(())
}

/// What connections tell the hub.
#[derive(Debug)]
pub enum Event {
    /// A new client and its outbox.
    Join(u64, Sender<Arc<str>>),
    /// A line from a client.
    Line(u64, String),
    /// A client left.
    Leave(u64),
}

/// Accepts forever: a hub, and a green thread per connection.
pub fn serve(listener: TcpListener) {
    let (events, inbox) = unbounded();
    greenthread::spawn(move || hub(inbox));
    for (id, stream) in (1..).zip(listener.incoming()) {
        match stream {
            Ok(s) => {
                let events = events.clone();
                greenthread::spawn(move || connection(id, s, events));
            }
            Err(e) => accept_failed(&e),
        }
    }
}

/// After a failed accept: log and pause where retrying at once would fail the same way
/// (`EMFILE` and friends: the connection stays queued until a descriptor frees), else go on.
fn accept_failed(e: &std::io::Error) {
    if let Some(pause) = greenthread::net::accept_backoff(e) {
        eprintln!("chat: accept: {e} (pausing {pause:?})");
        greenthread::sleep(pause);
    }
}

/// Owns the clients; broadcasts every line to all but its sender.
fn hub(inbox: Receiver<Event>) {
    struct Client {
        name: String,
        outbox: Sender<Arc<str>>,
    }
    let mut clients: HashMap<u64, Client> = HashMap::new();
    for event in inbox.iter() {
        let (from, text): (u64, Arc<str>) = match event {
            Event::Join(id, outbox) => {
                let name = format!("guest{id}");
                let _ = outbox.try_send(format!("* welcome, you are {name}\n").into());
                clients.insert(
                    id,
                    Client {
                        name: name.clone(),
                        outbox,
                    },
                );
                (id, format!("* {name} joined\n").into())
            }
            Event::Leave(id) => match clients.remove(&id) {
                Some(c) => (id, format!("* {} left\n", c.name).into()),
                None => continue,
            },
            Event::Line(id, line) => {
                let Some(c) = clients.get_mut(&id) else {
                    continue;
                };
                if let Some(nick) = line.strip_prefix("/nick ") {
                    let old = std::mem::replace(&mut c.name, nick.trim().to_string());
                    (id, format!("* {old} is now {}\n", c.name).into())
                } else {
                    (id, format!("{}: {line}\n", c.name).into())
                }
            }
        };
        // Slow readers (outbox full) and gone ones are dropped; their writer then ends.
        clients.retain(|&id, c| {
            id == from
                || match c.outbox.try_send(text.clone()) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_)) => {
                        eprintln!("chat: {} is too slow, disconnecting", c.name);
                        false
                    }
                    Err(TrySendError::Disconnected(_)) => false,
                }
        });
    }
}

/// One client: a writer green thread drains its outbox, this one reads its lines.
fn connection(id: u64, stream: TcpStream, events: Sender<Event>) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let (outbox, lines) = bounded::<Arc<str>>(OUTBOX);
    let writer = greenthread::spawn(move || {
        for line in lines.iter() {
            if out.write_all(line.as_bytes()).is_err() {
                break;
            }
        }
        // Dropped by the hub (too slow) or done: close, which also ends the reader.
        let _ = out.shutdown(Shutdown::Both);
    });
    if events.send(Event::Join(id, outbox)).is_ok() {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            match (&mut reader).take(MAX_LINE as u64).read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = line.trim_end_matches(['\r', '\n']);
            if text == "/quit" {
                break;
            }
            if !text.is_empty() && events.send(Event::Line(id, text.to_string())).is_err() {
                break;
            }
        }
        let _ = events.send(Event::Leave(id));
    }
    let _ = writer.join();
}
