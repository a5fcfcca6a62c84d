//! Pieces every chart is built from: the header (title, answer, subtitle),
//! month-by-month axes, legends and legend glyphs, and the data-to-polygon
//! helpers that keep degenerate runs (one month, all zeros) drawable.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
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

/// Share of the picture's height the header may take before its type is
/// made smaller: at small sizes the plot keeps most of the room.
const HEADER_SHARE: f64 = 0.4;

/// Draws the background and header; returns the area left for the plot.
/// Lines too long for the width wrap onto a second line; when the header
/// would then take too much of the height, it is set in smaller type.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    theme: &Theme,
    header: &Header,
) -> DrawResult<DrawingArea<DB, Shift>> {
    root.fill(&palette::BACKGROUND).map_err(fail)?;
    let margin = theme.px(size::MARGIN);
    let width = theme.width as i32 - 2 * margin;
    let budget = (theme.height as f64 * HEADER_SHARE) as i32;
    let lay_out = |scale: f64| -> Vec<Fitted> {
        let mut lines = vec![
            (&header.title, theme.bold(size::TITLE * scale, palette::INK)),
            (
                &header.answer,
                theme.bold(size::ANSWER * scale, palette::INK),
            ),
        ];
        for line in &header.subtitle {
            lines.push((line, theme.text(size::SUBTITLE * scale, palette::MUTED)));
        }
        lines
            .into_iter()
            .filter(|(text, _)| !text.is_empty())
            .map(|(text, style)| fit(text, &style, width, 2))
            .collect()
    };
    let mut scale = 1.0;
    let mut fitted = lay_out(scale);
    while fitted.iter().map(Fitted::height).sum::<i32>() > budget
        && fitted
            .iter()
            .any(|f| f.style.font.get_size() > super::style::SMALLEST_TEXT_PX)
    {
        scale *= 0.9;
        fitted = lay_out(scale);
    }
    let mut y = margin;
    for text in &fitted {
        for line in &text.lines {
            root.draw_text(line, &text.style, (margin, y))
                .map_err(fail)?;
            y += line_height(&text.style);
        }
    }
    let top = (y + theme.px(size::MARGIN / 2.0)).min(theme.height as i32 - 2);
    let (_, body) = root.split_vertically(top);
    Ok(body.margin(0, margin, margin, margin))
}

pub fn line_height(style: &TextStyle) -> i32 {
    let px = match style.font.get_size() {
        size if size.is_finite() => size,
        _ => 12.0,
    };
    (px * 1.35).round() as i32
}

/// The smallest type, in pixels, that text is shrunk to before it takes
/// more lines than it was given.
pub const SMALLEST_FONT_PX: f64 = 6.0;

/// Text laid out to fit a width: its lines, and the style to draw them in.
pub struct Fitted {
    pub lines: Vec<String>,
    pub style: TextStyle<'static>,
}

impl Fitted {
    /// The height the lines take, one [`line_height`] each.
    pub fn height(&self) -> i32 {
        self.lines.len() as i32 * line_height(&self.style)
    }
}

/// `style` at `px` pixels.
pub fn resized(style: &TextStyle<'static>, px: f64) -> TextStyle<'static> {
    TextStyle {
        font: style.font.resize(px),
        ..style.clone()
    }
}

/// `text` laid out so that every line fits `width` pixels, and never cut:
/// wrapped between words onto at most `max_lines` lines; when that is not
/// enough, in smaller type, down to [`SMALLEST_FONT_PX`]; and at that size
/// on as many lines as it takes (a single word wider than `width` is split).
pub fn fit(text: &str, style: &TextStyle<'static>, width: i32, max_lines: usize) -> Fitted {
    let mut px = style.font.get_size();
    loop {
        let style = resized(style, px);
        let lines = wrap(text, &style, width);
        let smallest = px <= SMALLEST_FONT_PX || !px.is_finite();
        if lines.len() <= max_lines.max(1) || smallest {
            return Fitted { lines, style };
        }
        px = (px * 0.92).max(SMALLEST_FONT_PX);
    }
}

/// Draws fitted lines one under the other, the first with its top at `at`,
/// aligned on `at`'s x by `align`.
pub fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &Fitted,
    at: (i32, i32),
    align: HPos,
) -> DrawResult {
    let style = text.style.pos(Pos::new(align, VPos::Top));
    let step = line_height(&text.style);
    for (i, line) in text.lines.iter().enumerate() {
        area.draw_text(line, &style, (at.0, at.1 + i as i32 * step))
            .map_err(fail)?;
    }
    Ok(())
}

