//! cumulative.png: commission earned against cash actually paid out, so the
//! cost of the payout minimum, hold and schedule shows as the gap between them.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{self, Axis, Header, Key, XTicks, fail};
use super::style::{Unit, palette, size};
use super::{Chart, ChartData, DrawResult, band, line, month_range, value_range};
use crate::model::Metric;
use crate::stats::Band;

pub struct Cumulative;

fn pick(bands: &[Band], q: f64) -> Vec<f64> {
    bands.iter().map(|b| b.p(q)).collect()
}

impl Chart for Cumulative {
    const NAME: &'static str = "cumulative";

    fn draw<DB: DrawingBackend>(ctx: &ChartData, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (model, theme) = (ctx.model, &ctx.theme);
        let earned = ctx.bands_of(Metric::CumulativeEarned);
        let paid = ctx.bands_of(Metric::CumulativePaid);
        let first_payout = &ctx.summary.first_payout;
        let end = model.end().long();

        let medians = match (earned.last(), paid.last()) {
            (Some(e), Some(p)) => format!(
                "By {end} the median future: {} earned, {} paid out",
                Unit::Money.value(e.p(50.0)),
                Unit::Money.value(p.p(50.0))
            ),
            _ => String::new(),
        };
        let payout = match first_payout.median_month {
            Some(month) => format!(
                "half are first paid by {} {}",
                first_payout.day,
                month.long()
            ),
            None => format!(
                "only {} get any payout by {end}",
                crate::format::percent(first_payout.any.value)
            ),
        };
        let header = Header {
            title: ctx.title("commission earned vs cash paid out, cumulative"),
            answer: format!("{medians}; {payout}"),
            subtitle: ctx.subtitle(),
        };
        let body = frame::frame(root, theme, &header)?;

        let x = Axis {
            range: month_range(0.0, model.months),
            unit: Unit::Count,
            label: String::new(),
        };
        let mut range = value_range(
            earned
                .iter()
                .chain(&paid)
                .flat_map(|b| [b.p(25.0), b.p(75.0)]),
        );
        // Cash paid starts at $0 before the first payout: a sliver below
        // zero keeps its thick median line above the axis instead of
        // straddling it.
        range.start = range.start.min(-(range.end - range.start) * 0.01);
        let y = Axis {
            range,
            unit: Unit::Money,
            label: format!("Cumulative since {}", model.start.long()),
        };
        let mut chart = frame::axes(&body, theme, &x, XTicks::Months(model.start), &y)?;

        let mut legend = frame::Legend::default();
        let earned_band = palette::tint(palette::BLUE, 0.3);
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&pick(&earned, 25.0), &pick(&earned, 75.0)),
                earned_band.filled(),
            )))
            .map_err(fail)?;
        legend.add("commission earned: P25–P75", Key::Swatch(earned_band));
        // Paid often equals earned after the first payouts, so the paid band is
        // drawn as edges and its median as a wide line under the earned one:
        // where they coincide both stay visible.
        let edge = palette::PAID.stroke_width(theme.px(2.0) as u32);
        chart
            .draw_series(LineSeries::new(line(&pick(&paid, 25.0)), edge))
            .map_err(fail)?;
        legend.add(
            "cash paid out: P25–P75 (thin lines)",
            Key::Thin(palette::PAID),
        );
        chart
            .draw_series(LineSeries::new(line(&pick(&paid, 75.0)), edge))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                line(&pick(&paid, 50.0)),
                palette::PAID.stroke_width(theme.line() * 3),
            ))
            .map_err(fail)?;
        legend.add("cash paid out: median", Key::Wide(palette::PAID));
        chart
            .draw_series(LineSeries::new(
                line(&pick(&earned, 50.0)),
                palette::BLUE.stroke_width(theme.line()),
            ))
            .map_err(fail)?;
        legend.add("commission earned: median", Key::Line(palette::BLUE));

        if let Some(month) = first_payout.median_month {
            // Each month's point is its end-of-month total, so a payout on
            // day d of month t sits d/days of the way from t-1 to t.
            let at = (model.month_index(month).unwrap_or(0) as f64 - 1.0
                + f64::from(first_payout.day) / f64::from(month.days()))
            .max(x.range.start);
            // Stops below the legend; the note sits on its top end.
            let top = y.range.start + (y.range.end - y.range.start) * 0.55;
            frame::dashed(
                &mut chart,
                theme,
                (at, y.range.start),
                (at, top),
                palette::INK,
            )?;
            let left_half = (at - x.range.start) / (x.range.end - x.range.start) < 0.5;
            let (dx, anchor) = if left_half {
                (-theme.px(6.0), HPos::Left)
            } else {
                (theme.px(6.0), HPos::Right)
            };
            frame::note(
                &mut chart,
                (at, top),
                (dx, -theme.px(6.0)),
                &format!(
                    "half of futures first paid by {} {}",
                    first_payout.day,
                    month.long()
                ),
                theme.text(size::NOTE, palette::INK),
                (anchor, VPos::Bottom),
            )?;
        }
        frame::legend(&mut chart, theme, &legend, SeriesLabelPosition::UpperLeft)
    }
}
