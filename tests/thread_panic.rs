//! A panicking green thread: std's message with the green thread's name, only it dies.

mod support;

use greenthread::{Builder, Runtime};

#[test]
fn the_panic_message_names_the_green_thread() {
    const NAME: &str = "the_panic_message_names_the_green_thread";
    if support::is_child(NAME) {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let bad = rt
            .block_on(|| {
                Builder::new()
                    .name("doomed".into())
                    .spawn(|| panic!("exploded on purpose"))
            })
            .unwrap();
        let unnamed = rt.spawn(|| panic!("anonymous failure"));
        assert!(bad.join().is_err());
        assert!(unnamed.join().is_err());
        // The runtime and its other green threads carry on.
        let sum: u32 = (0..100u32)
            .map(|i| rt.spawn(move || i))
            .map(|h| h.join().unwrap())
            .sum();
        println!("SURVIVED sum={sum}");
        return;
    }
    let out = support::run_child(NAME, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("thread 'doomed' panicked at tests/thread_panic.rs:"),
        "{stderr}"
    );
    assert!(stderr.contains("exploded on purpose"), "{stderr}");
    assert!(
        stderr.contains("thread '<unnamed>' panicked at"),
        "{stderr}"
    );
    assert!(stderr.contains("anonymous failure"), "{stderr}");
    assert!(stdout.contains("SURVIVED sum=4950"), "{stdout}");
}

#[test]
fn a_panic_in_block_on_resumes_in_the_caller() {
    let rt = Runtime::builder().workers(1).build().unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(|| -> u8 { std::panic::panic_any(42u32) })
    }));
    assert_eq!(r.unwrap_err().downcast_ref::<u32>(), Some(&42));
    assert_eq!(rt.block_on(|| 1), 1);
}

#[test]
fn panics_outside_green_threads_keep_std_behaviour() {
    const NAME: &str = "panics_outside_green_threads_keep_std_behaviour";
    if support::is_child(NAME) {
        let _rt = Runtime::builder().workers(1).build().unwrap(); // installs the hook
        let r = std::thread::Builder::new()
            .name("plain-os-thread".into())
            .spawn(|| panic!("os thread panic"))
            .unwrap()
            .join();
        assert!(r.is_err());
        return;
    }
    let out = support::run_child(NAME, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("thread 'plain-os-thread'"), "{stderr}");
    assert!(stderr.contains("os thread panic"), "{stderr}");
}
