//! Pieces every chart is built from: the header (title, answer, subtitle),
//! month-by-month axes, legends and legend glyphs, and the data-to-polygon
//! helpers that keep degenerate runs (one month, all zeros) drawable.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Res;
use super::style::{Theme, Unit, palette, size};
use crate::calendar::Month;

/// Turns any plotters error into the `String` `render_all` reports.
pub fn fail<E: std::fmt::Debug>(error: E) -> String {
    format!("cannot draw the chart: {error:?}")
}

/// The text above a chart's plot.
pub struct Header {
    pub title: String,
    /// The answer to the question the chart asks, in words.
    pub answer: String,
    pub subtitle: Vec<String>,
}

/// Draws the background and header; returns the area left for the plot.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    theme: &Theme,
    header: &Header,
) -> Res<DrawingArea<DB, Shift>> {
    root.fill(&palette::BACKGROUND).map_err(fail)?;
    let margin = theme.px(size::MARGIN);
    let width = theme.width as i32 - 2 * margin;
    let mut lines = vec![
        (&header.title, theme.bold(size::TITLE, palette::INK)),
        (&header.answer, theme.bold(size::ANSWER, palette::INK)),
    ];
    for line in &header.subtitle {
        lines.push((line, theme.text(size::SUBTITLE, palette::MUTED)));
    }
    let mut y = margin;
    for (text, style) in lines {
        if text.is_empty() {
            continue;
        }
        let text = fit(root, text, &style, width);
        root.draw_text(&text, &style, (margin, y)).map_err(fail)?;
        y += line_height(&style);
    }
    let top = (y + theme.px(size::MARGIN / 2.0)).min(theme.height as i32 - 2);
    let (_, body) = root.split_vertically(top);
    Ok(body.margin(0, margin, margin, margin))
}

fn line_height(style: &TextStyle) -> i32 {
    let px = match style.font.get_size() {
        size if size.is_finite() => size,
        _ => 12.0,
    };
    (px * 1.35).round() as i32
}

/// `text`, cut short with "…" so it fits `width` pixels.
pub fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: i32,
) -> String {
    let fits = |candidate: &str| {
        area.estimate_text_size(candidate, style)
            .map(|(w, _)| w as i32 <= width)
            .unwrap_or(true)
    };
    if fits(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut low, mut high) = (0, chars.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if fits(&candidate) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    chars[..low]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string()
        + "…"
}

pub fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> i32 {
    area.estimate_text_size(text, style)
        .map(|(w, _)| w as i32)
        .unwrap_or(0)
}

const MONTH_STEPS: [usize; 7] = [1, 2, 3, 6, 12, 24, 60];

pub type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// An axis: its range, what it counts and what it is called.
pub struct Axis {
    pub range: Range<f64>,
    pub unit: Unit,
    pub label: String,
}

/// How the horizontal axis is labelled.
pub enum XTicks {
    /// Month indices from `start`, labelled "Oct 26".
    Months(Month),
    /// Values in a unit.
    Values,
}

/// A chart with a grid, tick labels in `x`'s and `y`'s units and axis titles.
pub fn axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    theme: &Theme,
    x: &Axis,
    ticks: XTicks,
    y: &Axis,
) -> Res<Chart2d<'a, DB>> {
    let y_area = y_label_area(area, theme, y);
    axes_aligned(area, theme, x, ticks, y, y_area)
}

/// The width `y`'s tick labels and title take beside the plot.
pub fn y_label_area<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: &Theme,
    y: &Axis,
) -> i32 {
    let tick_style = theme.text(size::TICK, palette::INK);
    let y_span = y.range.end - y.range.start;
    let widest_tick = [
        y.range.start,
        y.range.end,
        (y.range.start + y.range.end) / 2.0,
    ]
    .iter()
    .map(|v| text_width(area, &y.unit.tick(*v, y_span), &tick_style))
    .max()
    .unwrap_or(0);
    let desc_px = theme.px(size::AXIS);
    widest_tick + theme.px(14.0) + if y.label.is_empty() { 0 } else { desc_px * 2 }
}

