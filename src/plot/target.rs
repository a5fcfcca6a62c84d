//! target.png, target-2.png, ...: for each target, how its metric is spread
//! across futures in the target month, and the share of futures that reach
//! the threshold (target.png alone, of the headline metric, without targets).

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::style::text_anchor::{HPos, VPos};
use rayon::prelude::*;

use super::frame::{self, Axis, Header, Key, XTicks, fail};
use super::style::{Unit, palette, size};
use super::{Chart, ChartData, DrawResult, chance, clean, value_range};
use crate::calendar::Month;
use crate::format::percent;
use crate::model::Metric;
use crate::report::TargetReport;

pub struct TargetChart;

/// Bars in the histogram (before aligning an edge on the threshold).
const BINS: f64 = 40.0;
/// The top of the value axis: beyond it a few extreme futures would squash
/// every other bar into one.
const TOP_QUANTILE: f64 = 0.995;
/// The percentiles of the chart's column the chart reads.
pub const SUBJECT_PERCENTILES: [f64; 2] = [50.0, TOP_QUANTILE * 100.0];

/// Each chart's metric and month index: one per target, or the headline
/// metric in the last month without targets.
pub fn subjects(model: &crate::model::Model) -> Vec<(Metric, usize)> {
    if model.targets.is_empty() {
        return vec![(model.headline, model.months - 1)];
    }
    model
        .targets
        .iter()
        .map(|target| {
            (
                target.metric,
                model.month_index(target.month).unwrap_or(model.months - 1),
            )
        })
        .collect()
}

/// The file name of target `index`'s chart (0-based): `target`, then
/// `target-2`, `target-3`, ...
pub fn file_name(index: usize) -> String {
    match index {
        0 => TargetChart::NAME.to_string(),
        _ => format!("{}-{}", TargetChart::NAME, index + 1),
    }
}

/// The registry's renderer: one chart per target (see [`file_name`]).
pub fn render_every_target(
    ctx: &ChartData,
    options: &super::ChartOptions,
    out: &mut super::Drawn,
) -> DrawResult {
    // Side by side, like the other charts: with two targets this is the
    // run's slowest chart otherwise.
    let drawn: Vec<DrawResult<super::Drawn>> = (0..ctx.summary.targets.len().max(1))
        .into_par_iter()
        .map(|index| {
            let picture = OneTarget {
                ctx,
                index,
                name: file_name(index),
            };
            let mut one = Vec::new();
            super::render_picture(&picture, options, &mut one)?;
            Ok(one)
        })
        .collect();
    for one in drawn {
        out.extend(one?);
    }
    Ok(())
}

/// Target `index`'s chart as a picture.
struct OneTarget<'a, 'b> {
    ctx: &'a ChartData<'b>,
    index: usize,
    name: String,
}

impl super::Picture for OneTarget<'_, '_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        draw_target(self.ctx, self.index, root)
    }
}
/// Data starting below this share of the axis's top get an axis from zero.
const NEAR_ZERO: f64 = 0.05;
/// A threshold this many times beyond the top of the axis would flatten the
/// whole distribution into one bar; it is then named instead of drawn.
const FAR: f64 = 3.0;

/// What the chart shows: the first target, or without targets the headline
/// metric in the last month.
struct Subject<'a> {
    metric: Metric,
    month: Month,
    month_index: usize,
    target: Option<&'a TargetReport>,
}

/// Histogram bars as `(left edge, right edge, share of futures in %)`.
struct Histogram {
    bars: Vec<(f64, f64, f64)>,
    /// Values above the axis, counted in the last bar.
    clipped_above: Option<f64>,
}

