//! The crawl example: its code, compiled into this test, crawling its own site.

#[path = "../examples/crawl.rs"]
#[allow(dead_code)]
mod crawl;
mod support;

#[test]
fn every_page_is_fetched_once_and_slow_pages_time_out() {
    let pages = 500;
    let s = support::within(60, move || crawl::crawl(pages, 64).expect("the crawl runs"));
    let slow = (0..pages).filter(|&p| crawl::is_slow(p)).count() as u64;
    assert!(slow > 0);
    // Every page is reachable from /0, and each is requested once: fast ones are fetched,
    // slow ones time out.
    assert_eq!(s.failed, 0, "{s:?}");
    assert_eq!(s.timed_out, slow, "{s:?}");
    assert_eq!(s.fetched, pages - slow, "{s:?}");
    // A timeout is a timeout, not a wait for the slow page.
    assert!(s.slowest < crawl::SLOW_DELAY, "{s:?}");
    // With 64 clients at once the crawl takes a few timeouts, not one per slow page.
    assert!(s.elapsed < crawl::TIMEOUT * slow as u32, "{s:?}");
}
