//! The dump and the stats name what every green thread waits for, for 10,000 of them.

mod support;

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use greenthread::Runtime;
use greenthread::os::unix::net::UnixStream;
use greenthread::runtime::{ThreadState, WaitReason};
use greenthread::sync::{Condvar, Mutex, Semaphore};
use support::{eventually, within};

#[test]
fn the_dump_of_ten_thousand_parked_green_threads_names_their_wait_reasons() {
    within(120, || {
        let rt = Runtime::builder()
            .workers(2)
            .stack_size(64 * 1024)
            .build()
            .unwrap();
        const EACH: usize = 1_000;
        let lock = Arc::new(Mutex::new(()));
        let held = lock.lock();
        let cv = Arc::new((Mutex::new(false), Condvar::new()));
        let sem = Arc::new(Semaphore::new(0));
        let (tx, rx) = greenthread::channel::unbounded::<()>();
        let (full_tx, _full_rx) = greenthread::channel::bounded::<()>(0);
        let mut pairs = Vec::new();
        let mut read_fds = HashMap::new();
        let mut handles = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            rt.block_on(|| greenthread::Builder::new().name(name).spawn(f).unwrap())
        };
        for i in 0..EACH {
            handles.push(spawn(
                format!("sleep-{i}"),
                Box::new(|| greenthread::sleep(Duration::from_secs(600))),
            ));
            handles.push(spawn(
                format!("park-{i}"),
                Box::new(|| {
                    loop {
                        greenthread::park()
                    }
                }),
            ));
            let rx = rx.clone();
            handles.push(spawn(
                format!("recv-{i}"),
                Box::new(move || {
                    let _ = rx.recv();
                }),
            ));
            let full_tx = full_tx.clone();
            handles.push(spawn(
                format!("send-{i}"),
                Box::new(move || {
                    let _ = full_tx.send(());
                }),
            ));
            let lock = lock.clone();
            handles.push(spawn(
                format!("mutex-{i}"),
                Box::new(move || drop(lock.lock())),
            ));
            let cv = cv.clone();
            handles.push(spawn(
                format!("condvar-{i}"),
                Box::new(move || {
                    let mut ready = cv.0.lock();
                    cv.1.wait_while(&mut ready, |r| !*r);
                }),
            ));
            let sem = sem.clone();
            handles.push(spawn(
                format!("semaphore-{i}"),
                Box::new(move || drop(sem.acquire())),
            ));
            let (a, b) = rt.block_on(UnixStream::pair).unwrap();
            read_fds.insert(format!("read-{i}"), a.as_raw_fd());
            handles.push(spawn(
                format!("read-{i}"),
                Box::new(move || {
                    let mut buf = [0u8; 8];
                    let _ = std::io::Read::read(&mut &a, &mut buf);
                }),
            ));
            pairs.push(b);
        }
        // Green threads waiting for the blocking pool.
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let gate_rx = Arc::new(std::sync::Mutex::new(gate_rx));
        for i in 0..EACH {
            let gate_rx = gate_rx.clone();
            handles.push(spawn(
                format!("unblock-{i}"),
                Box::new(move || {
                    greenthread::unblock(move || {
                        let _ = gate_rx
                            .lock()
                            .unwrap()
                            .recv_timeout(Duration::from_secs(60));
                    })
                }),
            ));
        }
        let total = handles.len();
        assert_eq!(total, 9 * EACH);
        // And one joiner per sleeper, holding its handle: 10,000 in all.
        let (sleepers, handles): (Vec<_>, Vec<_>) = handles
            .into_iter()
            .partition(|h| h.thread().name().unwrap().starts_with("sleep-"));
        let sleeper_ids: Vec<greenthread::ThreadId> =
            sleepers.iter().map(|h| h.thread().id()).collect();
        let mut joiners = Vec::new();
        for (i, h) in sleepers.into_iter().enumerate() {
            joiners.push(spawn(format!("join-{i}"), Box::new(move || drop(h.join()))));
        }
        let n = total + EACH;
        assert_eq!(n, 10_000);
        eventually("all 10,000 are parked", || rt.stats().parked == n);

        let stats = rt.stats();
        assert_eq!(stats.alive, n);
        assert_eq!(stats.parked_by.sleep, EACH);
        assert_eq!(stats.parked_by.park, EACH);
        assert_eq!(stats.parked_by.join, EACH);
        assert_eq!(stats.parked_by.io, EACH);
        assert_eq!(stats.parked_by.sync, 3 * EACH);
        assert_eq!(stats.parked_by.channel, 2 * EACH);
        assert_eq!(stats.parked_by.unblock, EACH);
        assert_eq!(stats.timers, EACH);

        let snap = rt.snapshot();
        assert_eq!(snap.threads.len(), n);
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for t in &snap.threads {
            let name = t.name.as_deref().unwrap();
            let kind = name.split('-').next().unwrap();
            let ThreadState::Parked(reason) = t.state else {
                panic!("{t} is not parked");
            };
            let expected = match kind {
                "sleep" => WaitReason::Sleep,
                "park" => WaitReason::Park,
                "recv" => WaitReason::ChannelRecv,
                "send" => WaitReason::ChannelSend,
                "mutex" => WaitReason::Mutex,
                "condvar" => WaitReason::Condvar,
                "semaphore" => WaitReason::Semaphore,
                "read" => WaitReason::Read { fd: read_fds[name] },
                "unblock" => WaitReason::Unblock,
                "join" => {
                    let WaitReason::Join(id) = reason else {
                        panic!("{t}")
                    };
                    assert!(sleeper_ids.contains(&id), "{t}");
                    reason
                }
                other => panic!("unexpected green thread {other}"),
            };
            assert_eq!(reason, expected, "{t}");
            *seen.entry(kind).or_default() += 1;
            assert!(t.waited.is_some(), "{t}");
            assert_eq!(t.stack_size, 64 * 1024);
            let used = t.stack_used.expect("stack use is measurable here");
            assert!(used > 0 && used <= t.stack_size, "{t}");
            if kind == "sleep" {
                let left = t.timeout.expect("a sleep has a deadline");
                assert!(left <= Duration::from_secs(600) && left > Duration::from_secs(500));
            } else {
                assert_eq!(t.timeout, None, "{t}");
            }
        }
        assert_eq!(seen.len(), 10, "{seen:?}");
        assert!(seen.values().all(|&c| c == EACH), "{seen:?}");

        // The text: a header and one line per green thread.
        let dump = rt.dump();
        assert_eq!(dump.lines().count(), n + 1);
        assert!(dump.starts_with("greenthread runtime"), "{}", &dump[..200]);
        let some_read = read_fds.iter().next().unwrap();
        assert!(
            dump.lines().any(|l| l.contains(&format!(
                "'{}' parked: read fd {}",
                some_read.0, some_read.1
            ))),
            "no line for {some_read:?}"
        );
        assert!(
            dump.contains("parked: sleep for "),
            "sleepers show how long they waited"
        );
        assert!(dump.contains(" left;"), "sleepers show the time left");
        assert!(dump.contains("parked: join #"));

        drop(held);
        drop(gate_tx);
        drop(tx);
        drop(pairs);
        drop(rt); // unwinds the rest
        drop(joiners);
        drop(handles);
    });
}
