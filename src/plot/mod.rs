//! Charts: shareable PNG (and SVG) pictures of a run.
//!
//! Each chart is a [`Chart`] that draws on any plotters backend, so the PNG
//! and SVG copies come from the same code. Text uses the DejaVu Sans font
//! embedded in the binary: charts render the same on a machine without fonts.

pub mod breakdown;
pub mod cumulative;
pub mod fan;
pub mod frame;
pub mod strategy;
pub mod style;
pub mod target;

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use rayon::prelude::*;

use crate::format;
use crate::model::{Metric, Model, Param};
use crate::report::{Summary, TargetReport};
use crate::sim::Queries;
use crate::sim::Simulation;
use crate::stats::Band;
use frame::fail;
use style::Theme;

pub type DrawResult<T = ()> = Result<T, String>;

/// Chart options from the command line.
#[derive(Clone, Copy, Debug)]
pub struct ChartOptions {
    pub width: u32,
    pub height: u32,
    pub svg: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            width: 1600,
            height: 900,
            svg: false,
        }
    }
}

/// Everything a chart may draw from. A chart reads a run's paths only
/// through [`ChartData::column`] and [`ChartData::percentiles`], which refuse what the
/// chart did not declare in [`Chart::queries`], whether the paths are kept
/// in memory or streamed (where only declared answers exist): a missing
/// declaration fails the chart tests in both modes alike.
pub struct ChartData<'a> {
    pub model: &'a Model,
    pub summary: &'a Summary,
    pub theme: Theme,
    sim: &'a Simulation,
    /// What the charts declared they read besides the bands and the means.
    declared: Queries,
    /// Bands of the metrics the charts draw besides the headline (the
    /// cumulative pair, and the fan panel's observed metric), gathered once
    /// for every chart and for both the PNG and the SVG copy.
    bands: Vec<(Metric, Vec<Band>)>,
}

impl<'a> ChartData<'a> {
    pub fn new(
        model: &'a Model,
        sim: &'a Simulation,
        summary: &'a Summary,
        theme: Theme,
        declared: Queries,
        known: &[(Metric, Vec<Band>)],
    ) -> Self {
        let mut metrics = vec![Metric::CumulativeEarned, Metric::CumulativePaid];
        metrics.extend(fan::panel_metric(model).filter(|m| !metrics.contains(m)));
        // Bands the caller has already gathered are taken as they are.
        let (mut bands, mut missing) = (Vec::new(), Vec::new());
        for metric in metrics {
            match known.iter().find(|(m, _)| *m == metric) {
                Some(found) => bands.push(found.clone()),
                None => missing.push(metric),
            }
        }
        if !missing.is_empty() {
            bands.extend(crate::stats::bands(model, sim, &missing));
        }
        ChartData {
            model,
            summary,
            theme,
            sim,
            declared,
            bands,
        }
    }

    /// A metric's bands month by month (computed here if `new` did not).
    pub fn bands_of(&self, metric: Metric) -> Vec<Band> {
        match self.bands.iter().find(|(m, _)| *m == metric) {
            Some((_, bands)) => bands.clone(),
            None => crate::stats::bands(self.model, self.sim, &[metric])
                .pop()
                .map(|(_, bands)| bands)
                .unwrap_or_default(),
        }
    }

    /// Paths simulated.
    pub fn paths(&self) -> usize {
        self.sim.paths
    }

    pub fn seed(&self) -> u64 {
        self.sim.seed
    }

    /// A metric's (weighted) mean in a month.
    pub fn mean(&self, metric: Metric, month: usize) -> f64 {
        self.sim.mean(metric, month)
    }

    /// Mean series by source (see `Simulation::mean_by_source`).
    pub fn mean_by_source(&self) -> &[f64] {
        &self.sim.mean_by_source
    }

