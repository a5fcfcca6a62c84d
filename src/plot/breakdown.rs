//! breakdown.png: where the money comes from, month by month, by content
//! source and by kind of commission, on one shared scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{self, Axis, Header, Key, XTicks, fail};
use super::style::{Unit, palette, size};
use super::{Chart, ChartData, DrawResult, clean, month_range, value_range};
use crate::engine::{SOURCE_SERIES, SourceSeries};
use crate::format::percent;
use crate::model::Metric;

pub struct Breakdown;

/// One stacked series: legend label, colour, mean per month.
struct Layer {
    label: String,
    colour: RGBColor,
    values: Vec<f64>,
}

/// Half the width of a month's bar, in months.
const BAR_HALF_WIDTH: f64 = 0.36;

/// Mean commission per month by content source, the largest first; sources
/// beyond the palette are pooled as "other".
fn by_source(ctx: &ChartData) -> Vec<Layer> {
    let months = ctx.model.months;
    let series = |s: usize| -> Vec<f64> {
        let start = (s * SOURCE_SERIES + SourceSeries::Earned as usize) * months;
        ctx.mean_by_source().get(start..start + months).map_or_else(
            || vec![0.0; months],
            |v| v.iter().map(|x| clean(*x)).collect(),
        )
    };
    let mut sources: Vec<(String, Vec<f64>)> = ctx
        .model
        .sources
        .iter()
        .enumerate()
        .map(|(s, source)| (source.name.clone(), series(s)))
        .collect();
    sources.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    let room = palette::SERIES.len();
    let mut layers: Vec<Layer> = Vec::new();
    let pooled = sources.len().saturating_sub(room - 1);
    for (i, (name, values)) in sources.into_iter().enumerate() {
        if pooled > 1 && i >= room - 1 {
            let other = layers.last_mut().filter(|l| l.colour == palette::OTHER);
            match other {
                Some(layer) => layer
                    .values
                    .iter_mut()
                    .zip(&values)
                    .for_each(|(a, b)| *a += b),
                None => layers.push(Layer {
                    label: format!("{pooled} other sources"),
                    colour: palette::OTHER,
                    values,
                }),
            }
        } else {
            layers.push(Layer {
                label: name,
                colour: palette::SERIES[i],
                values,
            });
        }
    }
    layers
}

/// Mean commission per month by kind; clawbacks are negative.
fn by_kind(ctx: &ChartData) -> Vec<Layer> {
    Metric::KINDS
        .iter()
        .map(|kind| {
            let (label, colour) = match kind {
                Metric::FirstOrder => ("first orders", palette::ORANGE),
                Metric::Recurring => ("recurring (renewals)", palette::BLUE),
                Metric::Upgrade => ("upgrades", palette::GREEN),
                Metric::Bounty => ("bounties", palette::YELLOW),
                Metric::Clawback => ("clawbacks (refunds)", palette::VERMILLION),
                Metric::Visits
                | Metric::Clicks
                | Metric::Signups
                | Metric::NewReferrals
                | Metric::ActiveReferrals
                | Metric::Mrr
                | Metric::Earned
                | Metric::CumulativeEarned
                | Metric::Paid
                | Metric::CumulativePaid => unreachable!("{kind:?} is not a commission kind"),
            };
            Layer {
                label: label.into(),
                colour,
                values: (0..ctx.model.months)
                    .map(|t| clean(ctx.mean(*kind, t)))
                    .collect(),
            }
        })
        .collect()
}

/// Month by month, the top and bottom of the positive and negative stacks.
fn extent(layers: &[Layer], months: usize) -> impl Iterator<Item = f64> + '_ {
    (0..months).flat_map(move |t| {
        let (mut up, mut down) = (0.0, 0.0);
        for layer in layers {
            let v = layer.values[t];
            if v >= 0.0 {
                up += v;
            } else {
                down += v;
            }
        }
        [up, down]
    })
}

