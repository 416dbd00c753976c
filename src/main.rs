//! `greenthread`: the same workloads on green threads and on OS threads, side by side.

use std::time::{Duration, Instant};

fn time<F: FnOnce()>(f: F) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn main() {
    println!("greenthread compare: the same work on green threads and on OS threads\n");
    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "workload", "green", "OS threads", "ratio"
    );
    let rt = greenthread::Runtime::new().expect("cannot start the runtime");

    let n = 2_000u32;
    let green = rt.block_on(|| {
        time(|| {
            for i in 0..n {
                assert_eq!(greenthread::spawn(move || i).join().unwrap(), i);
            }
        })
    });
    let os = time(|| {
        for i in 0..n {
            assert_eq!(std::thread::spawn(move || i).join().unwrap(), i);
        }
    });
    row("spawn+join, per thread", green / n, os / n);

    let sleepers = 1_000;
    let nap = Duration::from_millis(10);
    let green = time(|| {
        let hs: Vec<_> = (0..sleepers)
            .map(|_| rt.spawn(move || greenthread::sleep(nap)))
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    let os = time(|| {
        let hs: Vec<_> = (0..sleepers)
            .map(|_| std::thread::spawn(move || std::thread::sleep(nap)))
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    row("1,000 threads sleeping 10 ms", green, os);
    println!("\nratio = OS-thread time / green-thread time (higher favours green threads)");
}

fn row(name: &str, green: Duration, os: Duration) {
    let ratio = os.as_secs_f64() / green.as_secs_f64().max(1e-12);
    println!("{name:<34} {green:>12.2?} {os:>12.2?} {ratio:>7.1}x");
}