/// [`axes`] with a given width for `y`'s labels, so that charts stacked
/// one above the other share their months' positions.
pub fn axes_aligned<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    theme: &Theme,
    x: &Axis,
    ticks: XTicks,
    y: &Axis,
    y_area: i32,
) -> Res<Chart2d<'a, DB>> {
    let tick_style = theme.text(size::TICK, palette::INK);
    let desc_style = theme.text(size::AXIS, palette::MUTED);
    let y_span = y.range.end - y.range.start;
    let x_span = x.range.end - x.range.start;
    let tick_px = theme.px(size::TICK);
    let desc_px = theme.px(size::AXIS);
    let x_area = tick_px * 2 + if x.label.is_empty() { 0 } else { desc_px * 2 };
    let mut chart = ChartBuilder::on(area)
        .margin_top(theme.px(10.0))
        .margin_right(theme.px(10.0))
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x.range.clone(), y.range.clone())
        .map_err(fail)?;

    let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
    // A label needs about five tick-font characters of room.
    let room = (plot_w as i32 / (tick_px * 5).max(1)).max(2) as usize;
    let months = x_span.round().max(1.0) as usize;
    // Calendar steps (every 1, 2, 3, 6 or 12 months) rather than plotters'
    // decimal ones, which would label every fifth month.
    let step = MONTH_STEPS
        .iter()
        .copied()
        .find(|step| months.div_ceil(*step) <= room)
        .unwrap_or_else(|| months.div_ceil(room).max(1));
    let x_label = |value: &f64| match &ticks {
        XTicks::Months(start) => {
            let index = value.round();
            let on_month = (value - index).abs() < 1e-6 && index.abs() < 10_000.0;
            if on_month && (index as i64).rem_euclid(step as i64) == 0 {
                start.plus(index as i32).short()
            } else {
                String::new()
            }
        }
        XTicks::Values => x.unit.tick(*value, x_span),
    };
    let y_label = |v: &f64| y.unit.tick(*v, y_span);
    // Month axes get a key point on every month (labelled or not).
    let wanted = match ticks {
        XTicks::Months(_) => months + 1,
        XTicks::Values => room.min(8),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(wanted)
        // A short panel gets fewer labels than a full-height chart.
        .y_labels(
            (theme.height as usize / 110)
                .min(plot_h as usize / 25)
                .clamp(3, 10),
        )
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x.label.as_str())
        .y_desc(y.label.as_str())
        .label_style(tick_style.clone())
        .axis_desc_style(desc_style)
        .axis_style(palette::AXIS)
        .bold_line_style(palette::GRID)
        .max_light_lines(0)
        .set_all_tick_mark_size(theme.px(6.0))
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

/// Draws the series labels as a boxed legend.
pub fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    theme: &Theme,
    position: SeriesLabelPosition,
) -> Res {
    chart
        .configure_series_labels()
        .position(position)
        .margin(theme.px(14.0))
        .legend_area_size(theme.px(40.0))
        .label_font(theme.text(size::LEGEND, palette::INK))
        .background_style(palette::BACKGROUND.mix(0.9))
        .border_style(palette::AXIS)
        .draw()
        .map_err(fail)
}

/// Legend glyphs: `(x, y)` is the left middle of the glyph area.
pub mod glyph {
    /// A pixel position, as plotters backends take it.
    type BackendCoord = (i32, i32);
    use plotters::prelude::*;

    pub fn swatch(
        colour: RGBColor,
        theme: &super::Theme,
    ) -> impl Fn(BackendCoord) -> Rectangle<BackendCoord> + use<> {
        let (w, h) = (theme.px(28.0), theme.px(9.0));
        move |(x, y)| Rectangle::new([(x, y - h), (x + w, y + h)], colour.filled())
    }

    pub fn line(
        colour: RGBColor,
        theme: &super::Theme,
    ) -> impl Fn(BackendCoord) -> PathElement<BackendCoord> + use<> {
        let (w, width) = (theme.px(28.0), theme.line());
        move |(x, y)| PathElement::new(vec![(x, y), (x + w, y)], colour.stroke_width(width))
    }

    pub fn thin(
        colour: RGBColor,
        theme: &super::Theme,
    ) -> impl Fn(BackendCoord) -> PathElement<BackendCoord> + use<> {
        let (w, width) = (theme.px(28.0), theme.px(2.0) as u32);
        move |(x, y)| PathElement::new(vec![(x, y), (x + w, y)], colour.stroke_width(width))
    }

    pub fn wide(
        colour: RGBColor,
        theme: &super::Theme,
    ) -> impl Fn(BackendCoord) -> PathElement<BackendCoord> + use<> {
        let (w, width) = (theme.px(28.0), theme.line() * 3);
        move |(x, y)| PathElement::new(vec![(x, y), (x + w, y)], colour.stroke_width(width))
    }

    /// A target marker: a ring, as drawn on the chart.
    pub fn ring(
        colour: RGBColor,
        theme: &super::Theme,
    ) -> impl Fn(BackendCoord) -> Circle<BackendCoord, i32> + use<> {
        let (r, width) = (theme.px(8.0), theme.line());
        let offset = theme.px(14.0);
        move |(x, y)| Circle::new((x + offset, y), r, colour.stroke_width(width))
    }

    pub fn dot(
        colour: RGBColor,
        theme: &super::Theme,
    ) -> impl Fn(BackendCoord) -> Circle<BackendCoord, i32> + use<> {
        let (r, offset) = (theme.px(7.0), theme.px(14.0));
        move |(x, y)| Circle::new((x + offset, y), r, colour.filled())
    }
}

/// A dashed straight line between two data points.
pub fn dashed<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    theme: &Theme,
    from: (f64, f64),
    to: (f64, f64),
    colour: RGBColor,
) -> Res {
    chart
        .draw_series(DashedLineSeries::new(
            [from, to],
            theme.px(12.0),
            theme.px(8.0),
            colour.stroke_width(theme.px(2.0) as u32),
        ))
        .map_err(fail)?;
    Ok(())
}

