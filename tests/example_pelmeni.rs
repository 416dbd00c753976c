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
            pots: 8,
            fill: Duration::from_millis(1),
            boil: Duration::from_millis(60),
        })
        .expect("the kitchen opens")
    });
    // Sequential waits by every pot: at least 8 × (1 + 60) ms.
    assert!(t.sequential >= Duration::from_millis(488), "{t:?}");
    // Nobody can be faster than one fill plus one boil.
    assert!(t.green_one_cook >= Duration::from_millis(61), "{t:?}");
    assert!(t.os_cook_per_pot >= Duration::from_millis(61), "{t:?}");
    // One cook on green threads overlaps the boils (ideal: 8 × 1 + 60 = 68 ms); a cook per
    // pot too. Filling spins on the wall clock, so a loaded machine stretches it little; the
    // margin (under half the sequential time, >= 244 ms) covers scheduling delays.
    assert!(t.green_one_cook < t.sequential / 2, "{t:?}");
    assert!(t.os_cook_per_pot < t.sequential / 2, "{t:?}");
}
