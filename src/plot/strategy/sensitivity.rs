//! sensitivity.png: a tornado chart. One bar per uncertain input, spanning
//! the target's chance with the input held at its P10 to at its P90, around
//! the chance with everything uncertain.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::super::frame::{self, Header, Key, fail};
use super::super::style::{Theme, palette, size};
use super::super::{DrawResult, Picture, clean, plural};
use super::{Scale, goal_text, pct, percent_tick, plot, subtitle, text_at};
use crate::format::input_value;
use crate::model::Model;
use crate::strategy::sensitivity::{Estimated, Sensitivity};

pub struct Tornado<'a> {
    pub model: &'a Model,
    pub sensitivity: &'a Sensitivity,
    pub theme: Theme,
}

/// The part of a bar from the base chance to the chance at the input's P90.
pub const HIGH: RGBColor = palette::BLUE;
/// The part from the base chance to the chance at the input's P10.
pub const LOW: RGBColor = palette::ORANGE;

/// Rows beyond this many are left off (the smallest swings).
const MAX_ROWS: usize = 25;

impl Tornado<'_> {
    fn answer(&self) -> String {
        let s = self.sensitivity;
        match s.inputs.first() {
            Some(top) if top.swing.abs() > 0.0 => format!(
                "Decisive: {}, which moves the chance {} → {} from its P10 to its P90",
                top.label,
                pct(top.probability_at_p10.value),
                pct(top.probability_at_p90.value)
            ),
            Some(_) => format!(
                "No single input moves the chance: it stays {} at every input's P10 and P90",
                pct(s.probability.value)
            ),
            None => format!(
                "No uncertain inputs: the chance is {}",
                pct(s.probability.value)
            ),
        }
    }
}

