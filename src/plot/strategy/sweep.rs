//! sweep.png: the first target's chance across one swept key (with the goal
//! and the value that reaches it), or a heat map over two keys.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::super::frame::{self, Header, Key, fail};
use super::super::style::{Theme, Unit, palette, size};
use super::super::{DrawResult, Picture, clean, value_range};
use super::{Scale, decimals, goal_text, number, pct, percent_tick, plot, subtitle, text_at};
use crate::model::Model;
use crate::strategy::sweep::{Axis, Sweep};

pub struct SweepChart<'a> {
    pub model: &'a Model,
    pub sweep: &'a Sweep,
    pub theme: Theme,
}

/// Cells above this many get no numbers written in them.
const MAX_LABELLED_CELLS: usize = 200;

/// Decimals for an axis's values.
fn digits(axis: &Axis) -> usize {
    let step = match axis.values.as_slice() {
        [a, b, ..] => b - a,
        _ => 1.0,
    };
    decimals(step)
}

/// Light-to-dark blue for 0..1: one hue, so order reads by lightness alone
/// (colour-blind safe and greyscale safe).
fn heat(p: f64) -> RGBColor {
    let p = clean(p).clamp(0.0, 1.0);
    let (light, dark) = ((0xF2, 0xF7, 0xFC), (0x08, 0x30, 0x6B));
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * p).round() as u8;
    RGBColor(
        mix(light.0, dark.0),
        mix(light.1, dark.1),
        mix(light.2, dark.2),
    )
}

impl Picture for SweepChart<'_> {
    fn name(&self) -> &str {
        "sweep"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        match self.sweep.axes.len() {
            2 => self.grid(root),
            _ => self.single(root),
        }
    }
}

