//! `Builder::dump_on_sigquit`: `kill -QUIT` prints the dump and the process goes on.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CHILD: &str = "sigquit_prints_the_dump_and_the_process_goes_on";

#[test]
fn sigquit_prints_the_dump_and_the_process_goes_on() {
    if support::is_child(CHILD) {
        let rt = greenthread::Runtime::builder()
            .workers(1)
            .dump_on_sigquit(true)
            .build()
            .unwrap();
        let (tx, rx) = greenthread::channel::bounded::<()>(0);
        let h = rt.block_on(|| {
            greenthread::Builder::new()
                .name("waiting-for-quit".into())
                .spawn(move || rx.recv())
                .unwrap()
        });
        while rt.stats().parked_by.channel == 0 {
            std::thread::yield_now();
        }
        println!("ready");
        std::io::stdout().flush().unwrap();
        // Wait for the parent to close our stdin (after it has seen the dump).
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        drop(tx);
        assert!(h.join().unwrap().is_err());
        println!("still alive");
        return;
    }
    support::within(60, || {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args(["--exact", CHILD, "--nocapture", "--test-threads=1"])
            .env(support::CHILD_ENV, CHILD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("ready") {
            line.clear();
            assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "child ended early");
        }
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // SAFETY: kill(2) with a live child's pid and a valid signal number.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGQUIT) }, 0);
        let dumped = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("no dump on stderr within 10 s of SIGQUIT");
            if line.contains("'waiting-for-quit' parked: channel recv") {
                break line;
            }
        };
        assert!(dumped.contains("stack"), "{dumped}");
        drop(child.stdin.take()); // let the child finish
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "the child did not survive SIGQUIT: {status}"
        );
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
        assert!(rest.contains("still alive"), "{rest}");
    });
}