impl Picture for Tornado<'_> {
    fn name(&self) -> &str {
        "sensitivity"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (s, theme) = (self.sensitivity, &self.theme);
        let inputs = &s.inputs[..s.inputs.len().min(MAX_ROWS)];
        let left_off = s.inputs.len() - inputs.len();
        let one_run = s
            .inputs
            .iter()
            .all(|input| input.estimated_by == Estimated::FittedCurve);
        let mut more = if one_run {
            "Each input at its P10 and at its P90, the others left uncertain, read off a curve fitted to the futures' chance against it; largest swing on top".to_string()
        } else {
            "Each input held at its P10 and at its P90, the others left uncertain; largest swing on top".to_string()
        };
        if left_off > 0 {
            more += &format!(" ({left_off} smaller left off)");
        }
        let subtitle = if one_run {
            vec![
                format!(
                    "{} – {} · {} conditioned on your observed history, seed {}",
                    self.model.start.long(),
                    self.model.end().long(),
                    plural(s.paths, "path"),
                    s.seed
                ),
                more,
            ]
        } else {
            if s.conditioned {
                more += " · every run conditioned on your observed history";
            }
            subtitle(self.model, s.held_paths, s.seed, &more)
        };
        let header = Header {
            title: format!(
                "{}: which uncertain inputs decide the first target",
                self.model.name
            ),
            answer: self.answer(),
            subtitle,
        };
        let body = frame::frame(root, theme, &header)?;
        let base = clean(s.probability.value) * 100.0;
        let rows = inputs.len().max(1);

        // Zoom on the bars, with room for the chance written at each end.
        let (mut low, mut high) = (base, base);
        for input in inputs {
            for p in [&input.probability_at_p10, &input.probability_at_p90] {
                low = low.min(clean(p.value) * 100.0);
                high = high.max(clean(p.value) * 100.0);
            }
        }
        let span = (high - low).max(10.0);
        let low = (low - span * 0.25).max(0.0);
        let high = (high + span * 0.25).min(100.0);
        let (low, high) = if high - low < 10.0 {
            if low <= 0.0 {
                (0.0, 10.0)
            } else {
                (90.0, 100.0)
            }
        } else {
            (low, high)
        };

        // Empty space under the bars for the legend: the tornado is
        // narrowest there, but its labels still reach out.
        let legend_px = theme.px(3.0 * size::LEGEND * 1.4 + 40.0) as f64;
        let x_area = theme.px(size::TICK) * 2 + theme.px(size::AXIS) * 2;
        let plot_estimate = (body.dim_in_pixel().1 as f64 - x_area as f64).max(1.0);
        let spare = if plot_estimate > 2.0 * legend_px {
            legend_px * rows as f64 / (plot_estimate - legend_px)
        } else {
            0.0
        };
        let row_estimate =
            (plot_estimate - spare * plot_estimate / (rows as f64 + spare)) / rows as f64;
        // Two lines of type need about 0.9 of their sizes together (their
        // capitals and descenders, not the full em boxes).
        let two_lines = row_estimate >= theme.px(size::LEGEND + size::TICK * 0.9) as f64 * 0.9;
        let (body_w, _) = body.dim_in_pixel();
        let max_label = (body_w as i32 * 2) / 5;
        // Every row's label in one type size, the largest in which each fits
        // on one line (smaller type for long names; never cut).
        let shared = |style: TextStyle<'static>, texts: &[String]| {
            let px = texts
                .iter()
                .map(|text| frame::fit(text, &style, max_label, 1).style.font.get_size())
                .fold(style.font.get_size(), f64::min);
            frame::resized(&style, px)
        };
        let names: Vec<String> = inputs.iter().map(|input| input.label.clone()).collect();
        let ranges: Vec<String> = inputs
            .iter()
            .map(|input| {
                format!(
                    "P10 {} · P90 {}",
                    input_value(input.unit, input.p10),
                    input_value(input.unit, input.p90)
                )
            })
            .collect();
        let label_style = shared(theme.text(size::LEGEND, palette::INK), &names);
        let range_style = shared(theme.text(size::TICK * 0.9, palette::MUTED), &ranges);
        let labels: Vec<(Vec<String>, Vec<String>)> = names
            .iter()
            .zip(&ranges)
            .map(|(name, range)| {
                (
                    frame::wrap(name, &label_style, max_label),
                    frame::wrap(range, &range_style, max_label),
                )
            })
            .collect();
        let gap = theme.px(12.0);
        let widest_of = |lines: &[String], style: &TextStyle| {
            lines
                .iter()
                .map(|line| frame::width_of(line, style))
                .max()
                .unwrap_or(0)
        };
        let widest = labels
            .iter()
            .map(|(a, b)| {
                let (a, b) = (widest_of(a, &label_style), widest_of(b, &range_style));
                if two_lines { a.max(b) } else { a + gap + b }
            })
            .max()
            .unwrap_or(0);
        let y_area = widest + theme.px(20.0);

        let x_format = percent_tick;
        let y_format = |_: f64| String::new();
        let x = Scale {
            range: low..high,
            label: format!("Chance of {}", goal_text(&s.target)),
            ticks: 8,
            format: &x_format,
        };
        let y = Scale {
            range: -0.5 - spare..rows as f64 - 0.5,
            label: String::new(),
            ticks: 0,
            format: &y_format,
        };
        let mut chart = plot(&body, theme, &x, &y, Some(y_area))?;
        let (_, plot_h) = chart.plotting_area().dim_in_pixel();
        let row_px = plot_h as f64 / (rows as f64 + spare);
        let half = (0.32f64).min(0.5 - 2.0 / row_px.max(4.0)).max(0.1);

        // Top row is the first (largest) input.
        let row_y = |i: usize| (rows - 1 - i) as f64;
        // The longer part of each bar goes behind the shorter, so both show
        // when they lie on one side of the base.
        let mut back = Vec::new();
        let mut front = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let y = row_y(i);
            let p10 = clean(input.probability_at_p10.value) * 100.0;
            let p90 = clean(input.probability_at_p90.value) * 100.0;
            let low_bar = Rectangle::new([(base, y - half), (p10, y + half)], LOW.filled());
            let high_bar = Rectangle::new([(base, y - half), (p90, y + half)], HIGH.filled());
            if (p10 - base).abs() >= (p90 - base).abs() {
                back.push(low_bar);
                front.push(high_bar);
            } else {
                back.push(high_bar);
                front.push(low_bar);
            }
        }
        chart.draw_series(back).map_err(fail)?;
        chart.draw_series(front).map_err(fail)?;
        let mut legend = frame::Legend::default();
        legend.add("input at its P10", Key::Swatch(LOW));
        legend.add("input at its P90", Key::Swatch(HIGH));

        // The chance written at each end of each bar, outside it.
        let note_style = theme.bold(size::NOTE * 0.9, palette::INK);
        if row_px >= theme.px(size::NOTE) as f64 {
            for (i, input) in inputs.iter().enumerate() {
                let y = row_y(i);
                let p10 = clean(input.probability_at_p10.value) * 100.0;
                let p90 = clean(input.probability_at_p90.value) * 100.0;
                let (left, right) = (p10.min(p90).min(base), p10.max(p90).max(base));
                let left_text = if p10 <= p90 { p10 } else { p90 };
                let right_text = if p10 <= p90 { p90 } else { p10 };
                // A bar part less than a pixel wide is not drawn to be seen:
                // its chance is the base's, and it gets no label.
                let at = |v: f64| chart.backend_coord(&(v, y)).0;
                let (left_drawn, right_drawn) = (
                    (at(left_text) - at(base)).abs() >= 1,
                    (at(right_text) - at(base)).abs() >= 1,
                );
                if left_drawn {
                    frame::note(
                        &mut chart,
                        (left, y),
                        (-theme.px(8.0), 0),
                        &pct(left_text / 100.0),
                        note_style.clone(),
                        (HPos::Right, VPos::Center),
                    )?;
                }
                if right_drawn {
                    frame::note(
                        &mut chart,
                        (right, y),
                        (theme.px(8.0), 0),
                        &pct(right_text / 100.0),
                        note_style.clone(),
                        (HPos::Left, VPos::Center),
                    )?;
                }
            }
        }

        frame::dashed(
            &mut chart,
            theme,
            (base, -0.5),
            (base, rows as f64 - 0.5),
            palette::INK,
        )?;
        legend.add(
            format!("base: {} with every input uncertain", pct(base / 100.0)),
            Key::Thin(palette::INK),
        );

        // Row labels left of the plot: the input, and its P10..P90 below it
        // (or beside it when rows are short). A label on more than one line
        // (only in the smallest pictures) grows upwards.
        let left_px = chart.backend_coord(&(low, 0.0)).0 - theme.px(12.0);
        let stack =
            |lines: &[String], style: &TextStyle, right: i32, last_y: i32, v: VPos| -> DrawResult {
                let step = frame::line_height(style);
                let count = lines.len() as i32;
                for (k, line) in lines.iter().enumerate() {
                    let y = last_y - (count - 1 - k as i32) * step;
                    text_at(root, line, style, (right, y), (HPos::Right, v))?;
                }
                Ok(())
            };
        for (i, (label, range)) in labels.iter().enumerate() {
            let (_, y_px) = chart.backend_coord(&(low, row_y(i)));
            if two_lines {
                stack(
                    label,
                    &label_style,
                    left_px,
                    y_px - theme.px(2.0),
                    VPos::Bottom,
                )?;
                // The range's lines go downwards from under the label.
                for (k, line) in range.iter().enumerate() {
                    let y = y_px + theme.px(2.0) + k as i32 * frame::line_height(&range_style);
                    text_at(
                        root,
                        line,
                        &range_style,
                        (left_px, y),
                        (HPos::Right, VPos::Top),
                    )?;
                }
            } else {
                let range_px = widest_of(range, &range_style);
                stack(range, &range_style, left_px, y_px, VPos::Center)?;
                stack(
                    label,
                    &label_style,
                    left_px - range_px - gap,
                    y_px,
                    VPos::Center,
                )?;
            }
        }
        let position = if base > (low + high) / 2.0 {
            SeriesLabelPosition::LowerLeft
        } else {
            SeriesLabelPosition::LowerRight
        };
        frame::legend(&mut chart, theme, &legend, position)
    }
}
