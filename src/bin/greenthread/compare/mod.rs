//! `greenthread compare`: every [`Workload`] on green threads and on OS threads, in one
//! process, as a table, JSON or an SVG bar chart.
//!
//! The runner: builds one green-thread runtime, works out the sizes (scaling, the OS-thread
//! cap), runs each workload's green side then its OS side (`--runs` times, keeping the
//! best, for timings), and turns the results into [`Row`]s.

mod plot;
mod table;
mod workload;
pub mod workloads;

use serde::Serialize;

use crate::Failure;
use crate::cli::CompareArgs;
use crate::progress::Progress;
use crate::units::count;
use workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};

/// One line of the result.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The workload's id (`spawn-join`).
    pub id: &'static str,
    /// The title with its sizes.
    pub title: String,
    /// What the numbers measure.
    pub unit: Unit,
    /// The green-thread side, if it ran.
    pub green: Option<Measured>,
    /// The OS-thread side, if it ran.
    pub os: Option<Measured>,
    /// `os / green`: above 1 favours green threads.
    pub ratio: Option<f64>,
    /// Caps and failures, in words.
    pub notes: Vec<String>,
}

/// The whole run, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Report {
    /// Version of this JSON layout.
    version: u32,
    /// How to read `ratio`.
    ratio_definition: &'static str,
    quick: bool,
    workers: usize,
    scale: f64,
    threads: u64,
    os_threads_max: u64,
    runs: u32,
    workloads: Vec<Row>,
}

const RATIO_DEFINITION: &str = "ratio = OS threads / green threads; every value is lower-is-better, so above 1 favours green threads";

/// Runs `compare`.
pub fn run(args: &CompareArgs) -> Result<(), Failure> {
    let mut builder = greenthread::Runtime::builder();
    if let Some(w) = args.workers {
        builder = builder.workers(w.get());
    }
    let rt = builder
        .build()
        .map_err(|e| Failure::Error(format!("cannot start the green-thread runtime: {e}")))?;
    let sizes = sizes(args);
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 3 });
    let chosen: Vec<Box<dyn Workload>> = workloads::all()
        .into_iter()
        .filter(|w| args.only.is_empty() || args.only.iter().any(|o| o == w.id()))
        .collect();

    let progress = Progress::steps(2 * chosen.len() as u64, args.quiet);
    let (cap, why) = sizes.os_cap();
    if sizes.threads > cap {
        progress.note(&format!(
            "note: at most {} OS threads at once here ({why}); green threads run {}",
            count(cap),
            count(sizes.threads)
        ));
    }
    let ctx = Ctx {
        rt: &rt,
        sizes: &sizes,
    };
    let rows: Vec<Row> = chosen
        .iter()
        .map(|w| measure(w.as_ref(), &ctx, runs, &progress))
        .collect();
    progress.finish();

    if args.json {
        let report = Report {
            version: 1,
            ratio_definition: RATIO_DEFINITION,
            quick: args.quick,
            workers: rt.workers(),
            scale: sizes.scale,
            threads: sizes.threads,
            os_threads_max: sizes.os_threads_max,
            runs,
            workloads: rows,
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Error(format!("cannot encode JSON: {e}")))?;
        println!("{text}");
        finish(args, &report.workloads)
    } else {
        println!(
            "greenthread compare: {} workers, scale {}, {} threads at once, best of {runs}\n",
            rt.workers(),
            sizes.scale,
            count(sizes.threads)
        );
        print!("{}", table::render(&rows));
        println!("\n{RATIO_DEFINITION}");
        finish(args, &rows)
    }
}

/// Writes the plot if asked; fails if a green side failed (the runtime's fault; an OS
/// refusal is a note, not a failure).
fn finish(args: &CompareArgs, rows: &[Row]) -> Result<(), Failure> {
    if let Some(path) = &args.plot {
        plot::write_svg(path, rows).map_err(Failure::Error)?;
        if !args.json {
            println!("bar chart written to {}", path.display());
        }
    }
    match rows.iter().find(|r| r.green.is_none()) {
        Some(r) => Err(Failure::Error(format!(
            "workload {} failed on green threads: {}",
            r.id,
            r.notes.join("; ")
        ))),
        None => Ok(()),
    }
}

/// The sizes from the flags.
fn sizes(args: &CompareArgs) -> Sizes {
    Sizes {
        scale: args.scale.unwrap_or(if args.quick { 0.1 } else { 1.0 }),
        threads: args
            .threads
            .unwrap_or(if args.quick { 2_000 } else { 10_000 }),
        os_threads_max: args.os_threads_max,
        workers: args.workers,
    }
}

/// Runs both sides of one workload.
fn measure(w: &dyn Workload, ctx: &Ctx<'_>, runs: u32, progress: &Progress) -> Row {
    let title = w.title(ctx.sizes);
    let runs = if w.repeatable() { runs } else { 1 };
    progress.start(&format!("{title}: green threads"));
    let green = best_of(runs, || w.run_green(ctx));
    progress.inc();
    progress.start(&format!("{title}: OS threads"));
    let os = best_of(runs, || w.run_os(ctx));
    progress.inc();

    let mut notes = Vec::new();
    if let Err(e) = &green {
        notes.push(format!("green threads: {e}"));
    }
    if let Err(e) = &os {
        notes.push(format!("OS threads: {e}"));
    }
    if let (Ok(g), Ok(o)) = (&green, &os) {
        if g.size != o.size {
            let (_, why) = ctx.sizes.os_cap();
            notes.push(format!(
                "OS threads capped: {} where green threads ran {} (limit: {why})",
                count(o.size),
                count(g.size)
            ));
        }
    }
    let ratio = match (&green, &os) {
        (Ok(g), Ok(o)) if g.value > 0.0 && o.value > 0.0 => Some(o.value / g.value),
        (Ok(_), Ok(_)) => {
            notes.push("a side measured zero: no ratio".into());
            None
        }
        _ => None,
    };
    Row {
        id: w.id(),
        title,
        unit: w.unit(),
        green: green.ok(),
        os: os.ok(),
        ratio,
        notes,
    }
}

/// The lowest of `runs` measurements; the first error ends it.
fn best_of(runs: u32, mut f: impl FnMut() -> SideResult) -> SideResult {
    let mut best: Option<Measured> = None;
    for _ in 0..runs {
        let m = f()?;
        if best.as_ref().is_none_or(|b| m.value < b.value) {
            best = Some(m);
        }
    }
    best.ok_or_else(|| "no run".to_string())
}
