//! The pipeline example: its code, compiled into this test, run with a slow and a fast end.

#[path = "../examples/pipeline.rs"]
#[allow(dead_code)]
mod pipeline;
mod support;

#[test]
fn every_item_arrives_once_and_back_pressure_bounds_what_is_in_flight() {
    let r = support::within(60, || pipeline::run(20_000, 8));
    assert!(r.all_once(), "{r:?}");
    assert_eq!(r.distinct, 20_000, "{r:?}");
    // Two full channels, one item in each worker's hands, one being sent by the producer and
    // one just received by the collector: nothing else can be in flight.
    let bound = 2 * pipeline::CAPACITY as u64 + 8 + 2;
    assert!(r.max_in_flight <= bound, "{r:?}, bound {bound}");
    // Far fewer than the items: the producer was held back.
    assert!(r.max_in_flight < 20_000 / 10, "{r:?}");
}
