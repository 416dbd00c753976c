//! The reactor: the `polling::Poller` the idle poller worker waits in.
//!
//! For now it is the idle worker's wait-with-timeout and the way to cut that wait short
//! (`Poller::notify`); I/O sources register here in the networking layer.

#![forbid(unsafe_code)]

use std::io;
use std::time::Duration;

use parking_lot::Mutex;
use polling::{Events, Poller};

#[derive(Debug)]
pub(crate) struct Reactor {
    poller: Poller,
    /// The event buffer; only the poller worker (one at a time) uses it.
    events: Mutex<Events>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        Ok(Reactor {
            poller: Poller::new()?,
            events: Mutex::new(Events::new()),
        })
    }

    /// Cuts the poller's wait short (or makes the next one return at once).
    pub(crate) fn notify(&self) {
        // Fails only if the notification eventfd is broken, and then waits still time out.
        let _ = self.poller.notify();
    }

    /// Waits for I/O readiness, a notification, or the timeout.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let mut events = self.events.lock();
        events.clear();
        // `polling` retries EINTR itself; other errors leave nothing to dispatch.
        let _ = self.poller.wait(&mut events, timeout);
    }
}
