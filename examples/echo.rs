//! An echo server: one green thread per connection.
//!
//! ```sh
//! cargo run --release --example echo [ADDR]        # default 127.0.0.1:7000
//! cargo run --release --example echo_client [ADDR] # in another terminal
//! ```

use std::io::{Read, Write};

use greenthread::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo: listening on {}", listener.local_addr()?);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                greenthread::spawn(move || echo(stream));
            }
            // EMFILE and friends: report, and keep accepting once descriptors free up.
            Err(e) => eprintln!("echo: accept: {e}"),
        }
    }
    Ok(())
}

fn echo(mut stream: TcpStream) {
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
