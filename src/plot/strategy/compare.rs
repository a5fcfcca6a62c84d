//! compare.png: each strategy's headline median and middle half overlaid,
//! the first target, and each strategy's chance of it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::super::frame::{self, Axis, Header, Key, XTicks, fail};
use super::super::style::{Theme, Unit, palette, size};
use super::super::{DrawResult, Picture, band, line, month_range, value_range};
use super::{boxed, goal_text, pct, series_colour, subtitle};
use crate::model::Model;
use crate::strategy::compare::{Comparison, StrategyResult};

pub struct CompareChart<'a> {
    pub model: &'a Model,
    pub comparison: &'a Comparison,
    pub theme: Theme,
}

/// How see-through the middle-half bands are, so overlaps stay visible.
const BAND_ALPHA: f64 = 0.16;

fn chance_of_first(strategy: &StrategyResult) -> Option<f64> {
    strategy.targets.first().map(|t| t.probability.value)
}

impl CompareChart<'_> {
    fn answer(&self) -> String {
        let c = self.comparison;
        let unit = Unit::of(c.headline);
        match c.targets.first() {
            Some(target) => {
                let chances: Vec<f64> = c
                    .strategies
                    .iter()
                    .map(|s| chance_of_first(s).unwrap_or(0.0))
                    .collect();
                let (best, high) = chances
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::MIN),
                        |acc, (i, p)| if *p > acc.1 { (i, *p) } else { acc },
                    );
                let low = chances.iter().copied().fold(f64::MAX, f64::min);
                if c.strategies.len() > 1 && high - low < 1e-12 {
                    return format!(
                        "All {} strategies give the same {} chance of {}",
                        c.strategies.len(),
                        pct(high),
                        goal_text(target)
                    );
                }
                let strategy = &c.strategies[best];
                // The title names the metric: the answer gives amount and month.
                let goal = if target.metric == c.headline {
                    format!(
                        "≥ {} in {}",
                        unit.value(target.threshold),
                        target.month.long()
                    )
                } else {
                    goal_text(target)
                };
                let mut text = format!("Best: {}, {} chance of {goal}", strategy.name, pct(high));
                if best > 0
                    && let Some(t) = strategy.targets.first()
                {
                    let noise = if t.within_noise { ", within noise" } else { "" };
                    text += &format!(
                        " ({:+.1} pts vs {}{noise})",
                        t.difference.value * 100.0,
                        c.strategies[0].name
                    );
                }
                text
            }
            None => {
                let best = c
                    .strategies
                    .iter()
                    .max_by(|a, b| a.median_headline.total_cmp(&b.median_headline));
                match best {
                    Some(best) => format!(
                        "No target in the scenario: {} has the highest median {} in {} ({})",
                        best.name,
                        c.headline.phrase(),
                        c.headline_month.long(),
                        unit.value(best.median_headline)
                    ),
                    None => String::new(),
                }
            }
        }
    }
}

