//! What a select needs from each channel end, without its message type: [`SelectHandle`],
//! implemented for [`Receiver`] (of every flavour: a channel, a timer, `never`) and
//! [`Sender`], and the [`Token`] a ready operation leaves.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::channel::chan::{Entry, Stashed, Wakes};
use crate::channel::{Flavor, Receiver, Sender};
use crate::sync::waiter::Waiter;

/// How a ready operation will be completed.
#[derive(Debug)]
pub(crate) enum Token {
    /// A receive whose outcome is (or will be) in the stash under this key.
    Recv(u64),
    /// A receive on an empty, disconnected channel.
    RecvDisconnected,
    /// A receive that chose a select waiting to send (`State::choose_select_sender`): the
    /// message comes to this waiter, in the stash under its id.
    RecvFromSelect(Arc<Waiter>),
    /// A send to this blocked receiver, chosen for us; `true` if its entry takes the
    /// message in the waiter's mailbox (`Entry::uses_mailbox`).
    SendTo(Arc<Waiter>, bool),
    /// A send into a reserved buffer place.
    SendSlot,
    /// A send on a channel without receivers.
    SendDisconnected,
    /// A timer's delivery, taken.
    Timer(Instant),
}

/// One side of a channel, seen by a select without its message type.
pub(crate) trait SelectHandle {
    /// Performs (receive) or reserves (send) the operation if it is ready.
    fn try_select(&self, key: u64) -> Option<Token>;
    /// Queues the select's waiter for operation `oper`.
    fn register(&self, waiter: &Arc<Waiter>, oper: usize);
    /// Whether the operation is ready (after `register`, to close the race), not counting
    /// the select's own entries (waiter `id`): a select must not pair with itself.
    fn is_ready(&self, id: u64) -> bool;
    /// Removes the select's entries.
    fn unregister(&self, id: u64);
    /// Gives back what `try_select` took, or what a sender handed the select's waiter
    /// (`chosen`: a receive it was chosen for, whose message may still be on its way), for
    /// an operation that will not be completed (dropped, or its thread unwinds).
    fn release(&self, token: Token, chosen: Option<&Waiter>);
    /// The channel's address, to check that an operation is completed on its own channel.
    fn addr(&self) -> usize;
    /// What the select's waiter, chosen by a counterpart for this operation, completes:
    /// a receive takes the message delivered under the waiter's id; a send delivers to the
    /// receive that chose it.
    fn chosen(&self, waiter: &Arc<Waiter>) -> Token;
    /// When the operation will become ready by itself (a timer's next delivery): a select
    /// waits no longer than that before it looks again.
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

pub(super) fn next_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 62);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<T> SelectHandle for Receiver<T> {
    fn try_select(&self, key: u64) -> Option<Token> {
        let chan = match &self.flavor {
            Flavor::Chan(chan) => chan,
            Flavor::Timer(timer, _) => return timer.try_recv().ok().map(Token::Timer),
            Flavor::Never(_) => return None,
        };
        let mut wakes = Wakes::default();
        let mut st = chan.state.lock();
        let r = st.try_recv(&chan.slot, chan.cap, &mut wakes);
        let token = match r {
            Ok(m) => {
                st.stash.push((key, Stashed::Msg(m)));
                Some(Token::Recv(key))
            }
            Err(e) if e.is_disconnected() => Some(Token::RecvDisconnected),
            Err(_) => {
                // Nothing, but maybe a select waiting to send: it sends to us at once.
                let waiter = Arc::new(Waiter::keyed());
                st.choose_select_sender(0, &waiter, false, &mut wakes)
                    .then_some(Token::RecvFromSelect(waiter))
            }
        };
        drop(st);
        wakes.wake();
        token
    }

    fn register(&self, waiter: &Arc<Waiter>, oper: usize) {
        // A timer wakes no one: the select waits until its `deadline`.
        let Some(chan) = self.chan() else { return };
        let mut wakes = Wakes::default();
        let mut st = chan.state.lock();
        // Its re-check (`is_ready`) finds a send already waiting in the slot.
        chan.slot.mark_busy(false);
        st.recv_waiters.push_back(Entry {
            waiter: waiter.clone(),
            oper,
            msg: None,
            plain: false,
        });
        st.wake_select_senders(Some(waiter.id), &mut wakes);
        drop(st);
        wakes.wake();
    }

    fn is_ready(&self, _id: u64) -> bool {
        let chan = match &self.flavor {
            Flavor::Chan(chan) => chan,
            Flavor::Timer(timer, _) => return timer.is_ready(),
            Flavor::Never(_) => return false,
        };
        let st = chan.state.lock();
        // Only plain senders count, and a select's own sends are never plain.
        !st.queue.is_empty() || st.senders == 0 || st.has_sender(&chan.slot)
    }

    fn unregister(&self, id: u64) {
        if let Some(chan) = self.chan() {
            chan.unregister(id);
        }
    }

    fn release(&self, token: Token, chosen: Option<&Waiter>) {
        if let (Token::Recv(key), Some(chan)) = (token, self.chan()) {
            // A select's receives take their message from the stash.
            chan.reclaim(key, chosen, false);
        }
    }

    fn addr(&self) -> usize {
        self.addr()
    }

    fn chosen(&self, waiter: &Arc<Waiter>) -> Token {
        Token::Recv(waiter.id)
    }

    fn deadline(&self) -> Option<Instant> {
        match &self.flavor {
            Flavor::Timer(timer, _) => timer.deadline(),
            _ => None,
        }
    }
}

