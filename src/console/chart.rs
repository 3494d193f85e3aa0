//! Charts as inline SVG, drawn here rather than with a plotting crate:
//! plotters' SVG backend writes fixed colours as attributes, so its charts
//! could not follow the console's light and dark themes through CSS
//! classes, and its text layout brings font handling the console does not
//! need. Two kinds are enough (lines over weeks, stacked bars), a few
//! dozen lines each; every chart has its numbers in a table beside it.

use crate::notify::xml_escape as esc;
use std::fmt::Write;

/// One line, or one part of each stacked bar.
pub struct Series {
    pub name: String,
    /// A CSS class (`s-P1`, `s-business`…) that colours it.
    pub class: String,
    /// One value per label; None is a break in a line (no data that week).
    pub values: Vec<Option<f64>>,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 44.0;

/// A round upper bound for the y axis, at least `floor`.
fn nice(max: f64, floor: f64) -> f64 {
    let m = max.max(floor);
    let p = 10f64.powf(m.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|k| k * p)
        .find(|v| *v >= m)
        .unwrap_or(m)
}

fn frame(out: &mut String, label: &str, labels: &[String], y_max: f64, unit: &str, bands: bool) {
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let y = TOP + (H - TOP - BOTTOM) * (1.0 - i as f64 / 4.0);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            trim(v),
            esc(unit)
        );
    }
    // At most about eight labels along the bottom.
    let every = labels.len().div_ceil(8).max(1);
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x_of(i, labels.len(), bands),
            H - BOTTOM + 18.0,
            esc(&l.chars().take(14).collect::<String>())
        );
    }
}

/// The series' names and colours along the bottom edge.
fn legend(out: &mut String, series: &[Series]) {
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            out,
            "<g class=\"series {}\"><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\"/><circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            esc(&s.class),
            H - 10.0,
            x + 6.0,
            H - 8.0,
            x + 16.0,
            H - 4.0,
            esc(&s.name)
        );
        x += 16.0 + 8.0 * s.name.chars().count() as f64 + 14.0;
    }
}

fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round())
    } else {
        format!("{v:.1}")
    }
}

/// The x of label `i` of `n`: band centres for bars, evenly spread points
/// for lines (one point sits in the middle).
fn x_of(i: usize, n: usize, bands: bool) -> f64 {
    let span = W - LEFT - RIGHT;
    if bands || n < 2 {
        LEFT + span * (i as f64 + 0.5) / n.max(1) as f64
    } else {
        LEFT + span * i as f64 / (n - 1) as f64
    }
}

fn y_of(v: f64, y_max: f64) -> f64 {
    TOP + (H - TOP - BOTTOM) * (1.0 - (v / y_max).clamp(0.0, 1.0))
}

/// Lines over `labels`; `target` draws a dashed line with its name.
pub fn lines(
    label: &str,
    labels: &[String],
    series: &[Series],
    floor: f64,
    unit: &str,
    target: Option<(f64, &str)>,
) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .chain(target.iter().map(|(v, _)| v))
        .fold(0.0f64, |a, b| a.max(*b));
    let y_max = nice(max, floor);
    let mut out = String::new();
    frame(&mut out, label, labels, y_max, unit, false);
    let n = labels.len();
    legend(&mut out, series);
    if let Some((v, name)) = target {
        let y = y_of(v, y_max);
        let _ = write!(
            out,
            "<line class=\"target\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick target\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            W - RIGHT,
            y - 4.0,
            esc(name)
        );
    }
    for s in series {
        // A line breaks where a week has no value.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    if let Some(r) = runs.last_mut() {
                        r.push((x_of(i, n, false), y_of(*v, y_max)));
                    }
                }
                None => runs.push(Vec::new()),
            }
        }
        let _ = write!(out, "<g class=\"series {}\">", esc(&s.class));
        for r in runs.iter().filter(|r| !r.is_empty()) {
            let pts: Vec<String> = r.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = write!(out, "<polyline points=\"{}\"/>", pts.join(" "));
        }
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{} {}: {}{}</title></circle>",
                    x_of(i, n, false),
                    y_of(*v, y_max),
                    esc(&s.name),
                    esc(&labels[i]),
                    trim(*v),
                    esc(unit)
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Stacked bars, one per label.
pub fn bars(label: &str, labels: &[String], parts: &[Series], unit: &str) -> String {
    let n = labels.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| parts.iter().filter_map(|p| p.values[i]).sum())
        .collect();
    let y_max = nice(totals.iter().fold(0.0f64, |a, b| a.max(*b)), 1.0);
    let mut out = String::new();
    frame(&mut out, label, labels, y_max, unit, true);
    if parts.len() > 1 {
        legend(&mut out, parts);
    }
    let band = (W - LEFT - RIGHT) / n.max(1) as f64;
    let width = (band * 0.7).min(48.0);
    for (i, total) in totals.iter().enumerate() {
        let mut base = 0.0;
        for p in parts {
            let v = p.values[i].unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (top, bottom) = (y_of(base + v, y_max), y_of(base, y_max));
            let _ = write!(
                out,
                "<rect class=\"series {}\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{:.1}\"><title>{} · {}: {}{}</title></rect>",
                esc(&p.class),
                x_of(i, n, true) - width / 2.0,
                (bottom - top).max(0.0),
                esc(&labels[i]),
                esc(&p.name),
                trim(v),
                esc(unit)
            );
            base += v;
        }
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x_of(i, n, true),
            y_of(*total, y_max) - 4.0,
            trim(*total)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_on_missing_weeks_and_names_are_escaped() {
        let labels: Vec<String> = ["w1", "w2", "w3"].iter().map(|s| s.to_string()).collect();
        let s = Series {
            name: "P1 <a>".into(),
            class: "s-P1".into(),
            values: vec![Some(50.0), None, Some(100.0)],
        };
        let svg = lines("SLA", &labels, &[s], 100.0, "%", Some((98.0, "target 98%")));
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(svg.contains("P1 &lt;a&gt;") && !svg.contains("<a>"));
        assert!(svg.contains("class=\"target\""));
        // 100% is the top of the plot area.
        assert!(svg.contains(&format!("{:.1},{TOP:.1}", W - RIGHT)), "{svg}");
    }

    #[test]
    fn bars_stack_their_parts() {
        let labels = vec!["ann".to_string()];
        let parts = [
            Series {
                name: "business".into(),
                class: "s-business".into(),
                values: vec![Some(3.0)],
            },
            Series {
                name: "sleep".into(),
                class: "s-sleep".into(),
                values: vec![Some(1.0)],
            },
        ];
        let svg = bars("pages", &labels, &parts, "");
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 2,
            "two parts and their legend"
        );
        assert!(svg.contains(">4</text>"), "the total on top: {svg}");
        assert_eq!(nice(4.0, 1.0), 5.0);
        assert_eq!(nice(0.0, 1.0), 1.0);
    }
}