/// Text at a data point, moved by `offset` pixels and anchored by `anchor`.
pub fn note<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    at: (f64, f64),
    offset: (i32, i32),
    text: &str,
    style: TextStyle<'static>,
    anchor: (HPos, VPos),
) -> Res {
    let style = style.pos(Pos::new(anchor.0, anchor.1));
    chart
        .draw_series(std::iter::once(
            EmptyElement::at(at) + Text::new(text.to_string(), offset, style),
        ))
        .map_err(fail)?;
    Ok(())
}

/// Sentence case for labels built from phrases.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Data points, in chart coordinates, that a legend should not cover: the
/// lines and bands a chart draws, sampled.
#[derive(Default)]
pub struct Ink(Vec<(f64, f64)>);

/// Samples per month along a drawn series, and across a band.
const INK_STEPS: usize = 8;

impl Ink {
    /// A month-by-month series (month `t` at x = `t`), drawn as a line.
    pub fn line(&mut self, values: &[f64]) {
        for (t, pair) in values.windows(2).enumerate() {
            for step in 0..INK_STEPS {
                let f = step as f64 / INK_STEPS as f64;
                self.0
                    .push((t as f64 + f, pair[0] + (pair[1] - pair[0]) * f));
            }
        }
        if let Some(last) = values.last() {
            self.0.push(((values.len() - 1) as f64, *last));
        }
    }

    /// A band between two month-by-month series.
    pub fn band(&mut self, low: &[f64], high: &[f64]) {
        for across in 0..=INK_STEPS {
            let f = across as f64 / INK_STEPS as f64;
            let inside: Vec<f64> = low.iter().zip(high).map(|(l, h)| l + (h - l) * f).collect();
            self.line(&inside);
        }
    }

    /// A straight line, e.g. a target's dashes.
    pub fn segment(&mut self, from: (f64, f64), to: (f64, f64)) {
        let steps = 20 * INK_STEPS;
        for step in 0..=steps {
            let f = step as f64 / steps as f64;
            self.0
                .push((from.0 + (to.0 - from.0) * f, from.1 + (to.1 - from.1) * f));
        }
    }

    pub fn point(&mut self, at: (f64, f64)) {
        self.0.extend(std::iter::repeat_n(at, INK_STEPS));
    }
}

/// Draws the legend of `labels` (as given to the series, in order) in the
/// corner where it covers the least `ink`: the upper left when nothing is in
/// the way there, else the upper right, the middle of either side, or the
/// bottom. A target far above the data, say, runs its line through the
/// upper corners, and the legend moves down into the empty middle.
pub fn legend_clear_of<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    theme: &Theme,
    labels: &[String],
    ink: &Ink,
) -> Res {
    use SeriesLabelPosition::*;
    let style = theme.text(size::LEGEND, palette::INK);
    let area = chart.plotting_area();
    let (area_w, area_h) = area.dim_in_pixel();
    let (area_w, area_h) = (area_w as i32, area_h as i32);
    let (x_pixels, y_pixels) = area.get_pixel_range();
    // The box plotters draws in `legend`: the widest label beside its
    // glyph, lines 1.25 font sizes apart, a margin all round.
    let margin = theme.px(14.0);
    let font = style.font.get_size();
    let widest = labels
        .iter()
        .map(|label| style.font.box_size(label).map_or(0, |(w, _)| w as i32))
        .max()
        .unwrap_or(0);
    let (w, h) = (
        widest + theme.px(40.0) + 2 * margin,
        (labels.len().saturating_sub(1) as f64 * 1.25 * font + font) as i32 + 2 * margin,
    );
    let pixels: Vec<(i32, i32)> = ink
        .0
        .iter()
        .map(|point| {
            let (x, y) = chart.backend_coord(point);
            (x - x_pixels.start, y - y_pixels.start)
        })
        .collect();
    let covered = |position: &SeriesLabelPosition| {
        let left = match position {
            UpperLeft | MiddleLeft | LowerLeft => 5,
            _ => area_w - w - 5,
        };
        let top = match position {
            UpperLeft | UpperRight => 5,
            MiddleLeft | MiddleRight => (area_h - h) / 2,
            _ => area_h - h - 5,
        };
        pixels
            .iter()
            .filter(|(x, y)| (left..=left + w).contains(x) && (top..=top + h).contains(y))
            .count()
    };
    let candidates = [
        UpperLeft,
        UpperRight,
        MiddleLeft,
        MiddleRight,
        LowerRight,
        LowerLeft,
    ];
    // The first of the least covered: ties keep the usual upper left.
    let mut best = (usize::MAX, UpperLeft);
    for position in candidates {
        let count = covered(&position);
        if count < best.0 {
            best = (count, position);
        }
    }
    legend(chart, theme, best.1)
}