/// The width in pixels of `text` in `style`.
pub fn width_of(text: &str, style: &TextStyle) -> i32 {
    style.font.box_size(text).map_or(0, |(w, _)| w as i32)
}

/// `text` broken between words into lines no wider than `width`; a word
/// wider than that on its own is split where it must be. A " · " separator
/// falling at a break is dropped: the line break separates.
pub fn wrap(text: &str, style: &TextStyle, width: i32) -> Vec<String> {
    let fits = |candidate: &str| width_of(candidate, style) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest: Vec<char> = word.chars().collect();
        while rest.len() > 1 && !fits(&rest.iter().collect::<String>()) {
            let mut take = rest.len() - 1;
            while take > 1 && !fits(&rest[..take].iter().collect::<String>()) {
                take -= 1;
            }
            lines.push(rest[..take].iter().collect());
            rest.drain(..take);
        }
        line = rest.into_iter().collect();
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    let mut tidy: Vec<String> = Vec::new();
    for line in lines {
        let line = line.strip_prefix("· ").unwrap_or(&line);
        let line = line.strip_suffix(" ·").unwrap_or(line);
        if line != "·" {
            tidy.push(line.to_string());
        }
    }
    if tidy.is_empty() {
        tidy.push(String::new());
    }
    tidy
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
) -> DrawResult<Chart2d<'a, DB>> {
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
    widest_tick + theme.px(14.0) + title_depth(theme, y_title(area, theme, &y.label).as_ref())
}

/// Room across an axis title: its lines and some air, or nothing.
pub fn title_depth(theme: &Theme, title: Option<&Fitted>) -> i32 {
    match title {
        Some(title) => {
            let air = theme.px(size::AXIS) * 2 - line_height(&title.style);
            title.height() + air.max(theme.px(4.0))
        }
        None => 0,
    }
}

/// The vertical axis's title, upright along the plot's height (an estimate:
/// the area less the room the horizontal axis takes).
pub fn y_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: &Theme,
    label: &str,
) -> Option<Fitted> {
    if label.is_empty() {
        return None;
    }
    let (_, height) = area.dim_in_pixel();
    let room = height as i32 - theme.px(10.0) - theme.px(size::TICK) * 2 - theme.px(size::AXIS) * 2;
    Some(fit(
        label,
        &theme.text(size::AXIS, palette::MUTED),
        room.max(1),
        1,
    ))
}

/// The horizontal axis's title, under the plot's width.
pub fn x_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: &Theme,
    label: &str,
    y_area: i32,
    margin_right: i32,
) -> Option<Fitted> {
    if label.is_empty() {
        return None;
    }
    let (width, _) = area.dim_in_pixel();
    let room = width as i32 - y_area - margin_right;
    Some(fit(
        label,
        &theme.text(size::AXIS, palette::MUTED),
        room.max(1),
        2,
    ))
}

/// Draws axis titles beside a laid-out chart: the horizontal one centred
/// under the tick labels, the vertical one upright at the area's left edge.
/// Drawn here rather than by plotters so that they wrap or shrink to fit.
pub fn axis_titles<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart2d<'_, DB>,
    x_title: Option<&Fitted>,
    y_title: Option<&Fitted>,
) -> DrawResult {
    let (area_x, area_y) = area.get_pixel_range();
    let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
    if let Some(title) = x_title {
        let centre = (plot_x.start + plot_x.end) / 2 - area_x.start;
        let step = line_height(&title.style);
        let bottom = area_y.end - area_y.start;
        let style = title.style.pos(Pos::new(HPos::Center, VPos::Bottom));
        let count = title.lines.len() as i32;
        for (i, line) in title.lines.iter().enumerate() {
            let y = bottom - (count - 1 - i as i32) * step;
            area.draw_text(line, &style, (centre, y)).map_err(fail)?;
        }
    }
    if let Some(title) = y_title {
        let middle = (plot_y.start + plot_y.end) / 2 - area_y.start;
        let step = line_height(&title.style);
        let style = title
            .style
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, line) in title.lines.iter().enumerate() {
            area.draw_text(line, &style, (i as i32 * step, middle))
                .map_err(fail)?;
        }
    }
    Ok(())
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
) -> DrawResult<Chart2d<'a, DB>> {
    let mut chart = layout(area, theme, x, y, y_area)?;
    mesh(&mut chart, theme, x, ticks, y)?;
    let margin_right = theme.px(10.0);
    axis_titles(
        area,
        &chart,
        x_title(area, theme, &x.label, y_area, margin_right).as_ref(),
        y_title(area, theme, &y.label).as_ref(),
    )?;
    Ok(chart)
}