/// Bins `sorted` so that `threshold`, when given, falls on a bar edge: each
/// bar is then wholly below or wholly at-or-above it.
/// `sorted` holds (value, weight) pairs in value order; bars show each bin's
/// share of the total weight (calibrated runs weight their paths).
fn histogram(sorted: &[(f64, f64)], top: f64, threshold: Option<f64>) -> Histogram {
    let total: f64 = sorted
        .iter()
        .map(|p| p.1)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let smallest = sorted.first().map_or(0.0, |p| p.0);
    let mut high = top.max(threshold.unwrap_or(smallest));
    // The axis starts near the data (and the threshold), at zero only when
    // the data come close to it anyway.
    let mut low = smallest.min(threshold.unwrap_or(smallest));
    if low > 0.0 && low < NEAR_ZERO * high {
        low = 0.0;
    }
    high = high.max(low);
    if high <= low {
        high = low + threshold.map_or(1.0, |t| t.abs().max(1.0));
    }
    let width = (high - low) / BINS;
    let first = match threshold {
        Some(t) => t - ((t - low) / width).ceil() * width,
        None => low,
    };
    let count = (((high - first) / width).ceil() as usize).max(1);
    // A bar starting at the threshold must exist so that the shaded side has
    // an edge even when every future falls short.
    let count = match threshold {
        Some(t) => count.max(((t - first) / width).round() as usize + 1),
        None => count,
    };
    let mut tally = vec![0.0f64; count];
    for (value, weight) in sorted {
        let bin = ((value - first) / width).floor();
        tally[(bin.max(0.0) as usize).min(count - 1)] += weight;
    }
    let last_edge = first + count as f64 * width;
    let clipped_above = sorted
        .last()
        .filter(|max| max.0 > last_edge)
        .map(|_| first + (count - 1) as f64 * width);
    let bars = tally
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let left = first + i as f64 * width;
            (left, left + width, *c * 100.0 / total)
        })
        .collect();
    Histogram {
        bars,
        clipped_above,
    }
}

impl Chart for TargetChart {
    const NAME: &'static str = "target";

    /// For every target, its column path by path (the histogram) and the
    /// percentiles that set its axis.
    fn queries(model: &crate::model::Model) -> crate::sim::Queries {
        let subjects = subjects(model);
        crate::sim::Queries {
            columns: subjects.clone(),
            percentiles: subjects
                .iter()
                .flat_map(|&(metric, month)| {
                    SUBJECT_PERCENTILES.iter().map(move |p| (metric, month, *p))
                })
                .collect(),
        }
    }

    /// The first target's chart (target.png).
    fn draw<DB: DrawingBackend>(ctx: &ChartData, root: &DrawingArea<DB, Shift>) -> DrawResult {
        draw_target(ctx, 0, root)
    }
}

