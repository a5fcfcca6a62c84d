//! Charts of the strategy commands: `compare.png`, `sweep.png` and
//! `sensitivity.png`. They run the model many times, so they draw from the
//! command's result (no single `Simulation`) through [`Picture`].

mod compare;
mod sensitivity;
mod sweep;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{self, Chart2d, fail};
use super::style::{Theme, palette, size};
use super::{ChartOptions, DrawResult, Picture, plural, prepare, render_picture};
use crate::format;
use crate::model::{Model, Target};
use crate::strategy::compare::Comparison;
use crate::strategy::sensitivity::Sensitivity;
use crate::strategy::sweep::Sweep;

pub type Files = Result<Vec<(String, Vec<u8>)>, String>;

/// `compare.png`: every strategy's headline bands overlaid, with the odds.
pub fn compare(model: &Model, comparison: &Comparison, options: &ChartOptions) -> Files {
    let theme = prepare(options)?;
    let chart = compare::CompareChart {
        model,
        comparison,
        theme,
    };
    one(&chart, options)
}

/// `sweep.png`: the first target's odds across one swept key, or a heat map
/// over two.
pub fn sweep(model: &Model, sweep: &Sweep, options: &ChartOptions) -> Files {
    let theme = prepare(options)?;
    let chart = sweep::SweepChart {
        model,
        sweep,
        theme,
    };
    one(&chart, options)
}

/// `sensitivity.png`: a tornado of the inputs' swings.
pub fn sensitivity(model: &Model, sensitivity: &Sensitivity, options: &ChartOptions) -> Files {
    let theme = prepare(options)?;
    let chart = sensitivity::Tornado {
        model,
        sensitivity,
        theme,
    };
    one(&chart, options)
}

/// A chart of a strategy command, drawn from the command's result `R`.
pub struct ResultChart<R> {
    /// File name without extension.
    pub name: &'static str,
    pub render: fn(&Model, &R, &ChartOptions) -> Files,
}

/// The charts `affsim compare` draws. A new one is a file here with its
/// render function, and one line in its command's list.
pub const COMPARE_CHARTS: [ResultChart<Comparison>; 1] = [ResultChart {
    name: "compare",
    render: compare,
}];

/// The charts `affsim sweep` draws.
pub const SWEEP_CHARTS: [ResultChart<Sweep>; 1] = [ResultChart {
    name: "sweep",
    render: sweep,
}];

/// The charts `affsim sensitivity` draws.
pub const SENSITIVITY_CHARTS: [ResultChart<Sensitivity>; 1] = [ResultChart {
    name: "sensitivity",
    render: sensitivity,
}];

/// Every chart of a list, drawn from `result`: `(file name, bytes)`.
pub fn render_all<R>(
    charts: &[ResultChart<R>],
    model: &Model,
    result: &R,
    options: &ChartOptions,
) -> Files {
    let mut out = Vec::new();
    for chart in charts {
        out.extend((chart.render)(model, result, options)?);
    }
    Ok(out)
}

fn one<P: Picture>(picture: &P, options: &ChartOptions) -> Files {
    let mut out = Vec::new();
    render_picture(picture, options, &mut out)?;
    Ok(out)
}

/// "Oct 2026 – Mar 2027 · 20,000 paths per run, seed 42".
fn subtitle(model: &Model, paths: usize, seed: u64, more: &str) -> Vec<String> {
    let horizon = format!("{} – {}", model.start.long(), model.end().long());
    let mut first = format!("{horizon} · {} per run, seed {seed}", plural(paths, "path"));
    first += " · common random numbers: every run faces the same simulated luck";
    let mut lines = vec![first];
    if !more.is_empty() {
        lines.push(more.to_string());
    }
    lines
}

/// "≥ $500 recurring commission MRR in Oct 2026".
fn goal_text(target: &Target) -> String {
    format!(
        "≥ {} {} in {}",
        super::style::Unit::of(target.metric).value(target.threshold),
        target.metric.phrase(),
        target.month.long()
    )
}

/// A probability as "68.8%".
fn pct(p: f64) -> String {
    format::percent(super::clean(p))
}

/// Decimals that tell neighbouring values `step` apart.
fn decimals(step: f64) -> usize {
    let step = step.abs();
    if !step.is_finite() || step == 0.0 {
        return 2;
    }
    (-step.log10()).ceil().clamp(0.0, 8.0) as usize
}

/// A swept value as text, with `digits` decimals and no trailing zeros;
/// large values get thousands separators.
fn number(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return "?".into();
    }
    if value.abs() >= 10_000.0 {
        return format::count(value);
    }
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

