//! The pelmeni example: its code, compiled into this test and driven with small pots.

#[path = "../examples/pelmeni.rs"]
#[allow(dead_code)]
mod pelmeni;
mod support;

use std::time::Duration;

use pelmeni::Kitchen;

#[test]
fn one_cook_with_green_threads_overlaps_the_boils() {
    let t = support::within(60, || {
        pelmeni::explain(Kitchen {
            pots: 6,
            fill: Duration::from_millis(2),
            boil: Duration::from_millis(40),
        })
        .expect("the kitchen opens")
    });
    // Sequential waits by every pot: at least 6 × (2 + 40) ms.
    assert!(t.sequential >= Duration::from_millis(252), "{t:?}");
    // Nobody can be faster than one fill plus one boil.
    assert!(t.green_one_cook >= Duration::from_millis(42), "{t:?}");
    assert!(t.os_cook_per_pot >= Duration::from_millis(42), "{t:?}");
    // One cook on green threads overlaps the boils (ideal: 6 × 2 + 40 = 52 ms); a cook per
    // pot too. A wide margin for a loaded machine: well under the sequential time.
    assert!(t.green_one_cook < t.sequential / 2, "{t:?}");
    assert!(t.os_cook_per_pot < t.sequential / 2, "{t:?}");
}