/// The chart's geometry, nothing drawn yet: where the data will fall.
pub fn layout<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    theme: &Theme,
    x: &Axis,
    y: &Axis,
    y_area: i32,
) -> DrawResult<Chart2d<'a, DB>> {
    let margin_right = theme.px(10.0);
    let title = x_title(area, theme, &x.label, y_area, margin_right);
    let x_area = theme.px(size::TICK) * 2 + title_depth(theme, title.as_ref());
    ChartBuilder::on(area)
        .margin_top(theme.px(10.0))
        .margin_right(margin_right)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x.range.clone(), y.range.clone())
        .map_err(fail)
}

/// Draws the grid, axes and tick labels of a laid-out chart.
fn mesh<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    theme: &Theme,
    x: &Axis,
    ticks: XTicks,
    y: &Axis,
) -> DrawResult {
    let tick_style = theme.text(size::TICK, palette::INK);
    let y_span = y.range.end - y.range.start;
    let x_span = x.range.end - x.range.start;
    let tick_px = theme.px(size::TICK);
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
        .label_style(tick_style.clone())
        .axis_style(palette::AXIS)
        .bold_line_style(palette::GRID)
        .max_light_lines(0)
        .set_all_tick_mark_size(theme.px(6.0))
        .draw()
        .map_err(fail)
}

/// A legend entry's glyph, as drawn on the chart.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    Swatch(RGBColor),
    Line(RGBColor),
    Thin(RGBColor),
    Wide(RGBColor),
    Ring(RGBColor),
    Dot(RGBColor),
}

/// A chart's legend: labels and their glyphs, in order. Charts collect it
/// while drawing and hand it to [`legend`] or [`legend_clear_of`], which
/// wrap the labels to the plot's width.
#[derive(Default)]
pub struct Legend(Vec<(String, Key)>);