/// One axis of a strategy chart: its range, tick labels and title.
struct Scale<'a> {
    range: Range<f64>,
    label: String,
    ticks: usize,
    format: &'a dyn Fn(f64) -> String,
}

/// A plot with the house grid and tick style; `y_area` overrides the width
/// left for the vertical axis (the tornado draws its own row labels).
fn plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    theme: &Theme,
    x: &Scale,
    y: &Scale,
    y_area: Option<i32>,
) -> DrawResult<Chart2d<'a, DB>> {
    let tick_style = theme.text(size::TICK, palette::INK);
    let widest = [y.range.start, y.range.end]
        .iter()
        .map(|v| super::frame::text_width(area, &(y.format)(*v), &tick_style))
        .max()
        .unwrap_or(0)
        .max(super::frame::text_width(area, "100%", &tick_style));
    let y_title = frame::y_title(area, theme, &y.label);
    let y_area =
        y_area.unwrap_or(widest + theme.px(14.0) + frame::title_depth(theme, y_title.as_ref()));
    let margin_right = theme.px(16.0);
    let x_title = frame::x_title(area, theme, &x.label, y_area, margin_right);
    let x_area = theme.px(size::TICK) * 2 + frame::title_depth(theme, x_title.as_ref());
    let mut chart = ChartBuilder::on(area)
        .margin_top(theme.px(10.0))
        .margin_right(margin_right)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x.range.clone(), y.range.clone())
        .map_err(fail)?;
    let x_label = |v: &f64| (x.format)(*v);
    let y_label = |v: &f64| (y.format)(*v);
    chart
        .configure_mesh()
        .x_labels(x.ticks)
        .y_labels(y.ticks)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(tick_style)
        .axis_style(palette::AXIS)
        .bold_line_style(palette::GRID)
        .max_light_lines(0)
        .set_all_tick_mark_size(theme.px(6.0))
        .draw()
        .map_err(fail)?;
    frame::axis_titles(area, &chart, x_title.as_ref(), y_title.as_ref())?;
    Ok(chart)
}

/// Text at a pixel position of the whole picture.
fn text_at<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    at: (i32, i32),
    anchor: (HPos, VPos),
) -> DrawResult {
    let style = style.pos(Pos::new(anchor.0, anchor.1));
    root.draw_text(text, &style, at).map_err(fail)
}

/// Text on a white box at a pixel position, so that lines under it do not
/// garble it.
fn boxed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    theme: &Theme,
    text: &str,
    style: &TextStyle,
    at: (i32, i32),
    anchor: (HPos, VPos),
) -> DrawResult {
    let (w, h) = root
        .estimate_text_size(text, style)
        .map(|(w, h)| (w as i32, h as i32))
        .unwrap_or((0, 0));
    let left = match anchor.0 {
        HPos::Left => at.0,
        HPos::Right => at.0 - w,
        HPos::Center => at.0 - w / 2,
    };
    let top = match anchor.1 {
        VPos::Top => at.1,
        VPos::Bottom => at.1 - h,
        VPos::Center => at.1 - h / 2,
    };
    let pad = theme.px(4.0);
    root.draw(&Rectangle::new(
        [(left - pad, top - pad), (left + w + pad, top + h + pad)],
        palette::BACKGROUND.mix(0.9).filled(),
    ))
    .map_err(fail)?;
    text_at(root, text, style, (left, top), (HPos::Left, VPos::Top))
}

/// Tick labels of a probability axis in percent (0..100).
fn percent_tick(value: f64) -> String {
    if !(-1e-9..=100.0 + 1e-9).contains(&value) {
        return String::new();
    }
    format!("{value:.0}%")
}

/// Colours of overlaid series: Okabe–Ito, dark and saturated ones first
/// (yellow reads badly as a line on white, so it comes last).
const SERIES: [RGBColor; 7] = [
    palette::BLUE,
    palette::ORANGE,
    palette::GREEN,
    palette::VERMILLION,
    palette::PURPLE,
    palette::SKY,
    palette::YELLOW,
];

fn series_colour(index: usize) -> RGBColor {
    SERIES[index % SERIES.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swept_values_read_naturally() {
        assert_eq!(decimals(0.02), 2);
        assert_eq!(decimals(0.1), 1);
        assert_eq!(decimals(5.0), 0);
        assert_eq!(number(0.1412, 3), "0.141");
        assert_eq!(number(0.10, 2), "0.1");
        assert_eq!(number(12_000.0, 2), "12,000");
        assert_eq!(number(-0.0001, 2), "0");
        assert_eq!(percent_tick(50.0), "50%");
        assert_eq!(percent_tick(104.0), "");
    }
}