impl SweepChart<'_> {
    /// A swept key in plain words, as sensitivity names it ("Funnel: paid
    /// conversion of sign-ups"); the key itself when the swept scenario
    /// (with its variant) has none.
    fn name<'s>(&self, axis: &'s Axis) -> &'s str {
        axis.label.as_deref().unwrap_or(&axis.key)
    }

    /// An axis title: the plain words, and the key to `--vary`.
    fn axis_title(&self, axis: &Axis) -> String {
        match &axis.label {
            Some(label) => format!("{label} ({})", axis.key),
            None => axis.key.clone(),
        }
    }

    fn title(&self) -> String {
        let keys: Vec<&str> = self.sweep.axes.iter().map(|a| self.name(a)).collect();
        format!(
            "{}: chance of the first target across {}",
            self.model.name,
            keys.join(" × ")
        )
    }

    fn subtitle(&self, more: &str) -> Vec<String> {
        let s = self.sweep;
        let mut lines = subtitle(self.model, s.paths, s.seed, "");
        let target = format!("Target: {} ({})", s.target.label, goal_text(&s.target));
        lines.push(if more.is_empty() {
            target
        } else {
            format!("{target} · {more}")
        });
        if s.conditioned {
            lines.push(format!(
                "On the futures that match your observed history: each value as it would have gone {} · as the scenario stands, {}",
                match s.changes_from {
                    Some(month) => format!("from {} on", month.long()),
                    None => "from the start".to_string(),
                },
                pct(s.reference.value)
            ));
        }
        lines
    }

    fn single<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (s, theme) = (self.sweep, &self.theme);
        let axis = &s.axes[0];
        let d = digits(axis);
        let points: Vec<(f64, f64, f64, f64)> = s
            .points
            .iter()
            .map(|p| {
                let v = clean(p.values.first().copied().unwrap_or(0.0));
                let (value, se) = (
                    clean(p.probability.value),
                    clean(p.probability.standard_error),
                );
                (v, value * 100.0, se * 100.0, clean(p.median))
            })
            .collect();
        let first = points.first().copied().unwrap_or_default();
        let last = points.last().copied().unwrap_or_default();
        let answer = match &s.goal {
            Some(goal) => match goal.value {
                Some(value) => format!(
                    "For a {} chance, {} must be at least about {} (chance there {})",
                    pct(goal.goal),
                    self.name(axis),
                    number(value, d + 1),
                    pct(goal.probability_at_value.map_or(0.0, |p| p.value))
                ),
                None => format!(
                    "No value of {} in {} – {} reaches a {} chance (best: {} at {})",
                    self.name(axis),
                    number(first.0, d),
                    number(last.0, d),
                    pct(goal.goal),
                    pct(goal.probability_at_high.value),
                    number(last.0, d)
                ),
            },
            None => format!(
                "The chance goes from {} at {} = {} to {} at {}",
                pct(first.1 / 100.0),
                self.name(axis),
                number(first.0, d),
                pct(last.1 / 100.0),
                number(last.0, d)
            ),
        };
        let header = Header {
            title: self.title(),
            answer,
            subtitle: self.subtitle("the band is ± 2 standard errors"),
        };
        let body = frame::frame(root, theme, &header)?;
        let (upper, lower) = body.split_vertically(body.dim_in_pixel().1 * 66 / 100);

        let (low, high) = (first.0.min(last.0), first.0.max(last.0));
        let pad = ((high - low) * 0.03).max(1e-9);
        let x_range = low - pad..high + pad;
        let x_format = |v: f64| number(v, d);
        let y_format = percent_tick;
        let ticks = (points.len() + 1).clamp(3, 10);
        let x = Scale {
            range: x_range.clone(),
            label: String::new(),
            ticks,
            format: &x_format,
        };
        // The axis ends at 100% (a little air keeps the dots whole); the
        // legend finds a free place inside.
        let y = Scale {
            range: -2.0..103.0,
            label: "Chance of the target".into(),
            ticks: 6,
            format: &y_format,
        };
        let metric = s.target.metric;
        let unit = Unit::of(metric);
        // Headroom on top for the panel's caption.
        let medians = value_range(points.iter().map(|p| p.3).chain([s.target.threshold]));
        let medians = medians.start..medians.end + (medians.end - medians.start) * 0.3;
        let median_span = medians.end - medians.start;
        let median_format = |v: f64| unit.tick(v, median_span);
        // The two panels share the width left for their vertical axes.
        let probe = theme.text(size::TICK, palette::INK);
        let widest = [medians.start, medians.end]
            .iter()
            .map(|v| frame::text_width(&body, &median_format(*v), &probe))
            .chain([frame::text_width(&body, "100%", &probe)])
            .max()
            .unwrap_or(0);
        let y_area = widest + theme.px(14.0) + theme.px(size::AXIS) * 2;
        let mut chart = plot(&upper, theme, &x, &y, Some(y_area))?;
        let mut legend = frame::Legend::default();
        let mut ink = frame::Ink::default();

        let mut band: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (p.0, (p.1 + 2.0 * p.2).min(100.0)))
            .collect();
        band.extend(
            points
                .iter()
                .rev()
                .map(|p| (p.0, (p.1 - 2.0 * p.2).max(0.0))),
        );
        for pair in points.windows(2) {
            for f in [0.0, 0.5, 1.0] {
                let at = |p: &(f64, f64, f64, f64)| {
                    let (lo, hi) = ((p.1 - 2.0 * p.2).max(0.0), (p.1 + 2.0 * p.2).min(100.0));
                    (p.0, lo + (hi - lo) * f)
                };
                ink.segment(at(&pair[0]), at(&pair[1]));
            }
        }
        points.iter().for_each(|p| ink.point((p.0, p.1)));
        let band_colour = palette::tint(palette::BLUE, 0.3);
        chart
            .draw_series(std::iter::once(Polygon::new(band, band_colour.filled())))
            .map_err(fail)?;
        legend.add("± 2 standard errors", Key::Swatch(band_colour));
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1)),
                palette::BLUE.stroke_width(theme.line()),
            ))
            .map_err(fail)?;
        legend.add(
            format!("chance of {}", goal_text(&s.target)),
            Key::Line(palette::BLUE),
        );
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), theme.px(6.0), palette::BLUE.filled())),
            )
            .map_err(fail)?;

        if let Some(goal) = &s.goal {
            let level = goal.goal * 100.0;
            frame::dashed(
                &mut chart,
                theme,
                (x_range.start, level),
                (x_range.end, level),
                palette::VERMILLION,
            )?;
            ink.segment((x_range.start, level), (x_range.end, level));
            legend.add(
                format!("goal: {} chance", pct(goal.goal)),
                Key::Thin(palette::VERMILLION),
            );
            match goal.value {
                Some(value) => {
                    let at = (value, level);
                    frame::dashed(&mut chart, theme, (value, 0.0), at, palette::VERMILLION)?;
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            at,
                            theme.px(9.0),
                            palette::VERMILLION.stroke_width(theme.line()),
                        )))
                        .map_err(fail)?;
                    ink.segment((value, 0.0), at);
                    let right_half = value > (x_range.start + x_range.end) / 2.0;
                    let reach = (x_range.end - x_range.start) * 0.15;
                    let side = if right_half { -reach } else { reach };
                    ink.segment((value, level / 2.0), (value + side, level / 2.0));
                    let (dx, anchor) = if right_half {
                        (-theme.px(14.0), HPos::Right)
                    } else {
                        (theme.px(14.0), HPos::Left)
                    };
                    frame::note(
                        &mut chart,
                        (value, level / 2.0),
                        (dx, 0),
                        &format!("need ≥ {}", number(value, d + 1)),
                        theme.bold(size::NOTE, palette::VERMILLION),
                        (anchor, VPos::Center),
                    )?;
                }
                None => {
                    ink.segment((x_range.start, level + 8.0), (x_range.end, level + 8.0));
                    frame::note(
                        &mut chart,
                        ((x_range.start + x_range.end) / 2.0, level),
                        (0, -theme.px(10.0)),
                        "no value in range reaches the goal",
                        theme.bold(size::NOTE, palette::VERMILLION),
                        (HPos::Center, VPos::Bottom),
                    )?;
                }
            }
        }
        frame::legend_clear_of(&mut chart, theme, &legend, &ink)?;

        // Lower panel: the median of the target's metric at each value.
        let x = Scale {
            range: x_range,
            label: self.axis_title(axis),
            ticks,
            format: &x_format,
        };
        let y = Scale {
            range: medians,
            label: "Median".into(),
            ticks: 4,
            format: &median_format,
        };
        let mut chart = plot(&lower, theme, &x, &y, Some(y_area))?;
        frame::dashed(
            &mut chart,
            theme,
            (x.range.start, s.target.threshold),
            (x.range.end, s.target.threshold),
            palette::INK,
        )?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.3)),
                palette::ORANGE.stroke_width(theme.px(2.0) as u32),
            ))
            .map_err(fail)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.0, p.3), theme.px(6.0), palette::ORANGE.filled())),
            )
            .map_err(fail)?;
        // A caption rather than a boxed legend: the panel is short.
        let caption = format!(
            "Dots: median {} in {} · dashed: target {}",
            metric.phrase(),
            s.target.month.long(),
            unit.value(s.target.threshold)
        );
        let (px, py) = chart.backend_coord(&(x.range.start, y.range.end));
        let (plot_w, _) = chart.plotting_area().dim_in_pixel();
        let caption = frame::fit(
            &caption,
            &theme.text(size::LEGEND, palette::MUTED),
            plot_w as i32 - theme.px(20.0),
            1,
        );
        frame::draw_lines(
            root,
            &caption,
            (px + theme.px(10.0), py + theme.px(4.0)),
            HPos::Left,
        )
    }
    fn grid<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (s, theme) = (self.sweep, &self.theme);
        let (ax, ay) = (&s.axes[0], &s.axes[1]);
        let (nx, ny) = (ax.values.len().max(1), ay.values.len().max(1));
        let (dx, dy) = (digits(ax), digits(ay));
        // Points run over the first key, then the second within it.
        let cell = |i: usize, j: usize| s.points.get(i * ny + j);
        let best = s
            .points
            .iter()
            .max_by(|a, b| a.probability.value.total_cmp(&b.probability.value));
        let worst = s
            .points
            .iter()
            .min_by(|a, b| a.probability.value.total_cmp(&b.probability.value));
        let at = |p: &crate::strategy::sweep::Point| {
            format!(
                "{} = {}, {} = {}",
                self.name(ax),
                number(p.values.first().copied().unwrap_or(0.0), dx),
                self.name(ay),
                number(p.values.get(1).copied().unwrap_or(0.0), dy)
            )
        };
        let answer = match (best, worst) {
            (Some(b), Some(w)) if b.probability.value - w.probability.value < 1e-12 => {
                format!(
                    "The chance is {} everywhere on the grid",
                    pct(b.probability.value)
                )
            }
            (Some(b), Some(w)) => format!(
                "Best {} at {}; worst {} at {}, {}",
                pct(b.probability.value),
                at(b),
                pct(w.probability.value),
                number(w.values.first().copied().unwrap_or(0.0), dx),
                number(w.values.get(1).copied().unwrap_or(0.0), dy)
            ),
            _ => String::new(),
        };
        let header = Header {
            title: self.title(),
            answer,
            subtitle: self.subtitle("colour: chance of the target"),
        };
        let body = frame::frame(root, theme, &header)?;
        let scale_width = theme.px(150.0);
        let (width, _) = body.dim_in_pixel();
        let (main, key) = body.split_horizontally(width as i32 - scale_width);

        let x_format = |v: f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < nx {
                number(ax.values[i as usize], dx)
            } else {
                String::new()
            }
        };
        let y_format = |v: f64| {
            let j = v.round();
            if (v - j).abs() < 1e-6 && j >= 0.0 && (j as usize) < ny {
                number(ay.values[j as usize], dy)
            } else {
                String::new()
            }
        };
        let x = Scale {
            range: -0.5..nx as f64 - 0.5,
            label: self.axis_title(ax),
            ticks: nx + 1,
            format: &x_format,
        };
        let y = Scale {
            range: -0.5..ny as f64 - 0.5,
            label: self.axis_title(ay),
            ticks: ny + 1,
            format: &y_format,
        };
        let chart = plot(&main, theme, &x, &y, None)?;
        let plotting = chart.plotting_area();
        let (plot_w, plot_h) = plotting.dim_in_pixel();
        let (cell_w, cell_h) = (plot_w as f64 / nx as f64, plot_h as f64 / ny as f64);
        let label_style = theme.bold(size::NOTE, palette::INK);
        let wide = frame::text_width(&main, "99.9%", &label_style) as f64;
        let label_cells = nx * ny <= MAX_LABELLED_CELLS
            && wide + theme.px(6.0) as f64 <= cell_w
            && theme.px(size::NOTE) as f64 * 1.3 <= cell_h;
        for i in 0..nx {
            for j in 0..ny {
                let Some(point) = cell(i, j) else { continue };
                let p = point.probability.value;
                let (xi, yj) = (i as f64, j as f64);
                plotting
                    .draw(&Rectangle::new(
                        [(xi - 0.5, yj - 0.5), (xi + 0.5, yj + 0.5)],
                        heat(p).filled(),
                    ))
                    .map_err(fail)?;
                if label_cells {
                    let ink = if p > 0.5 {
                        palette::BACKGROUND
                    } else {
                        palette::INK
                    };
                    let style =
                        theme
                            .bold(size::NOTE, ink)
                            .pos(plotters::style::text_anchor::Pos::new(
                                HPos::Center,
                                VPos::Center,
                            ));
                    plotting
                        .draw(&Text::new(pct(p), (xi, yj), style))
                        .map_err(fail)?;
                }
            }
        }
        // Thin white rules between cells keep neighbours of equal colour apart.
        let rule = palette::BACKGROUND.stroke_width(theme.px(2.0) as u32);
        for i in 1..nx {
            let xi = i as f64 - 0.5;
            plotting
                .draw(&PathElement::new(
                    vec![(xi, -0.5), (xi, ny as f64 - 0.5)],
                    rule,
                ))
                .map_err(fail)?;
        }
        for j in 1..ny {
            let yj = j as f64 - 0.5;
            plotting
                .draw(&PathElement::new(
                    vec![(-0.5, yj), (nx as f64 - 0.5, yj)],
                    rule,
                ))
                .map_err(fail)?;
        }
        self.colour_scale(&key)
    }

    /// A vertical 0–100% colour bar with ticks, right of the heat map.
    fn colour_scale<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let theme = &self.theme;
        let (w, h) = area.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let top = theme.px(10.0) + theme.px(size::LEGEND) * 2;
        let bottom = h - theme.px(size::TICK) * 2 - theme.px(size::AXIS) * 2;
        if bottom <= top + 4 {
            return Ok(());
        }
        let left = theme.px(24.0);
        let bar = theme.px(28.0).min(w / 3).max(2);
        let title = theme.text(size::LEGEND, palette::INK);
        area.draw_text("Chance", &title, (left, theme.px(10.0)))
            .map_err(fail)?;
        for y in top..bottom {
            let p = 1.0 - (y - top) as f64 / (bottom - top) as f64;
            area.draw(&Rectangle::new(
                [(left, y), (left + bar, y + 1)],
                heat(p).filled(),
            ))
            .map_err(fail)?;
        }
        area.draw(&Rectangle::new(
            [(left, top), (left + bar, bottom)],
            palette::AXIS.stroke_width(1),
        ))
        .map_err(fail)?;
        let tick = theme.text(size::TICK, palette::INK);
        for k in 0..=4 {
            let p = k as f64 / 4.0;
            let y = bottom - ((bottom - top) as f64 * p).round() as i32;
            area.draw(&PathElement::new(
                vec![(left + bar, y), (left + bar + theme.px(6.0), y)],
                palette::AXIS.stroke_width(1),
            ))
            .map_err(fail)?;
            text_at(
                area,
                &percent_tick(p * 100.0),
                &tick,
                (left + bar + theme.px(10.0), y),
                (HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    }
}