impl Picture for CompareChart<'_> {
    fn name(&self) -> &str {
        "compare"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (model, c, theme) = (self.model, self.comparison, &self.theme);
        let metric = c.headline;
        let unit = Unit::of(metric);
        let target = c.targets.first().filter(|t| t.metric == metric);
        let header = Header {
            title: format!(
                "{}: {}, {} strategies compared",
                model.name,
                metric.phrase(),
                c.strategies.len()
            ),
            answer: self.answer(),
            subtitle: {
                let mut lines = subtitle(
                    model,
                    c.paths,
                    c.seed,
                    &match c.targets.first() {
                        Some(t) => format!(
                            "Target: {} ({}) · lines: median; shading: P25–P75, the middle half of futures",
                            t.label,
                            goal_text(t)
                        ),
                        None => {
                            "Lines: median; shading: P25–P75, the middle half of simulated futures"
                                .to_string()
                        }
                    },
                );
                if c.calibrated {
                    lines.push(format!(
                        "On the futures that match your observed history, which happened under “{}”: each strategy as it would have gone from the month it starts",
                        c.strategies[0].name
                    ));
                }
                lines
            },
        };
        let body = frame::frame(root, theme, &header)?;
        let months = c
            .strategies
            .iter()
            .map(|s| s.bands.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let x = Axis {
            range: month_range(0.0, months),
            unit: Unit::Count,
            label: String::new(),
        };
        let y = Axis {
            range: value_range(
                c.strategies
                    .iter()
                    .flat_map(|s| s.bands.iter().flat_map(|b| [b.p(25.0), b.p(75.0)]))
                    .chain(target.map(|t| t.threshold)),
            ),
            unit,
            label: frame::capitalise(metric.phrase()),
        };
        let mut chart = frame::axes(&body, theme, &x, XTicks::Months(model.start), &y)?;

        let mut legend = frame::Legend::default();
        let mut ink = frame::Ink::default();
        // Bands first, all of them, so that no band hides another's median.
        for (i, strategy) in c.strategies.iter().enumerate() {
            let p25: Vec<f64> = strategy.bands.iter().map(|b| b.p(25.0)).collect();
            let p75: Vec<f64> = strategy.bands.iter().map(|b| b.p(75.0)).collect();
            if p25.is_empty() {
                continue;
            }
            ink.band(&p25, &p75);
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band(&p25, &p75),
                    series_colour(i).mix(BAND_ALPHA).filled(),
                )))
                .map_err(fail)?;
        }
        for (i, strategy) in c.strategies.iter().enumerate() {
            let colour = series_colour(i);
            let p50: Vec<f64> = strategy.bands.iter().map(|b| b.p(50.0)).collect();
            // A strategy from a month says so: before it, its line is the reference's.
            let name = match strategy.changes_from {
                Some(month) => format!("{} (from {})", strategy.name, month.long()),
                None => strategy.name.clone(),
            };
            let label = match (chance_of_first(strategy), c.targets.first()) {
                (Some(p), Some(target)) => {
                    let amount = Unit::of(target.metric).value(target.threshold);
                    // How fast, not only how likely: read from the legend
                    // alone, it names the strategy that gets there first.
                    let when = match strategy.targets[0].median_first_month {
                        Some(month) => {
                            format!("half of futures reach {amount} by {}", month.long())
                        }
                        None => format!("fewer than half reach {amount} by {}", model.end().long()),
                    };
                    format!("{name}: {} chance; {when}", pct(p))
                }
                _ => format!(
                    "{name}: median {} in {}",
                    unit.value(strategy.median_headline),
                    c.headline_month.long()
                ),
            };
            ink.line(&p50);
            legend.add(label, Key::Line(colour));
            chart
                .draw_series(LineSeries::new(
                    line(&p50),
                    colour.stroke_width(theme.line()),
                ))
                .map_err(fail)?;
        }

        if let Some(target) = target {
            let at = (target.month_index as f64, target.threshold);
            ink.segment(
                (x.range.start, target.threshold),
                (x.range.end, target.threshold),
            );
            ink.segment((at.0, y.range.start), at);
            frame::dashed(
                &mut chart,
                theme,
                (x.range.start, target.threshold),
                (x.range.end, target.threshold),
                palette::INK,
            )?;
            frame::dashed(&mut chart, theme, (at.0, y.range.start), at, palette::INK)?;
            legend.add(
                format!("target: {}", goal_text(target)),
                Key::Ring(palette::INK),
            );
            chart
                .draw_series(std::iter::once(Circle::new(
                    at,
                    theme.px(9.0),
                    palette::INK.stroke_width(theme.line()),
                )))
                .map_err(fail)?;
            // The month's name above the ring, leaning inwards at the edges.
            let anchor = if at.0 > (months as f64 - 1.0) * 0.8 {
                HPos::Right
            } else {
                HPos::Center
            };
            let (px, py) = chart.backend_coord(&at);
            boxed(
                root,
                theme,
                &format!("target {}", target.month.short()),
                &theme.bold(size::NOTE, palette::INK),
                (px, py - theme.px(16.0)),
                (anchor, VPos::Bottom),
            )?;
        } else if let Some(target) = c.targets.first() {
            // The first target counts another metric: name it in the legend.
            legend.add(
                format!("chances are of {}", goal_text(target)),
                Key::Ring(palette::INK),
            );
        }
        frame::legend_clear_of(&mut chart, theme, &legend, &ink)
    }
}
