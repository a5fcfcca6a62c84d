//! The summary as printed on the terminal: plain words first, tables after.

use std::fmt::Write;

use super::format::{self, count, money, money_or_count, percent};
use super::{Summary, input_value};
use crate::calibrate::Calibration;

pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "affsim · {}", summary.scenario);
    if let Some(description) = &summary.description {
        let _ = writeln!(w, "{}", description.trim());
    }
    let _ = writeln!(
        w,
        "{} simulated {} (paths{}), seed {}, {} to {}",
        count(summary.paths as f64),
        if summary.paths == 1 {
            "future"
        } else {
            "futures"
        },
        match summary.precision {
            Some(precision) => format!(
                ": what a ± of at most {} on the first target took",
                format::points(precision)
            ),
            None => String::new(),
        },
        summary.seed,
        summary.start.long(),
        summary.end.long()
    );
    if summary.storage.starts_with("Streaming") {
        let _ = writeln!(w, "{}", summary.storage);
    }

    if !summary.targets.is_empty() {
        let conditioned = if summary.calibration.as_ref().is_some_and(|c| c.applied) {
            "; conditioned on your observed history, see below"
        } else {
            ""
        };
        let _ = writeln!(
            w,
            "\nTargets (± is one Monte Carlo standard error{conditioned})"
        );
        for target in &summary.targets {
            let _ = writeln!(w, "  {}", target.result.label);
            for sentence in &target.sentences {
                let _ = writeln!(w, "    {sentence}");
            }
        }
    }

    if let Some(calibration) = &summary.calibration {
        calibration_section(w, calibration);
    }

    let headline = summary.headline;
    let _ = writeln!(w, "\n{} by month", capitalise(headline.phrase()));
    let _ = writeln!(w, "  ({})", summary.headline_meaning);
    let _ = writeln!(
        w,
        "  half of the futures fall between P25 and P75, four in five between P10 and P90"
    );
    let value = |v: f64| {
        if headline.is_money() {
            format::money_whole(v)
        } else {
            count(v)
        }
    };
    let rows: Vec<[String; 7]> = summary
        .headline_bands
        .iter()
        .map(|band| {
            [
                band.month.long(),
                value(band.p(10.0)),
                value(band.p(25.0)),
                value(band.p(50.0)),
                value(band.p(75.0)),
                value(band.p(90.0)),
                value(band.mean),
            ]
        })
        .collect();
    table(
        w,
        ["month", "P10", "P25", "median", "P75", "P90", "mean"],
        &rows,
    );

    let totals = &summary.totals;
    let _ = writeln!(
        w,
        "\nMoney over the whole simulation ({} to {})",
        summary.start.long(),
        summary.end.long()
    );
    let _ = writeln!(
        w,
        "  Commission earned: expected {} (± {}); median {}; 80% of futures between {} and {}.",
        money(totals.earned.value),
        money(totals.earned.standard_error),
        money(totals.earned_p50),
        money(totals.earned_p10),
        money(totals.earned_p90)
    );
    let _ = writeln!(
        w,
        "  Cash paid out: expected {}; {} earned is still unpaid at the end (below the payout minimum, on hold, or in transit).",
        money(totals.paid.value),
        money(totals.unpaid_at_end.max(0.0))
    );
    let payout = &summary.first_payout;
    match payout.median_month {
        Some(month) => {
            let whose = match payout.programs.as_slice() {
                [] => String::new(),
                [only] if payout.schedules.len() == 1 => format!(" ({only}'s payout day)"),
                names => format!(
                    " (the day {} {})",
                    names.join(" and "),
                    if names.len() == 1 { "pays" } else { "pay" }
                ),
            };
            let _ = writeln!(
                w,
                "  First payout: in half of the futures it arrives by {} {}{whose}; {} of futures are paid at least once by {}.",
                payout.day,
                month.long(),
                percent(payout.any.value),
                summary.end.long()
            );
        }
        None => {
            let _ = writeln!(
                w,
                "  First payout: fewer than half of the futures are paid anything by {} ({} are).",
                summary.end.long(),
                percent(payout.any.value)
            );
        }
    }
    for schedule in &payout.schedules {
        let hold = if schedule.lag_months > 0 {
            format!(
                "; cash arrives {} month{} after the month it is earned",
                schedule.lag_months,
                if schedule.lag_months == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            w,
            "  {} pays {} ({}){hold}.",
            schedule.program, schedule.when, schedule.schedule
        );
    }

    if !summary.by_source.is_empty() {
        let _ = writeln!(
            w,
            "\nWhere the commission comes from (expected totals over the simulation)"
        );
        let rows: Vec<[String; 6]> = summary
            .by_source
            .iter()
            .map(|source| {
                let name = if source.copies > 1 {
                    format!("{} (×{})", source.name, source.copies)
                } else {
                    source.name.clone()
                };
                [
                    name,
                    format!("{:?}", source.kind).to_lowercase(),
                    count(source.mean_visits),
                    count(source.mean_new_referrals),
                    money(source.mean_earned),
                    percent(source.share_of_earned),
                ]
            })
            .collect();
        table(
            w,
            ["content", "kind", "visits", "referrals", "earned", "share"],
            &rows,
        );
        let kinds: Vec<String> = summary
            .by_kind
            .iter()
            .filter(|k| k.mean_total.abs() > 0.005)
            .map(|k| format!("{} {}", k.kind.phrase(), money(k.mean_total)))
            .collect();
        if !kinds.is_empty() {
            let _ = writeln!(w, "  By kind: {}.", kinds.join("; "));
        }
    }

    if !summary.referral_values.is_empty() {
        let _ = writeln!(
            w,
            "\nBy plan: what one new paying referral is worth (expected commission at base rates, without upgrades),\nand how many referrals to expect over the simulation"
        );
        let rows: Vec<[String; 7]> = summary
            .referral_values
            .iter()
            .zip(&summary.by_plan)
            .map(|(value, plan)| {
                [
                    format!("{} {}", value.program, value.plan),
                    format::plan_price(value.billing, value.price),
                    money(value.first_year.value),
                    money(value.lifetime.value),
                    format!("{:.1}", value.expected_renewals),
                    format!("{:.1}", plan.mean_new_referrals),
                    format!("{:.1}", plan.mean_active_at_end),
                ]
            })
            .collect();
        table(
            w,
            [
                "plan",
                "price",
                "first 12 months",
                "lifetime (≤10 y)",
                "renewals",
                "new referrals",
                "active at end",
            ],
            &rows,
        );
    }

    if !summary.inputs.is_empty() {
        let _ = writeln!(
            w,
            "\nUncertain inputs (each future draws its own value once){}",
            if summary.calibration.as_ref().is_some_and(|c| c.applied) {
                "; as assumed, before your history"
            } else {
                ""
            }
        );
        for input in &summary.inputs {
            let _ = writeln!(
                w,
                "  {}: {} (90% between {} and {})",
                input.label,
                input_value(input.unit, input.median),
                input_value(input.unit, input.p5),
                input_value(input.unit, input.p95)
            );
        }
    }
    for note in &summary.notes {
        let _ = writeln!(w, "\nNote: {note}");
    }
    out
}

