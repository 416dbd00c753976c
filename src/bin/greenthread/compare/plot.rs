//! `--plot FILE.svg`: the ratios as a bar chart on a log scale, with the 1× line marked.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Row;

/// Draws one bar per workload that has a ratio.
pub fn write_svg(path: &Path, rows: &[Row]) -> Result<(), String> {
    let bars: Vec<(&str, f64)> = rows.iter().filter_map(|r| Some((r.id, r.ratio?))).collect();
    if bars.is_empty() {
        return Err("no ratio to plot: every workload failed on one side".into());
    }
    draw(path, &bars).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn draw(path: &Path, bars: &[(&str, f64)]) -> Result<(), Box<dyn std::error::Error>> {
    let n = bars.len() as f64;
    let top = bars.iter().map(|b| b.1).fold(1.0f64, f64::max) * 4.0;
    let bottom = bars.iter().map(|b| b.1).fold(1.0f64, f64::min) / 3.0;
    let width = (170 * bars.len() as u32 + 200).max(720);
    let root = SVGBackend::new(path, (width, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    // x: bar i spans i..i+1 (a plain numeric axis; the names are written above the bars).
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "greenthread compare: OS-thread cost / green-thread cost",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n, (bottom..top).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(2)
        .x_label_formatter(&|_| String::new())
        .y_desc("ratio (log scale; above 1 favours green threads)")
        .y_label_formatter(&|v| format!("{v}×"))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, ratio))| {
        let x = i as f64;
        let colour = if *ratio >= 1.0 {
            GREEN.mix(0.7)
        } else {
            RED.mix(0.7)
        };
        Rectangle::new([(x + 0.12, bottom), (x + 0.88, *ratio)], colour.filled())
    }))?;
    let label =
        TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(bars.iter().enumerate().map(|(i, (name, ratio))| {
        Text::new(
            format!("{name}: {ratio:.1}×"),
            (i as f64 + 0.5, *ratio * 1.08),
            label.clone(),
        )
    }))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 1.0), (n, 1.0)],
        BLACK.stroke_width(2),
    )))?;
    root.present()?;
    Ok(())
}