impl Legend {
    pub fn add(&mut self, label: impl Into<String>, key: Key) {
        self.0.push((label.into(), key));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A legend laid out for a plot: its lines (a glyph on each entry's first),
/// their type, and the box they make.
struct LegendBox {
    lines: Vec<(String, Option<Key>)>,
    style: TextStyle<'static>,
    width: i32,
    height: i32,
}

/// Space plotters leaves between the plot's edge and a legend in a corner.
const LEGEND_INSET: i32 = 5;

/// `legend` laid out to fit a plot `plot_width` pixels wide: every label on
/// at most two lines in one shared type size, smaller type if need be.
fn lay_out_legend(theme: &Theme, legend: &Legend, plot_width: i32) -> LegendBox {
    let style = theme.text(size::LEGEND, palette::INK);
    let margin = theme.px(14.0);
    let room = (plot_width - theme.px(40.0) - 2 * margin - 2 * LEGEND_INSET).max(1);
    let px = legend
        .0
        .iter()
        .map(|(label, _)| fit(label, &style, room, 2).style.font.get_size())
        .fold(style.font.get_size(), f64::min);
    let style = resized(&style, px);
    let mut lines = Vec::new();
    for (label, key) in &legend.0 {
        for (i, line) in wrap(label, &style, room).into_iter().enumerate() {
            lines.push((line, (i == 0).then_some(*key)));
        }
    }
    let widest = lines
        .iter()
        .map(|(line, _)| width_of(line, &style))
        .max()
        .unwrap_or(0);
    LegendBox {
        width: widest + theme.px(40.0) + 2 * margin,
        height: (lines.len().saturating_sub(1) as f64 * 1.25 * px + px) as i32 + 2 * margin,
        lines,
        style,
    }
}

/// Draws a laid-out legend on `chart` at `position`: each line becomes an
/// empty series carrying the label (and its glyph on an entry's first line).
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    theme: &Theme,
    laid_out: LegendBox,
    position: SeriesLabelPosition,
) -> DrawResult {
    if laid_out.lines.is_empty() {
        return Ok(());
    }
    for (line, key) in laid_out.lines {
        let anno = chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(fail)?;
        anno.label(line);
        match key {
            Some(Key::Swatch(c)) => anno.legend(glyph::swatch(c, theme)),
            Some(Key::Line(c)) => anno.legend(glyph::line(c, theme)),
            Some(Key::Thin(c)) => anno.legend(glyph::thin(c, theme)),
            Some(Key::Wide(c)) => anno.legend(glyph::wide(c, theme)),
            Some(Key::Ring(c)) => anno.legend(glyph::ring(c, theme)),
            Some(Key::Dot(c)) => anno.legend(glyph::dot(c, theme)),
            None => anno,
        };
    }
    chart
        .configure_series_labels()
        .position(position)
        .margin(theme.px(14.0))
        .legend_area_size(theme.px(40.0))
        .label_font(laid_out.style)
        .background_style(palette::BACKGROUND.mix(0.9))
        .border_style(palette::AXIS)
        .draw()
        .map_err(fail)
}

/// Draws `legend` as a box in the plot at `position`.
pub fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    theme: &Theme,
    legend: &Legend,
    position: SeriesLabelPosition,
) -> DrawResult {
    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let laid_out = lay_out_legend(theme, legend, plot_width as i32);
    draw_legend(chart, theme, laid_out, position)
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
) -> DrawResult {
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
) -> DrawResult {
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

/// The corners and sides a legend may take, in order of preference.
const LEGEND_PLACES: [SeriesLabelPosition; 6] = [
    SeriesLabelPosition::UpperLeft,
    SeriesLabelPosition::UpperRight,
    SeriesLabelPosition::MiddleLeft,
    SeriesLabelPosition::MiddleRight,
    SeriesLabelPosition::LowerRight,
    SeriesLabelPosition::LowerLeft,
];

/// The place of [`LEGEND_PLACES`] where a `laid_out` legend covers the
/// least `ink` (the first of the least covered), and how much it covers.
fn clearest<DB: DrawingBackend>(
    chart: &Chart2d<'_, DB>,
    laid_out: &LegendBox,
    ink: &Ink,
) -> (SeriesLabelPosition, usize) {
    use SeriesLabelPosition::*;
    let area = chart.plotting_area();
    let (area_w, area_h) = area.dim_in_pixel();
    let (area_w, area_h) = (area_w as i32, area_h as i32);
    let (x_pixels, y_pixels) = area.get_pixel_range();
    let (w, h) = (laid_out.width, laid_out.height);
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
            UpperLeft | MiddleLeft | LowerLeft => LEGEND_INSET,
            _ => area_w - w - LEGEND_INSET,
        };
        let top = match position {
            UpperLeft | UpperRight => LEGEND_INSET,
            MiddleLeft | MiddleRight => (area_h - h) / 2,
            _ => area_h - h - LEGEND_INSET,
        };
        pixels
            .iter()
            .filter(|(x, y)| (left..=left + w).contains(x) && (top..=top + h).contains(y))
            .count()
    };
    let mut best = (UpperLeft, usize::MAX);
    for position in LEGEND_PLACES {
        let count = covered(&position);
        if count < best.1 {
            best = (position, count);
        }
    }
    best
}

/// Draws `legend` in the corner where it covers the least `ink`: the upper
/// left when nothing is in the way there, else the upper right, the middle
/// of either side, or the bottom. A target far above the data, say, runs
/// its line through the upper corners, and the legend moves down into the
/// empty middle. (When no place is free, [`legend_band`] decides beforehand
/// to put the legend above the plot instead.)
pub fn legend_clear_of<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    theme: &Theme,
    legend: &Legend,
    ink: &Ink,
) -> DrawResult {
    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let laid_out = lay_out_legend(theme, legend, plot_width as i32);
    let (position, _) = clearest(chart, &laid_out, ink);
    draw_legend(chart, theme, laid_out, position)
}

