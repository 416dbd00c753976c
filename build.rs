//! Sets `cfg(asan)` when the crate is built with AddressSanitizer (`-Zsanitizer=address`, a
//! nightly flag; `scripts/sanitize.sh`). rustc's own `cfg(sanitize = "address")` cannot be
//! named in code that stable compilers must build (it is a gated cfg, an error on stable
//! even where it is false), but Cargo hands it to build scripts as `CARGO_CFG_SANITIZE`.
//! The crate uses `cfg(asan)` to tell LeakSanitizer about green-thread stacks; tests use it to
//! skip what cannot work under the sanitizer.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(asan)");
    let sanitizers = std::env::var("CARGO_CFG_SANITIZE").unwrap_or_default();
    if sanitizers.split(',').any(|s| s == "address") {
        println!("cargo::rustc-cfg=asan");
    }
}
