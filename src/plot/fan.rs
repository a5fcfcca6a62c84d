//! fan.png: the headline metric month by month, as nested percentile bands,
//! with each target and the months already observed.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{self, Axis, Header, Key, XTicks, fail};
use super::style::{Unit, palette, size};
use super::{Chart, ChartData, DrawResult, band, chance, line, month_range, value_range};
use crate::model::{Metric, Model};
use crate::report::TargetReport;

pub struct Fan;

/// Observed months to show, as `(month index, value)`, and their legend label.
struct Observed {
    metric: Metric,
    label: String,
    points: Vec<(f64, f64)>,
}

/// Prefers observations of the headline metric itself; otherwise observed
/// commission earned, or else the first metric observed, for the panel
/// below the fan.
fn observed(model: &Model) -> Option<Observed> {
    let observed = model.observed.as_ref()?;
    let find = |wanted: Metric| observed.series.iter().find(|(metric, _)| *metric == wanted);
    let (metric, values) = find(model.headline)
        .or_else(|| find(Metric::Earned))
        .or_else(|| observed.series.first())?;
    let offset = observed.start.since(model.start);
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, value)| ((offset + i as i32) as f64, *value))
        .filter(|(x, value)| *x < model.months as f64 && value.is_finite())
        .collect();
    let label = if *metric == Metric::Earned {
        "observed: commission earned per month".to_string()
    } else {
        format!("observed: {}", metric.phrase())
    };
    (!points.is_empty()).then_some(Observed {
        metric: *metric,
        label,
        points,
    })
}

/// The observed metric drawn in the panel below the fan, if there is one
/// (observations of another metric than the headline).
pub fn panel_metric(model: &Model) -> Option<Metric> {
    observed(model)
        .map(|o| o.metric)
        .filter(|metric| *metric != model.headline)
}

/// The answer line: the headline targets' odds, or the median at the end.
fn answer(ctx: &ChartData, targets: &[&TargetReport]) -> String {
    let unit = Unit::of(ctx.model.headline);
    match targets {
        [first, rest @ ..] => {
            let mut text = chance(first);
            let mut said = vec![(first.result.threshold, first.result.month)];
            for other in rest {
                let result = &other.result;
                // Two more at most: the answer line must stay one line.
                if said.contains(&(result.threshold, result.month)) || said.len() > 2 {
                    continue;
                }
                said.push((result.threshold, result.month));
                let same = result.threshold == first.result.threshold;
                text += &if same {
                    format!(
                        " · {} in {}",
                        crate::format::percent(result.in_month.value),
                        result.month.long()
                    )
                } else {
                    format!(" · {}", chance(other))
                };
            }
            text
        }
        [] => match ctx.summary.headline_bands.last() {
            Some(last) => format!(
                "Median {} in {}: {} (90% of futures between {} and {})",
                ctx.model.headline.phrase(),
                last.month.long(),
                unit.value(last.p(50.0)),
                unit.value(last.p(5.0)),
                unit.value(last.p(95.0))
            ),
            None => String::new(),
        },
    }
}

impl Chart for Fan {
    const NAME: &'static str = "fan";

