//! `--plot FILE.svg`: the ratios as a bar chart on a log scale, with the 1× line marked.

use std::path::Path;

use plotters::prelude::*;

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
    let n = bars.len() as u32;
    let top = bars.iter().map(|b| b.1).fold(1.0f64, f64::max) * 3.0;
    let bottom = bars.iter().map(|b| b.1).fold(1.0f64, f64::min) / 3.0;
    let root = SVGBackend::new(path, (160 * n + 200, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "greenthread compare: OS-thread cost / green-thread cost",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n).into_segmented(), (bottom..top).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("ratio (log scale; above 1 favours green threads)")
        .y_label_formatter(&|v| format!("{v}×"))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => bars
                .get(*i as usize)
                .map_or_else(String::new, |b| b.0.to_string()),
            _ => String::new(),
        })
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, ratio))| {
        let i = i as u32;
        let colour = if *ratio >= 1.0 {
            GREEN.mix(0.7)
        } else {
            RED.mix(0.7)
        };
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), bottom),
                (SegmentValue::Exact(i + 1), *ratio),
            ],
            colour.filled(),
        );
        bar.set_margin(0, 0, 20, 20);
        bar
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, ratio))| {
        Text::new(
            format!("{ratio:.1}×"),
            (SegmentValue::CenterOf(i as u32), *ratio * 1.15),
            ("sans-serif", 16),
        )
    }))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(SegmentValue::Exact(0), 1.0), (SegmentValue::Exact(n), 1.0)],
        BLACK.stroke_width(2),
    )))?;
    root.present()?;
    Ok(())
}