fn calibration_section(w: &mut String, calibration: &Calibration) {
    let span = if calibration.first_month == calibration.last_month {
        calibration.first_month.long()
    } else {
        format!(
            "{} to {}",
            calibration.first_month.long(),
            calibration.last_month.long()
        )
    };
    let _ = writeln!(
        w,
        "\nWhat your observed history says ({span}, from {})",
        calibration.source
    );
    for warning in &calibration.warnings {
        let _ = writeln!(w, "  WARNING: {warning}");
    }
    for sentence in &calibration.sentences {
        let _ = writeln!(w, "  {sentence}");
    }
    let rows: Vec<[String; 5]> = calibration
        .points
        .iter()
        .map(|point| {
            let value = |v: f64| money_or_count(point.metric, v);
            [
                format!("{} {}", point.month.long(), point.metric.key()),
                value(point.value),
                format!("{} to {}", value(point.prior_p1), value(point.prior_p99)),
                value(point.prior_median),
                if calibration.applied {
                    value(point.posterior_median)
                } else {
                    "-".into()
                },
            ]
        })
        .collect();
    let _ = writeln!(
        w,
        "  Observed against the scenario (98% of the assumed futures fall in the range):"
    );
    table(
        w,
        [
            "month",
            "observed",
            "assumed range",
            "assumed median",
            "now median",
        ],
        &rows,
    );
    if calibration.applied {
        let _ = writeln!(
            w,
            "  Uncertain inputs before and after your history (median, 90% interval):"
        );
        let interval = |unit, lo: f64, mid: f64, hi: f64| {
            format!(
                "{} ({} to {})",
                input_value(unit, mid),
                input_value(unit, lo),
                input_value(unit, hi)
            )
        };
        let rows: Vec<[String; 3]> = calibration
            .inputs
            .iter()
            .map(|input| {
                [
                    input.label.clone(),
                    interval(
                        input.unit,
                        input.prior_p5,
                        input.prior_median,
                        input.prior_p95,
                    ),
                    interval(
                        input.unit,
                        input.posterior_p5,
                        input.posterior_median,
                        input.posterior_p95,
                    ),
                ]
            })
            .collect();
        table(w, ["input", "assumed", "after your history"], &rows);
        let _ = writeln!(
            w,
            "  Everything below is conditioned on your history (effective sample size {} of {} futures).",
            count(calibration.effective_sample_size.floor()),
            count(calibration.paths as f64)
        );
    }
    for note in &calibration.notes {
        let _ = writeln!(w, "  Note: {note}");
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// A right-aligned table (first column left-aligned), indented two spaces.
pub fn table<const N: usize>(w: &mut String, header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    // Words line up on the left (the first column, and one like "kind"
    // whose every cell is a word), numbers on the right.
    let mut words = [false; N];
    for (i, word) in words.iter_mut().enumerate() {
        *word = i == 0
            || (!rows.is_empty()
                && rows
                    .iter()
                    .all(|row| row[i].chars().next().is_some_and(|c| c.is_alphabetic())));
    }
    let line = |w: &mut String, cells: Vec<&str>| {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i == 0 {
                text.push_str(&format!(" {cell}{}", " ".repeat(pad)));
            } else if words[i] {
                text.push_str(&format!("  {cell}{}", " ".repeat(pad)));
            } else {
                text.push_str(&format!("  {}{cell}", " ".repeat(pad)));
            }
        }
        let _ = writeln!(w, "{}", text.trim_end());
    };
    line(w, header.to_vec());
    for row in rows {
        line(w, row.iter().map(String::as_str).collect());
    }
}