/// One panel: a title and stacked bars, positives up and negatives down.
fn panel<DB: DrawingBackend>(
    ctx: &ChartData,
    area: &DrawingArea<DB, Shift>,
    title: &str,
    layers: &[Layer],
    y: &Axis,
) -> DrawResult {
    let theme = &ctx.theme;
    let style = theme.bold(size::AXIS, palette::INK);
    let (width, _) = area.dim_in_pixel();
    let title = frame::fit(title, &style, width as i32, 2);
    let mut top = 0;
    for line in &title.lines {
        area.draw_text(line, &title.style, (0, top)).map_err(fail)?;
        top += frame::line_height(&title.style);
    }
    let gap = theme.px(size::AXIS * 1.6) - frame::line_height(&style);
    let (_, body) = area.split_vertically(top + gap.max(0));
    let x = Axis {
        range: month_range(0.0, ctx.model.months),
        unit: Unit::Count,
        label: String::new(),
    };
    let mut chart = frame::axes(&body, theme, &x, XTicks::Months(ctx.model.start), y)?;
    let mut up = vec![0.0; ctx.model.months];
    let mut down = vec![0.0; ctx.model.months];
    let mut legend = frame::Legend::default();
    for layer in layers {
        let bars: Vec<Rectangle<(f64, f64)>> = layer
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(t, v)| {
                let base = if *v > 0.0 { &mut up[t] } else { &mut down[t] };
                let from = *base;
                *base += v;
                let x = t as f64;
                Rectangle::new(
                    [(x - BAR_HALF_WIDTH, from), (x + BAR_HALF_WIDTH, *base)],
                    layer.colour.filled(),
                )
            })
            .collect();
        // Kinds that never occur (no bounty in the scenario) stay out of the legend.
        if bars.is_empty() {
            continue;
        }
        chart.draw_series(bars).map_err(fail)?;
        legend.add(layer.label.as_str(), Key::Swatch(layer.colour));
    }
    if !legend.is_empty() {
        frame::legend(&mut chart, theme, &legend, SeriesLabelPosition::UpperLeft)?;
    } else {
        let middle = (y.range.start + y.range.end) / 2.0;
        frame::note(
            &mut chart,
            ((x.range.start + x.range.end) / 2.0, middle),
            (0, 0),
            "no commission in any simulated month",
            theme.text(size::NOTE, palette::MUTED),
            (
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ),
        )?;
    }
    Ok(())
}

impl Chart for Breakdown {
    const NAME: &'static str = "breakdown";

    fn draw<DB: DrawingBackend>(ctx: &ChartData, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (model, summary, theme) = (ctx.model, ctx.summary, &ctx.theme);
        let sources = by_source(ctx);
        let kinds = by_kind(ctx);

        let total: f64 = summary.by_kind.iter().map(|k| k.mean_total).sum();
        let mut answer = format!(
            "Mean total over {} month{}: {}",
            model.months,
            if model.months == 1 { "" } else { "s" },
            Unit::Money.value(total)
        );
        if total > 0.0 {
            let recurring: f64 = summary
                .by_kind
                .iter()
                .filter(|k| k.kind == Metric::Recurring)
                .map(|k| k.mean_total)
                .sum();
            answer += &format!(" · {} from renewals", percent((recurring / total).max(0.0)));
            if let Some(top) = summary
                .by_source
                .iter()
                .max_by(|a, b| a.share_of_earned.total_cmp(&b.share_of_earned))
            {
                answer += &format!(" · {} from “{}”", percent(top.share_of_earned), top.name);
            }
        }
        let header = Header {
            title: ctx.title("where the commission comes from (mean per month)"),
            answer,
            subtitle: ctx.subtitle(),
        };
        let body = frame::frame(root, theme, &header)?;

        // One scale for both panels: the two stacks add up to the same total.
        let y = Axis {
            range: value_range(
                extent(&sources, model.months)
                    .chain(extent(&kinds, model.months))
                    .map(|v| v * 1.1),
            ),
            unit: Unit::Money,
            label: "Mean commission per month".into(),
        };
        let (width, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(width / 2);
        let right = right.margin(0, 0, theme.px(size::MARGIN), 0);
        panel(ctx, &left, "By content source", &sources, &y)?;
        panel(ctx, &right, "By kind of commission", &kinds, &y)
    }
}
