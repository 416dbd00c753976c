//! The plain-text table of `compare`: aligned columns, notes as numbered footnotes.

use super::Row;

/// The table, ready to print.
pub fn render(rows: &[Row]) -> String {
    let header = ["workload", "measure", "green", "OS threads", "ratio"];
    let mut notes: Vec<String> = Vec::new();
    let mut cells: Vec<[String; 5]> = Vec::with_capacity(rows.len());
    for row in rows {
        let side = |m: &Option<super::Measured>| match m {
            Some(m) => row.unit.format(m.value),
            None => "failed".to_string(),
        };
        let mut ratio = match row.ratio {
            Some(r) if r >= 10.0 => format!("{r:.0}×"),
            Some(r) => format!("{r:.1}×"),
            None => "-".to_string(),
        };
        for note in &row.notes {
            notes.push(note.clone());
            ratio.push_str(&format!(" [{}]", notes.len()));
        }
        cells.push([
            row.title.clone(),
            row.unit.label(),
            side(&row.green),
            side(&row.os),
            ratio,
        ]);
    }
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let mut out = String::new();
    let line = |out: &mut String, c: &[String]| {
        // Text columns left-aligned, numbers right-aligned.
        let mut parts = Vec::with_capacity(c.len());
        for (i, cell) in c.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i < 2 || i == 4 {
                parts.push(format!("{cell}{}", " ".repeat(pad)));
            } else {
                parts.push(format!("{}{cell}", " ".repeat(pad)));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut out, &header.map(String::from));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut out, &rule);
    for c in &cells {
        line(&mut out, c);
    }
    if !notes.is_empty() {
        out.push('\n');
        for (i, n) in notes.iter().enumerate() {
            out.push_str(&format!("[{}] {n}\n", i + 1));
        }
    }
    out
}
