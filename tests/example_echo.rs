//! The echo and echo_client examples: their code, compiled into this test, against each
//! other over loopback (and the server against a plain std client).

#[path = "../examples/echo.rs"]
#[allow(dead_code)]
mod echo;
#[path = "../examples/echo_client.rs"]
#[allow(dead_code)]
mod echo_client;
mod support;

use std::io::{Read, Write};

#[test]
fn the_echo_client_gets_every_message_back_from_the_echo_server() {
    support::within(60, || {
        let listener = greenthread::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        // The server's accept loop runs for the rest of the process, as the example's does.
        greenthread::spawn(move || echo::serve(&listener));
        echo_client::run(&addr, 50, 200).unwrap();

        let mut std_client = std::net::TcpStream::connect(&addr).unwrap();
        std_client.write_all(b"hello, green").unwrap();
        let mut back = [0u8; 12];
        std_client.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello, green");
    });
}

#[test]
fn the_client_reports_a_refused_connection_as_an_error() {
    support::within(30, || {
        // Bind and drop to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = echo_client::run(&format!("127.0.0.1:{port}"), 3, 1).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}