/// Target `index`'s chart (the headline metric's when there is no target).
fn draw_target<DB: DrawingBackend>(
    ctx: &ChartData,
    index: usize,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult {
    let (model, theme) = (ctx.model, &ctx.theme);
    let subject = match ctx.summary.targets.get(index) {
        Some(target) => Subject {
            metric: target.result.metric,
            month: target.result.month,
            month_index: model
                .month_index(target.result.month)
                .unwrap_or(model.months - 1),
            target: Some(target),
        },
        None => Subject {
            metric: model.headline,
            month: model.end(),
            month_index: model.months - 1,
            target: None,
        },
    };
    let unit = Unit::of(subject.metric);
    let threshold = subject.target.map(|t| t.result.threshold);
    let mut values: Vec<(f64, f64)> = ctx
        .column(subject.metric, subject.month_index)
        .into_iter()
        .map(|(value, weight)| (clean(value), weight))
        .collect();
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let quantiles = ctx.percentiles(subject.metric, subject.month_index, &SUBJECT_PERCENTILES);
    let (median, top) = (clean(quantiles[0]), clean(quantiles[1]));
    let far = threshold.filter(|t| top > 0.0 && *t > FAR * top);
    let histogram = histogram(&values, top, threshold.filter(|_| far.is_none()));

    let answer = match subject.target {
        Some(target) => chance(target),
        None => format!(
            "No target in the scenario: median {} in {} is {}",
            subject.metric.phrase(),
            subject.month.long(),
            unit.value(median)
        ),
    };
    let header = Header {
        title: ctx.title(&format!(
            "{} in {} across {}",
            subject.metric.phrase(),
            subject.month.long(),
            super::plural(ctx.paths(), "simulated future")
        )),
        answer,
        subtitle: ctx.subtitle(),
    };
    let body = frame::frame(root, theme, &header)?;

    let x_start = histogram.bars.first().map_or(0.0, |b| b.0);
    let x_end = histogram.bars.last().map_or(1.0, |b| b.1);
    let pad = (x_end - x_start) * 0.02;
    let mut x_label = format!(
        "{} in {}",
        frame::capitalise(subject.metric.phrase()),
        subject.month.long()
    );
    if let Some(edge) = histogram.clipped_above {
        x_label += &format!(" (the last bar counts all above {})", unit.value(edge));
    }
    let x = Axis {
        range: x_start - pad..x_end + pad,
        unit,
        label: x_label,
    };
    // Headroom above the tallest bar keeps the labels off the bars.
    let tallest = histogram.bars.iter().map(|b| b.2).fold(0.0, f64::max);
    let y = Axis {
        range: value_range([tallest * 1.4]),
        unit: Unit::Percent,
        label: "Share of simulated futures".into(),
    };
    let mut chart = frame::axes(&body, theme, &x, XTicks::Values, &y)?;

    let above = |left: f64| threshold.is_some_and(|t| left >= t - 1e-9 * t.abs().max(1.0));
    if let (Some(t), None) = (threshold, far) {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(t, y.range.start), (x.range.end, y.range.end)],
                palette::tint(palette::TARGET, 0.12).filled(),
            )))
            .map_err(fail)?;
    }
    let gap = (x_end - x_start) / BINS * 0.08;
    let bar_series = |shade: bool, colour: RGBColor| {
        histogram
            .bars
            .iter()
            .filter(move |b| above(b.0) == shade && b.2 > 0.0)
            .map(move |b| Rectangle::new([(b.0 + gap, 0.0), (b.1 - gap, b.2)], colour.filled()))
    };
    let (low_colour, high_colour) = (palette::BAND_INNER, palette::MEDIAN);
    let mut legend = frame::Legend::default();
    match (subject.target, threshold) {
        (Some(target), Some(t)) => {
            let p = target.result.in_month.value;
            let amount = unit.value(t);
            chart
                .draw_series(bar_series(false, low_colour))
                .map_err(fail)?;
            legend.add(
                format!("below {amount}: {} of futures", percent(1.0 - p)),
                Key::Swatch(low_colour),
            );
            chart
                .draw_series(bar_series(true, high_colour))
                .map_err(fail)?;
            legend.add(
                format!("at or above {amount}: {} of futures", percent(p)),
                Key::Swatch(high_colour),
            );
            if far.is_none() {
                chart
                    .draw_series(LineSeries::new(
                        [(t, y.range.start), (t, y.range.end)],
                        palette::TARGET.stroke_width(theme.line()),
                    ))
                    .map_err(fail)?;
                legend.add(
                    format!("target: {amount} in {}", subject.month.long()),
                    Key::Line(palette::TARGET),
                );
            }
        }
        _ => {
            chart
                .draw_series(bar_series(false, low_colour))
                .map_err(fail)?;
            legend.add("simulated futures", Key::Swatch(low_colour));
        }
    }
    chart
        .draw_series(LineSeries::new(
            [(median, y.range.start), (median, tallest * 1.12)],
            palette::INK.stroke_width(theme.px(2.0) as u32),
        ))
        .map_err(fail)?;
    legend.add(
        format!("median: {}", unit.value(median)),
        Key::Line(palette::INK),
    );

    // The share label sits on the shaded side when there is room, and
    // the legend takes the opposite top corner.
    let mut corner = SeriesLabelPosition::UpperRight;
    if let (Some(target), Some(t)) = (subject.target, threshold) {
        let fraction = (t - x.range.start) / (x.range.end - x.range.start);
        let text = format!(
            "{} of futures ≥ {}",
            percent(target.result.in_month.value),
            unit.value(t)
        );
        let style = theme.bold(size::ANSWER, palette::TARGET);
        let at = (t, y.range.end);
        let drop = theme.px(18.0);
        if far.is_some() {
            corner = SeriesLabelPosition::UpperLeft;
            let text = format!("{text}: the target is far beyond this axis →");
            frame::note(
                &mut chart,
                (x.range.end, y.range.end),
                (-theme.px(12.0), drop),
                &text,
                style,
                (HPos::Right, VPos::Top),
            )?;
        } else if fraction <= 0.5 || {
            // Past the middle, the share still goes on the shaded side when
            // it fits there, the legend then on the left: to the left of the
            // threshold the share would run into the legend.
            let (plot_width, _) = chart.plotting_area().dim_in_pixel();
            let room = (1.0 - fraction) * plot_width as f64 - theme.px(24.0) as f64;
            (frame::width_of(&text, &style) as f64) < room
        } {
            if fraction > 0.5 {
                corner = SeriesLabelPosition::UpperLeft;
            }
            frame::note(
                &mut chart,
                at,
                (theme.px(12.0), drop),
                &text,
                style,
                (HPos::Left, VPos::Top),
            )?;
        } else {
            corner = SeriesLabelPosition::UpperLeft;
            let text = format!("{text} →");
            frame::note(
                &mut chart,
                at,
                (-theme.px(12.0), drop),
                &text,
                style,
                (HPos::Right, VPos::Top),
            )?;
        }
    }
    frame::legend(&mut chart, theme, &legend, corner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_falls_on_a_bar_edge() {
        let values: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 1.0)).collect();
        let h = histogram(&values, 995.0, Some(500.0));
        assert!(h.bars.iter().any(|b| (b.0 - 500.0).abs() < 1e-6));
        let total: f64 = h.bars.iter().map(|b| b.2).sum();
        assert!((total - 100.0).abs() < 1e-6);
    }

    #[test]
    fn degenerate_inputs_still_bin() {
        let h = histogram(&[(0.0, 0.1); 10], 0.0, Some(500.0));
        assert!(h.bars.iter().any(|b| b.0 >= 500.0 - 1e-6));
        assert!(!histogram(&[(0.0, 1.0)], 0.0, None).bars.is_empty());
        assert!(
            !histogram(&[(1e9, 0.5), (1e9, 0.5)], 1e9, Some(1.0))
                .bars
                .is_empty()
        );
    }

    #[test]
    fn the_axis_starts_near_the_data() {
        // Nothing below $160: the first bar starts there, not at $0.
        let values: Vec<(f64, f64)> = (160..720).map(|v| (v as f64, 1.0)).collect();
        let h = histogram(&values, 719.0, Some(500.0));
        let first = h.bars[0].0;
        assert!((145.0..=160.0).contains(&first), "{first}");
        // Data reaching close to $0 keep an axis from $0 (to a bar's width:
        // the bars' edges fall on the threshold).
        let values: Vec<(f64, f64)> = (20..720).map(|v| (v as f64, 1.0)).collect();
        let first = histogram(&values, 719.0, Some(500.0)).bars[0].0;
        assert!((-719.0 / BINS..=0.0).contains(&first), "{first}");
    }

    #[test]
    fn bars_show_shares_of_weight() {
        let h = histogram(&[(1.0, 0.9), (900.0, 0.1)], 900.0, Some(500.0));
        let above: f64 = h
            .bars
            .iter()
            .filter(|b| b.0 >= 500.0 - 1e-6)
            .map(|b| b.2)
            .sum();
        assert!((above - 10.0).abs() < 1e-9, "{above}");
    }
}