    fn draw<DB: DrawingBackend>(ctx: &ChartData, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (model, theme) = (ctx.model, &ctx.theme);
        let metric = model.headline;
        let unit = Unit::of(metric);
        let bands = &ctx.summary.headline_bands;
        let pick = |q: f64| bands.iter().map(|b| b.p(q)).collect::<Vec<f64>>();
        let (p5, p25, p50, p75, p95) = (pick(5.0), pick(25.0), pick(50.0), pick(75.0), pick(95.0));
        let targets: Vec<&TargetReport> = ctx
            .summary
            .targets
            .iter()
            .filter(|t| t.result.metric == metric)
            .collect();
        // Observations of another metric than the headline (commission
        // earned, typically, against an MRR headline) get a panel of their
        // own below, on their own axis: drawn on the headline's axis they
        // would read as the headline.
        let (on_headline, below) = match observed(model) {
            Some(observed) if observed.metric != metric => (None, Some(observed)),
            observed => (observed, None),
        };

        let header = Header {
            title: ctx.title(&format!("{}, month by month", metric.phrase())),
            answer: answer(ctx, &targets),
            subtitle: ctx.subtitle(),
        };
        let body = frame::frame(root, theme, &header)?;
        let (main, panel) = match &below {
            Some(_) => {
                let (_, height) = body.dim_in_pixel();
                let (main, panel) = body.split_vertically((height as f64 * 0.62) as i32);
                (main, Some(panel))
            }
            None => (body.clone(), None),
        };
        let first_x = on_headline
            .iter()
            .chain(&below)
            .filter_map(|o| o.points.first())
            .fold(0.0, |first, p| p.0.min(first));
        let x = Axis {
            range: month_range(first_x, model.months),
            unit: Unit::Count,
            label: String::new(),
        };
        let y = Axis {
            range: value_range(
                p5.iter()
                    .chain(&p95)
                    .copied()
                    .chain(targets.iter().map(|t| t.result.threshold))
                    .chain(
                        on_headline
                            .iter()
                            .flat_map(|o| o.points.iter().map(|p| p.1)),
                    ),
            ),
            unit,
            label: frame::capitalise(metric.phrase()),
        };
        let below = match (below, panel) {
            (Some(observed), Some(panel)) => Some(Panel::new(ctx, observed, panel)),
            _ => None,
        };
        let y_area = below
            .iter()
            .fold(frame::y_label_area(&main, theme, &y), |w, panel| {
                w.max(frame::y_label_area(&panel.area, theme, &panel.y))
            });
        // The legend and the ink it must not cover are known before
        // drawing: when no place in the plot is free of them, the legend
        // takes a band above the plot instead.
        let mut legend = frame::Legend::default();
        legend.add(
            "P5–P95: 90% of simulated futures",
            Key::Swatch(palette::BAND_OUTER),
        );
        legend.add("P25–P75: the middle half", Key::Swatch(palette::BAND_INNER));
        legend.add("median", Key::Line(palette::MEDIAN));
        let mut ink = frame::Ink::default();
        ink.band(&p5, &p95);
        ink.line(&p50);
        let mut thresholds: Vec<f64> = Vec::new();
        let mut marked = Vec::new();
        let mut marks = Vec::new();
        for target in &targets {
            let result = &target.result;
            // A second target on the same month and amount adds nothing to see.
            if marked.contains(&(result.threshold, result.month)) {
                continue;
            }
            marked.push((result.threshold, result.month));
            let at = (
                model.month_index(result.month).unwrap_or(0) as f64,
                result.threshold,
            );
            ink.segment((at.0, y.range.start), at);
            let first_of_threshold = !thresholds.contains(&result.threshold);
            if first_of_threshold {
                thresholds.push(result.threshold);
                ink.segment(
                    (x.range.start, result.threshold),
                    (x.range.end, result.threshold),
                );
            }
            legend.add(chance(target), Key::Ring(palette::TARGET));
            marks.push((at, first_of_threshold, result.in_month.value));
        }
        if let Some(observed) = &on_headline {
            observed.points.iter().for_each(|p| ink.point(*p));
            legend.add(observed.label.as_str(), Key::Dot(palette::OBSERVED));
        }
        let band_height = frame::legend_band(&main, theme, &x, &y, y_area, &legend, &ink)?;
        let (legend_band, main) = match band_height {
            Some(height) => {
                let (band, rest) = main.split_vertically(height);
                (Some(band), rest)
            }
            None => (None, main),
        };
        let mut chart =
            frame::axes_aligned(&main, theme, &x, XTicks::Months(model.start), &y, y_area)?;

        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&p5, &p95),
                palette::BAND_OUTER.filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&p25, &p75),
                palette::BAND_INNER.filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                line(&p50),
                palette::MEDIAN.stroke_width(theme.line()),
            ))
            .map_err(fail)?;

        for (at, first_of_threshold, chance) in marks {
            if first_of_threshold {
                frame::dashed(
                    &mut chart,
                    theme,
                    (x.range.start, at.1),
                    (x.range.end, at.1),
                    palette::TARGET,
                )?;
            }
            frame::dashed(
                &mut chart,
                theme,
                (at.0, y.range.start),
                at,
                palette::TARGET,
            )?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    at,
                    theme.px(9.0),
                    palette::TARGET.stroke_width(theme.line()),
                )))
                .map_err(fail)?;
            frame::note(
                &mut chart,
                at,
                (0, -theme.px(16.0)),
                &crate::format::percent(chance),
                theme.bold(size::NOTE, palette::TARGET),
                (HPos::Center, VPos::Bottom),
            )?;
        }

        if let Some(observed) = &on_headline {
            dots(&mut chart, theme, observed)?;
        }
        match legend_band {
            Some(band) => frame::legend_above(&band, theme, y_area, &legend)?,
            None => frame::legend_clear_of(&mut chart, theme, &legend, &ink)?,
        }
        match below {
            Some(panel) => panel.draw(ctx, &x, y_area),
            None => Ok(()),
        }
    }
}

