//! An echo server: one green thread per connection.
//!
//! ```sh
//! cargo run --release --example echo [ADDR]        # default 127.0.0.1:7000
//! cargo run --release --example echo_client [ADDR] # in another terminal
//! ```

use std::io::{Read, Write};

use greenthread::net::{TcpListener, TcpStream};

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = match TcpListener::bind(&addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("echo: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    if let Ok(local) = listener.local_addr() {
        eprintln!("echo: listening on {local}");
    }
    serve(&listener);
}

/// Accepts connections for ever, echoing each on its own green thread.
pub fn serve(listener: &TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                greenthread::spawn(move || echo(stream));
            }
            Err(e) => accept_failed(&e),
        }
    }
}

/// After a failed accept: log and pause where retrying at once would fail the same way
/// (`EMFILE` and friends: the connection stays queued until a descriptor frees), else go on.
fn accept_failed(e: &std::io::Error) {
    if let Some(pause) = greenthread::net::accept_backoff(e) {
        eprintln!("echo: accept: {e} (pausing {pause:?})");
        greenthread::sleep(pause);
    }
}

/// Echoes everything read back to the peer until it closes.
pub fn echo(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}