    /// One month's values of a metric, path by path, with each path's
    /// weight: the paths weighted statistics keep. Declared in
    /// `Chart::queries` as a column.
    pub fn column(&self, metric: Metric, month: usize) -> Vec<(f64, f64)> {
        assert!(
            self.declared.columns.contains(&(metric, month)),
            "a chart read {metric:?} in month {month} path by path without declaring it in its Chart::queries"
        );
        crate::stats::kept(self.sim)
            .map(|(path, weight)| (self.sim.value(path, metric, month) as f64, weight))
            .collect()
    }

    /// Percentiles of a metric in a month (weighted when the run is
    /// calibrated). Each declared in `Chart::queries`.
    pub fn percentiles(&self, metric: Metric, month: usize, wanted: &[f64]) -> Vec<f64> {
        for p in wanted {
            assert!(
                self.declared.percentiles.contains(&(metric, month, *p)),
                "a chart read the {p}th percentile of {metric:?} in month {month} without declaring it in its Chart::queries"
            );
        }
        crate::stats::column_percentiles(self.sim, metric, month, wanted)
    }
}

/// One picture of a run.
pub trait Chart {
    /// File name without extension.
    const NAME: &'static str;
    fn draw<DB: DrawingBackend>(ctx: &ChartData, root: &DrawingArea<DB, Shift>) -> DrawResult;
    /// What the chart reads from a run besides the bands (columns path by
    /// path, other percentiles): streaming mode works out exactly these.
    fn queries(_model: &Model) -> crate::sim::Queries {
        crate::sim::Queries::default()
    }
}

/// Charts drawn: `(file name, bytes)`.
pub type Drawn = Vec<(String, Vec<u8>)>;

/// A chart in [`RUN_CHARTS`]: its name, how to draw it and what it reads.
pub struct RegisteredChart {
    pub name: &'static str,
    pub render: fn(&ChartData, &ChartOptions, &mut Drawn) -> DrawResult,
    queries: fn(&Model) -> crate::sim::Queries,
}

const fn registered<C: Chart>() -> RegisteredChart {
    RegisteredChart {
        name: C::NAME,
        render: render::<C>,
        queries: C::queries,
    }
}

/// Every chart `affsim run` draws, in this order. A new chart is a file with
/// a type implementing [`Chart`], and one line here.
pub const RUN_CHARTS: [RegisteredChart; 4] = [
    registered::<fan::Fan>(),
    // One chart per target: target.png, target-2.png, ...
    RegisteredChart {
        render: target::render_every_target,
        ..registered::<target::TargetChart>()
    },
    registered::<cumulative::Cumulative>(),
    registered::<breakdown::Breakdown>(),
];

/// What the charts read from a run besides the bands, as each declares it.
pub fn queries(model: &Model) -> crate::sim::Queries {
    let mut queries = crate::sim::Queries::default();
    for chart in &RUN_CHARTS {
        queries.add((chart.queries)(model));
    }
    queries
}

/// Renders every chart of a run as `(file name, bytes)`: `fan.png`,
/// `target.png` (and `target-2.png`, ... for further targets),
/// `cumulative.png`, `breakdown.png`, and with `options.svg`
/// an `.svg` copy of each.
pub fn render_all(
    model: &Model,
    sim: &Simulation,
    summary: &Summary,
    options: &ChartOptions,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    render_declared(model, sim, summary, options, queries(model), &[])
}

/// [`render_all`] for a run that has already gathered the bands of every
/// metric (`affsim run`): the charts take theirs from `bands`.
pub fn render_with_bands(
    model: &Model,
    sim: &Simulation,
    summary: &Summary,
    bands: &[(Metric, Vec<Band>)],
    options: &ChartOptions,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    render_declared(model, sim, summary, options, queries(model), bands)
}