/// The observed months as dots, white-rimmed so they stay visible on the
/// darker band.
fn dots<DB: DrawingBackend>(
    chart: &mut frame::Chart2d<'_, DB>,
    theme: &super::style::Theme,
    observed: &Observed,
) -> DrawResult {
    let r = theme.px(7.0);
    chart
        .draw_series(
            observed
                .points
                .iter()
                .map(|p| Circle::new(*p, r + theme.px(2.0), palette::BACKGROUND.filled())),
        )
        .map_err(fail)?;
    chart
        .draw_series(
            observed
                .points
                .iter()
                .map(|p| Circle::new(*p, r, palette::OBSERVED.filled())),
        )
        .map_err(fail)?;
    Ok(())
}

/// The panel under the fan for observations of another metric: that
/// metric's own simulated bands month by month, with the observed months on
/// them, so a reader can see whether the model reproduces the history it
/// was calibrated on and what it projects for that metric.
struct Panel<DB: DrawingBackend> {
    observed: Observed,
    title: DrawingArea<DB, Shift>,
    /// The title's lines, fitted to the panel's width.
    heading: frame::Fitted,
    area: DrawingArea<DB, Shift>,
    y: Axis,
    p25: Vec<f64>,
    p50: Vec<f64>,
    p75: Vec<f64>,
}

impl<DB: DrawingBackend> Panel<DB> {
    fn new(ctx: &ChartData, observed: Observed, panel: DrawingArea<DB, Shift>) -> Panel<DB> {
        let theme = &ctx.theme;
        let bands = ctx.bands_of(observed.metric);
        let pick = |q: f64| bands.iter().map(|b| b.p(q)).collect::<Vec<f64>>();
        let (p25, p50, p75) = (pick(25.0), pick(50.0), pick(75.0));
        // The key is in the title: a boxed legend would cover the panel.
        let heading = format!(
            "{}, per month: your observed months (dots) on the simulated futures (grey: the middle half, line: the median)",
            frame::capitalise(observed.metric.phrase())
        );
        let (width, _) = panel.dim_in_pixel();
        let style = theme.bold(size::LEGEND, palette::INK);
        let heading = frame::fit(&heading, &style, width as i32, 2);
        let extra = frame::line_height(&heading.style) * (heading.lines.len() as i32 - 1);
        // Air above the panel's title parts it from the fan's month labels.
        let (title, area) =
            panel.split_vertically(theme.px(size::MARGIN) + theme.px(size::LEGEND * 1.6) + extra);
        let y = Axis {
            range: value_range(
                p25.iter()
                    .chain(&p75)
                    .copied()
                    .chain(observed.points.iter().map(|p| p.1)),
            ),
            unit: Unit::of(observed.metric),
            label: String::new(),
        };
        Panel {
            observed,
            title,
            heading,
            area,
            y,
            p25,
            p50,
            p75,
        }
    }

    fn draw(&self, ctx: &ChartData, x: &Axis, y_area: i32) -> DrawResult {
        let theme = &ctx.theme;
        let (_, height) = self.title.dim_in_pixel();
        let title = &self.heading;
        let style = title.style.pos(Pos::new(HPos::Left, VPos::Bottom));
        let step = frame::line_height(&style);
        let count = title.lines.len() as i32;
        for (i, line) in title.lines.iter().enumerate() {
            let bottom = height as i32 - (count - 1 - i as i32) * step;
            self.title
                .draw_text(line, &style, (0, bottom))
                .map_err(fail)?;
        }
        let mut chart = frame::axes_aligned(
            &self.area,
            theme,
            x,
            XTicks::Months(ctx.model.start),
            &self.y,
            y_area,
        )?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&self.p25, &self.p75),
                palette::tint(palette::OTHER, 0.5).filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                line(&self.p50),
                palette::MUTED.stroke_width(theme.px(2.0) as u32),
            ))
            .map_err(fail)?;
        dots(&mut chart, theme, &self.observed)
    }
}
