//! With the `tracing` feature: spawns, park reasons and reports become `tracing` events, and
//! events inside a green thread carry its span. (`cargo test --features tracing`.)
#![cfg(feature = "tracing")]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greenthread::Runtime;
use support::within;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn spawn_park_and_reports_are_traced() {
    within(60, || {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();

        let rt = Runtime::builder()
            .workers(1)
            .watchdog(Some(Duration::from_millis(20)))
            .build()
            .unwrap();
        rt.block_on(|| {
            greenthread::Builder::new()
                .name("traced".into())
                .spawn(|| {
                    greenthread::sleep(Duration::from_millis(1));
                    tracing::info!("hello from inside");
                    std::thread::sleep(Duration::from_millis(100)); // the watchdog's turn
                })
                .unwrap()
                .join()
                .unwrap();
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
                .to_string()
        };
        assert!(line("spawn id=").contains("stack_size="), "{text}");
        assert!(
            text.lines()
                .any(|l| l.contains(": spawn id=") && l.contains("name=\"traced\"")),
            "{text}"
        );
        assert!(line("reason=sleep").contains("park"), "{text}");
        let inside = line("hello from inside");
        assert!(
            inside.contains(" green_thread{id=") && inside.contains(" name=\"traced\"}: "),
            "events inside a green thread carry its span: {inside}"
        );
        let warn = line("WARN");
        assert!(
            warn.contains("'traced'") && warn.contains("unblock"),
            "{warn}"
        );
    });
}