/// [`render_all`] with the charts' reads limited to `declared` (the charts'
/// own declarations, or in tests a wrong one).
pub fn render_declared(
    model: &Model,
    sim: &Simulation,
    summary: &Summary,
    options: &ChartOptions,
    declared: Queries,
    known: &[(Metric, Vec<Band>)],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    if options.width < 16 || options.height < 16 {
        return Err(format!(
            "a {}x{} chart is too small to draw",
            options.width, options.height
        ));
    }
    register_fonts()?;
    let ctx = ChartData::new(
        model,
        sim,
        summary,
        Theme::new(options.width, options.height),
        declared,
        known,
    );
    // The charts are independent pictures of the same data: drawn and
    // encoded side by side, they cost about the slowest one instead of the
    // sum. `collect` keeps the order, so the output list is the same.
    let parts: Vec<DrawResult<Drawn>> = RUN_CHARTS
        .par_iter()
        .map(|chart| {
            let mut out = Vec::new();
            (chart.render)(&ctx, options, &mut out)?;
            Ok(out)
        })
        .collect();
    let mut out = Vec::new();
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Renders one chart as PNG bytes (and SVG text).
pub fn render<C: Chart>(
    ctx: &ChartData,
    options: &ChartOptions,
    out: &mut Vec<(String, Vec<u8>)>,
) -> DrawResult {
    render_picture(&RunChart::<C>(ctx, std::marker::PhantomData), options, out)
}

/// A picture drawn from its own data rather than from a run's [`ChartData`]: the
/// strategy commands run the model many times and have no single
/// `Simulation` or `Summary` to offer.
pub trait Picture {
    /// File name without extension.
    fn name(&self) -> &str;
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// A [`Chart`] of a run, as a [`Picture`].
struct RunChart<'a, 'b, C>(&'a ChartData<'b>, std::marker::PhantomData<C>);

impl<C: Chart> Picture for RunChart<'_, '_, C> {
    fn name(&self) -> &str {
        C::NAME
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        C::draw(self.0, root)
    }
}

/// Checks the picture size and loads the fonts; call before drawing
/// pictures outside [`render_all`].
pub fn prepare(options: &ChartOptions) -> DrawResult<Theme> {
    if options.width < 16 || options.height < 16 {
        return Err(format!(
            "a {}x{} chart is too small to draw",
            options.width, options.height
        ));
    }
    register_fonts()?;
    Ok(Theme::new(options.width, options.height))
}

/// Renders one picture as PNG bytes (and SVG text).
pub fn render_picture<P: Picture>(
    picture: &P,
    options: &ChartOptions,
    out: &mut Vec<(String, Vec<u8>)>,
) -> DrawResult {
    let (width, height) = (options.width, options.height);
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        picture.draw(&root)?;
        root.present().map_err(fail)?;
    }
    out.push((
        format!("{}.png", picture.name()),
        encode_png(&rgb, width, height)?,
    ));
    if options.svg {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            picture.draw(&root)?;
            root.present().map_err(fail)?;
        }
        out.push((format!("{}.svg", picture.name()), svg.into_bytes()));
    }
    Ok(())
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> DrawResult<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Charts are mostly flat colour. The fastest deflate, with a filter
    // chosen row by row, encodes a 1600x900 chart about 8x faster than the
    // best setting for files about twice as large (~200 KB); the filter
    // alone halves them (docs/PERFORMANCE.md, "Charts").
    encoder.set_compression(png::Compression::Fast);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded fonts once per process; plotters keeps a global
/// font table.
fn register_fonts() -> DrawResult {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for (style, bytes) in [(FontStyle::Normal, REGULAR), (FontStyle::Bold, BOLD)] {
            plotters::style::register_font(style::FAMILY, style, bytes)
                .map_err(|_| "the embedded chart font is unreadable".to_string())?;
        }
        Ok(())
    })
    .clone()
}