impl<T> SelectHandle for Sender<T> {
    fn try_select(&self, _key: u64) -> Option<Token> {
        let mut st = self.chan.state.lock();
        if st.receivers == 0 {
            return Some(Token::SendDisconnected);
        }
        if let Some(e) = st.take_receiver(&self.chan.slot) {
            let mailbox = e.uses_mailbox();
            return Some(Token::SendTo(e.waiter, mailbox));
        }
        let cap = self.chan.cap;
        if cap != Some(0) && cap.is_none_or(|c| st.queue.len() + st.reserved < c) {
            st.reserved += 1;
            return Some(Token::SendSlot);
        }
        None
    }

    fn register(&self, waiter: &Arc<Waiter>, oper: usize) {
        let mut st = self.chan.state.lock();
        // Its re-check (`is_ready`) finds a receive already waiting in the slot.
        self.chan.slot.mark_busy(true);
        st.send_waiters.push_back(Entry {
            waiter: waiter.clone(),
            oper,
            msg: None,
            plain: false,
        });
    }

    fn is_ready(&self, id: u64) -> bool {
        let st = self.chan.state.lock();
        let cap = self.chan.cap;
        st.receivers == 0
            || st.has_receiver(&self.chan.slot, id)
            || (cap != Some(0) && cap.is_none_or(|c| st.queue.len() + st.reserved < c))
    }

    fn unregister(&self, id: u64) {
        self.chan.unregister(id);
    }

    fn release(&self, token: Token, _chosen: Option<&Waiter>) {
        let mut wakes = Wakes::default();
        let mut st = self.chan.state.lock();
        match token {
            Token::SendTo(w, mailbox) => {
                if mailbox {
                    w.mailbox.cancel();
                } else {
                    st.stash.push((w.id, Stashed::Cancelled));
                }
                wakes.push(w);
            }
            Token::SendSlot => {
                st.reserved -= 1;
                st.refill(&self.chan.slot, self.chan.cap, &mut wakes);
                st.wake_select_senders(None, &mut wakes);
            }
            _ => {}
        }
        drop(st);
        wakes.wake();
    }

    fn addr(&self) -> usize {
        Arc::as_ptr(&self.chan) as *const () as usize
    }

    fn chosen(&self, waiter: &Arc<Waiter>) -> Token {
        // The receive recorded itself under the same lock hold that chose us.
        let (w, mailbox) = self
            .chan
            .state
            .lock()
            .take_taker(waiter.id)
            .expect("a receive that chooses a select's send records itself");
        Token::SendTo(w, mailbox)
    }
}