/// Most of the plot's height a legend band above it may take; a taller
/// legend stays inside, in the clearest place.
const BAND_SHARE: f64 = 0.45;

/// `legend` in two columns (one when it has a single entry): a legend band
/// above the plot spends its width to save height.
fn columns(legend: &Legend) -> Vec<Legend> {
    let half = legend.0.len().div_ceil(2).max(1);
    legend.0.chunks(half).map(|c| Legend(c.to_vec())).collect()
}

/// The height of a band above the plot for `legend` when every place inside
/// the plot (laid out on `area` with `x`, `y`, `y_area`) would cover some
/// `ink`; `None` when a place is free (or the band would take too much).
pub fn legend_band<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    theme: &Theme,
    x: &Axis,
    y: &Axis,
    y_area: i32,
    legend: &Legend,
    ink: &Ink,
) -> DrawResult<Option<i32>> {
    let probe = layout(area, theme, x, y, y_area)?;
    let (plot_width, plot_height) = probe.plotting_area().dim_in_pixel();
    let inside = lay_out_legend(theme, legend, plot_width as i32);
    let (_, covered) = clearest(&probe, &inside, ink);
    let parts = columns(legend);
    let column_width = plot_width as i32 / parts.len() as i32;
    let band = parts
        .iter()
        .map(|part| lay_out_legend(theme, part, column_width).height)
        .max()
        .unwrap_or(0)
        + 2 * LEGEND_INSET;
    Ok((covered > 0 && f64::from(band) <= BAND_SHARE * f64::from(plot_height)).then_some(band))
}

/// Draws `legend` in `band`, a strip above a plot whose vertical axis
/// takes `y_area` pixels, in columns that line up with the plot.
pub fn legend_above<DB: DrawingBackend>(
    band: &DrawingArea<DB, Shift>,
    theme: &Theme,
    y_area: i32,
    legend: &Legend,
) -> DrawResult {
    let (band_width, _) = band.dim_in_pixel();
    let margin_right = theme.px(10.0);
    let inner = band.margin(0, 0, y_area, margin_right);
    let parts = columns(legend);
    let column_width = (band_width as i32 - y_area - margin_right) / parts.len() as i32;
    let mut rest = inner;
    for part in &parts {
        let (column, after) = rest.split_horizontally(column_width);
        let mut chart = ChartBuilder::on(&column)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(fail)?;
        let laid_out = lay_out_legend(theme, part, column_width);
        draw_legend(&mut chart, theme, laid_out, SeriesLabelPosition::UpperLeft)?;
        rest = after;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_wraps_then_shrinks_and_never_cuts() {
        let theme = super::super::prepare(&super::super::ChartOptions::default()).expect("fonts");
        let style = theme.text(size::SUBTITLE, palette::INK);
        let text = "Global API: 15% first order, 8.0% recurring, $50 payout minimum · 3 content sources · 2,000 paths, seed 2026";
        let full = width_of(text, &style);
        // Room for the whole line: one line, as it was.
        let one = fit(text, &style, full, 2);
        assert_eq!(one.lines, vec![text.to_string()]);
        // Room for about half: two lines, same size, every word kept; the
        // separator at the break goes.
        let two = fit(text, &style, full * 6 / 10, 2);
        assert_eq!(two.lines.len(), 2);
        assert_eq!(two.style.font.get_size(), style.font.get_size());
        assert_eq!(
            two.lines.join(" ").replace(" · ", " ").split(' ').count(),
            text.replace(" · ", " ").split(' ').count()
        );
        // Room for a third: smaller type on at most two lines.
        let small = fit(text, &style, full * 4 / 10, 2);
        assert!(small.lines.len() <= 2);
        assert!(small.style.font.get_size() < style.font.get_size());
        // A word wider than any room is split, never cut.
        let word = "content[0].subscriber_growth_with_a_very_long_key_name";
        let split = fit(word, &style, 40, 1);
        assert_eq!(split.lines.concat(), word);
        for fitted in [&one, &two, &small, &split] {
            for line in &fitted.lines {
                assert!(!line.contains('…'));
            }
        }
        for line in &split.lines {
            assert!(width_of(line, &split.style) <= 40 || line.chars().count() == 1);
        }
    }
}