impl ChartData<'_> {
    /// "q4: recurring commission MRR, month by month".
    pub fn title(&self, what: &str) -> String {
        format!("{}: {what}", self.model.name)
    }

    /// Key assumptions and the run's size, under every title.
    pub fn subtitle(&self) -> Vec<String> {
        let model = self.model;
        let horizon = format!("{} – {}", model.start.long(), model.end().long());
        let first = match &model.description {
            Some(description) => format!("{description} · {horizon}"),
            None => horizon,
        };
        let mut second: Vec<String> = model
            .programs
            .iter()
            .map(|program| {
                let mut terms = vec![format!(
                    "{} first order",
                    self.param(program.first_order_rate, format::rate)
                )];
                if let Some((_, rate)) = program.recurring.steps.first() {
                    let mut recurring = format!("{} recurring", self.param(*rate, format::rate));
                    if let Some(limit) = program.recurring.for_renewals {
                        recurring += &format!(" for {limit} renewals");
                    }
                    terms.push(recurring);
                }
                if program.payout_minimum > 0.0 {
                    terms.push(format!(
                        "{} payout minimum",
                        format::money_whole(program.payout_minimum)
                    ));
                }
                if program.hold_days > 0 {
                    terms.push(format!("{}-day hold", program.hold_days));
                }
                format!("{}: {}", program.name, terms.join(", "))
            })
            .collect();
        second.push(plural(model.sources.len(), "content source"));
        second.push(format!(
            "{}, seed {}",
            plural(self.paths(), "path"),
            self.seed()
        ));
        vec![first, second.join(" · ")]
    }

    /// A model input as text; uncertain inputs by their median.
    fn param(&self, param: Param, show: impl Fn(f64) -> String) -> String {
        match param {
            Param::Fixed(value) => show(value),
            Param::Drawn(index) => match self.model.inputs.get(index) {
                Some(input) => format!("~{}", show(input.dist.median())),
                None => "uncertain".into(),
            },
        }
    }
}

/// "1 path", "2,000 paths".
pub fn plural(n: usize, noun: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {noun}{s}", format::count(n as f64))
}

/// "33.0% chance of ≥ $500 recurring commission MRR in Oct 2026".
pub fn chance(target: &TargetReport) -> String {
    let result = &target.result;
    format!(
        "{} chance of ≥ {} {} in {}",
        format::percent(result.in_month.value),
        style::Unit::of(result.metric).value(result.threshold),
        result.metric.phrase(),
        result.month.long()
    )
}

/// Half the width a single month gets, so one-month runs still show a shape.
const SINGLE_MONTH_HALF_WIDTH: f64 = 0.3;

/// Horizontal range for month-indexed data, with half a month of air.
pub fn month_range(first: f64, months: usize) -> Range<f64> {
    first - 0.5..months.max(1) as f64 - 0.5
}

/// A month-by-month series as points; a single month becomes a short
/// horizontal segment so it stays visible.
pub fn line(values: &[f64]) -> Vec<(f64, f64)> {
    match values {
        [only] => vec![
            (-SINGLE_MONTH_HALF_WIDTH, clean(*only)),
            (SINGLE_MONTH_HALF_WIDTH, clean(*only)),
        ],
        _ => values
            .iter()
            .enumerate()
            .map(|(t, v)| (t as f64, clean(*v)))
            .collect(),
    }
}

/// The polygon between two month-by-month series.
pub fn band(low: &[f64], high: &[f64]) -> Vec<(f64, f64)> {
    let mut points = line(high);
    points.extend(line(low).into_iter().rev());
    points
}

/// Engine output is finite, but a chart must not fail on a stray NaN.
pub fn clean(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// A vertical range showing every value and zero, with air above and below;
/// never empty, so all-zero runs still get an axis.
pub fn value_range(values: impl IntoIterator<Item = f64>) -> Range<f64> {
    let (mut low, mut high) = (0.0f64, 0.0f64);
    for value in values.into_iter().map(clean) {
        low = low.min(value);
        high = high.max(value);
    }
    let span = high - low;
    if span <= 0.0 {
        return 0.0..1.0;
    }
    // Less air below zero: negatives are small (clawbacks) and the eye
    // reads from the zero line.
    let low = if low < 0.0 { low - span * 0.03 } else { 0.0 };
    low..high + span * 0.08
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_data_still_has_shape() {
        assert_eq!(value_range([0.0, 0.0]), 0.0..1.0);
        assert_eq!(value_range([f64::NAN]), 0.0..1.0);
        let range = value_range([-10.0, 100.0]);
        assert!(range.start < -10.0 && range.end > 100.0);
        assert_eq!(line(&[5.0]).len(), 2);
        assert_eq!(band(&[1.0, 2.0], &[3.0, 4.0]).len(), 4);
    }
}
