//! The chat example: its server, compiled into this test, driven by two std clients.

#[path = "../examples/chat.rs"]
#[allow(dead_code)]
mod chat;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Reads lines until one satisfies `want`; panics with what came instead at EOF or timeout.
fn read_until(r: &mut BufReader<TcpStream>, want: impl Fn(&str) -> bool) -> String {
    let mut seen = Vec::new();
    for _ in 0..100 {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if want(&line) => return line,
            Ok(_) => seen.push(line),
            Err(e) => panic!("read failed ({e}) after {seen:?}"),
        }
    }
    panic!("the line never came; got {seen:?}")
}

fn client(addr: std::net::SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let r = BufReader::new(s.try_clone().unwrap());
    (s, r)
}

#[test]
fn a_line_from_one_client_reaches_the_other() {
    support::within(60, || {
        let listener = greenthread::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        greenthread::spawn(move || chat::serve(listener));

        let (_a, mut ra) = client(addr);
        read_until(&mut ra, |l| l.starts_with("* welcome"));
        let (mut b, mut rb) = client(addr);
        let welcome = read_until(&mut rb, |l| l.starts_with("* welcome"));
        let b_name = welcome.trim().rsplit(' ').next().unwrap().to_string();
        read_until(&mut ra, |l| l.contains(&format!("{b_name} joined")));

        b.write_all(b"hello from b\r\n").unwrap();
        let got = read_until(&mut ra, |l| l.contains("hello from b"));
        assert_eq!(got, format!("{b_name}: hello from b\n"));

        b.write_all(b"/nick bob\nsecond line\n").unwrap();
        read_until(&mut ra, |l| l.contains("is now bob"));
        assert_eq!(
            read_until(&mut ra, |l| l.contains("second")),
            "bob: second line\n"
        );

        b.write_all(b"/quit\n").unwrap();
        read_until(&mut ra, |l| l == "* bob left\n");
    });
}
