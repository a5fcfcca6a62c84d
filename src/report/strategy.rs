//! Terminal reports of the strategy commands: compare, sweep, sensitivity.

use std::fmt::Write;

use super::format::{count, money, money_or_count, percent, points};
use super::input_value;
use super::terminal::table;
use crate::strategy::compare::Comparison;
use crate::strategy::sensitivity::{Estimated, InputEffect, Sensitivity};
use crate::strategy::sweep::Sweep;

/// A difference of probabilities in percentage points.
fn signed_points(value: f64) -> String {
    let sign = if value >= 0.0 { "+" } else { "-" };
    format!("{sign}{:.1} pts", value.abs() * 100.0)
}

fn signed_money(value: f64) -> String {
    if value >= 0.0 {
        format!("+{}", money(value))
    } else {
        money(value)
    }
}

pub fn compare(comparison: &Comparison) -> String {
    let mut out = String::new();
    let w = &mut out;
    let reference = &comparison.strategies[0].name;
    let _ = writeln!(
        w,
        "Comparing {} strategies over {} paths each (seed {}), with common random numbers:",
        comparison.strategies.len(),
        count(comparison.paths as f64),
        comparison.seed
    );
    let _ = writeln!(
        w,
        "every strategy faces the same simulated luck, so differences come from the strategy."
    );
    if comparison.calibrated {
        let _ = writeln!(
            w,
            "Your observed history happened under the first strategy: every strategy is run on the futures\nthat match it (weighted as `affsim run` weighs them), as what those same futures would have\ngiven under that strategy from the month it starts. Differences are paired, path by path."
        );
    }
    let _ = writeln!(w, "\nStrategies");
    let start = comparison.strategies[0].bands.first().map(|b| b.month);
    for (i, s) in comparison.strategies.iter().enumerate() {
        let when = match (i, s.changes_from, start) {
            (0, ..) => "the reference, as written".to_string(),
            (_, Some(month), Some(start)) if month > start => format!(
                "changes from {} on ({} to {} as the reference)",
                month.long(),
                start.long(),
                month.plus(-1).long()
            ),
            (_, Some(month), _) => format!("changes from {} on", month.long()),
            (_, None, _) => "as written since the start (a what-if from the first month)".into(),
        };
        let _ = writeln!(w, "  {}: {when}", s.name);
    }
    let end = comparison.strategies[0]
        .bands
        .last()
        .map(|b| b.month)
        .unwrap_or(comparison.headline_month);
    for (t, target) in comparison.targets.iter().enumerate() {
        let amount = money_or_count(target.metric, target.threshold);
        let _ = writeln!(
            w,
            "\n{}\n  (chance that {} is at least {amount} in {}; ± is one standard error;\n  half reach it by: the month by which half of the futures first reach {amount})",
            target.label,
            target.metric.phrase(),
            target.month.long()
        );
        let rows: Vec<[String; 4]> = comparison
            .strategies
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let result = &s.targets[t];
                let difference = if i == 0 {
                    "reference".to_string()
                } else if result.within_noise {
                    format!(
                        "{} ± {:.1} (within noise)",
                        signed_points(result.difference.value),
                        result.difference.standard_error * 100.0
                    )
                } else {
                    format!(
                        "{} ± {:.1}",
                        signed_points(result.difference.value),
                        result.difference.standard_error * 100.0
                    )
                };
                let fast = match result.median_first_month {
                    Some(month) => month.long(),
                    None => format!("after {} ({} ever)", end.long(), percent(result.ever.value)),
                };
                [
                    s.name.clone(),
                    format!(
                        "{} ± {}",
                        percent(result.probability.value),
                        points(result.probability.standard_error)
                    ),
                    fast,
                    difference,
                ]
            })
            .collect();
        table(
            w,
            [
                "strategy",
                "chance",
                "half reach it by",
                &format!("vs {reference}"),
            ],
            &rows,
        );
    }
    let _ = writeln!(w, "\nMoney");
    let rows: Vec<[String; 4]> = comparison
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let difference = if i == 0 {
                "reference".to_string()
            } else {
                let noise = if s.cumulative_within_noise {
                    " (within noise)"
                } else {
                    ""
                };
                format!(
                    "{} ± {}{noise}",
                    signed_money(s.cumulative_difference.value),
                    money(s.cumulative_difference.standard_error)
                )
            };
            [
                s.name.clone(),
                money_or_count(comparison.headline, s.median_headline),
                money(s.cumulative_earned.value),
                difference,
            ]
        })
        .collect();
    table(
        w,
        [
            "strategy",
            &format!(
                "median {} in {}",
                short_name(comparison.headline),
                comparison.headline_month.long()
            ),
            &format!("expected earned by {}", end.long()),
            &format!("vs {reference}"),
        ],
        &rows,
    );
    if let (Some(target), true) = (comparison.targets.first(), comparison.strategies.len() > 1) {
        let best = comparison
            .strategies
            .iter()
            .max_by(|a, b| {
                a.targets[0]
                    .probability
                    .value
                    .total_cmp(&b.targets[0].probability.value)
            })
            .expect("non-empty");
        if best.targets[0].probability.value <= 0.0 {
            let _ = writeln!(
                w,
                "\nIn words: no strategy reaches “{}” in any simulated future.",
                target.label
            );
            return out;
        }
        let _ = write!(
            w,
            "\nIn words: `{}` gives the best chance of {}: {}.",
            best.name,
            target.label,
            percent(best.targets[0].probability.value)
        );
        // The fastest: the earliest month by which half of the futures get
        // there (ties to the larger chance).
        let fastest = comparison
            .strategies
            .iter()
            .filter_map(|s| s.targets[0].median_first_month.map(|month| (month, s)))
            .min_by(|(a, sa), (b, sb)| {
                a.cmp(b).then(
                    sb.targets[0]
                        .probability
                        .value
                        .total_cmp(&sa.targets[0].probability.value),
                )
            });
        let amount = money_or_count(target.metric, target.threshold);
        let _ = match fastest {
            Some((month, s)) if std::ptr::eq(s, best) => writeln!(
                w,
                " It is also the fastest: half of its futures reach {amount} by {}.",
                month.long()
            ),
            Some((month, s)) => writeln!(
                w,
                " The fastest is `{}`: half of its futures reach {amount} by {}.",
                s.name,
                month.long()
            ),
            None => writeln!(
                w,
                " None of them gets half of its futures to {amount} by {}.",
                end.long()
            ),
        };
    }
    for note in &comparison.notes {
        let _ = writeln!(w, "\nNote: {note}");
    }
    out
}

pub fn sweep(sweep: &Sweep) -> String {
    let mut out = String::new();
    let w = &mut out;
    let target = &sweep.target;
    let _ = writeln!(
        w,
        "Sweeping {} over {} paths per value (seed {}), with common random numbers",
        sweep
            .axes
            .iter()
            .map(|a| format!("`{}`", a.key))
            .collect::<Vec<_>>()
            .join(" and "),
        count(sweep.paths as f64),
        sweep.seed
    );
    let _ = writeln!(
        w,
        "Target: {} ({} ≥ {} in {})",
        target.label,
        target.metric.phrase(),
        money_or_count(target.metric, target.threshold),
        target.month.long()
    );
    let _ = writeln!(
        w,
        "As the scenario stands: {} ± {} chance.",
        percent(sweep.reference.value),
        points(sweep.reference.standard_error)
    );
    let since = match sweep.changes_from {
        Some(month) => format!(
            "from {} on (earlier months as the scenario stands)",
            month.long()
        ),
        None => "from the start".to_string(),
    };
    if sweep.conditioned {
        let _ = writeln!(
            w,
            "Each value is applied to the futures that match your observed history (as `affsim run`\nweighs them): what those same futures would have given had the value been so {since}."
        );
    } else if sweep.changes_from.is_some() {
        let _ = writeln!(w, "Each value applies {since}.");
    }
    let _ = writeln!(w);
    // Every column padded to its widest cell, so that rows line up
    // whatever the values' lengths.
    type Row = (Vec<String>, String, String);
    let rows: Vec<Row> = sweep
        .points
        .iter()
        .map(|point| {
            let values = sweep
                .axes
                .iter()
                .zip(&point.values)
                .map(|(axis, v)| format!("{} = {}", axis.key, trim(*v)))
                .collect();
            (
                values,
                percent(point.probability.value),
                points(point.probability.standard_error),
            )
        })
        .collect();
    let width = |cell: &dyn Fn(&Row) -> &str| {
        rows.iter()
            .map(|row| cell(row).chars().count())
            .max()
            .unwrap_or(0)
    };
    let value_widths: Vec<usize> = (0..sweep.axes.len())
        .map(|i| width(&|row| row.0.get(i).map_or("", String::as_str)))
        .collect();
    let (chance_width, error_width) = (width(&|row| &row.1), width(&|row| &row.2));
    for ((values, chance, error), point) in rows.iter().zip(&sweep.points) {
        let values: Vec<String> = values
            .iter()
            .zip(&value_widths)
            .map(|(value, width)| format!("{value:<width$}"))
            .collect();
        let _ = writeln!(
            w,
            "  {}   {chance:>chance_width$} ± {error:<error_width$}  chance; median {}",
            values.join("  "),
            money_or_count(target.metric, point.median)
        );
    }
    if let Some(goal) = &sweep.goal {
        let key = &sweep.axes[0].key;
        let _ = writeln!(w);
        match goal.value {
            Some(value) => {
                let _ = writeln!(
                    w,
                    "Goal: for the chance to reach {}, `{key}` must be at least about {} (found to within {}; chance there {}).",
                    percent(goal.goal),
                    to_resolution(value, goal.resolution),
                    to_resolution(goal.resolution, goal.resolution),
                    percent(goal.probability_at_value.map_or(0.0, |p| p.value))
                );
            }
            None => {
                let _ = writeln!(
                    w,
                    "Goal: no value of `{key}` between {} and {} brings the chance to {}; the best, at {}, gives {}.",
                    trim(sweep.axes[0].values[0]),
                    trim(*sweep.axes[0].values.last().expect("values")),
                    percent(goal.goal),
                    trim(*sweep.axes[0].values.last().expect("values")),
                    percent(goal.probability_at_high.value)
                );
            }
        }
    }
    for note in &sweep.notes {
        let _ = writeln!(w, "\nNote: {note}");
    }
    out
}

/// A value written with as many decimals as the search resolved, no more.
fn to_resolution(value: f64, resolution: f64) -> String {
    if resolution <= 0.0 || !resolution.is_finite() {
        return trim(value);
    }
    let decimals = (-resolution.log10()).ceil().clamp(0.0, 12.0) as usize;
    trim(format!("{value:.decimals$}").parse().unwrap_or(value))
}

fn trim(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn sensitivity(result: &Sensitivity) -> String {
    let mut out = String::new();
    let w = &mut out;
    let target = &result.target;
    let fitted: Vec<&InputEffect> = result
        .inputs
        .iter()
        .filter(|input| input.estimated_by == Estimated::FittedCurve)
        .collect();
    let held: Vec<&InputEffect> = result
        .inputs
        .iter()
        .filter(|input| input.estimated_by == Estimated::PinnedRuns)
        .collect();
    let paths = if held.is_empty() {
        format!("{} paths", count(result.paths as f64))
    } else if fitted.is_empty() && result.paths == result.held_paths {
        format!("{} paths per run", count(result.paths as f64))
    } else {
        format!(
            "{} paths, {} per run for each input held on its own",
            count(result.paths as f64),
            count(result.held_paths as f64)
        )
    };
    let _ = writeln!(
        w,
        "Which uncertain inputs matter most for: {} ({paths}, seed {})",
        target.label, result.seed
    );
    let _ = writeln!(
        w,
        "With everything uncertain, the chance is {} ± {}.",
        percent(result.probability.value),
        points(result.probability.standard_error)
    );
    if result.conditioned {
        let _ = writeln!(
            w,
            "{} conditioned on your observed history, as `affsim run` is, so what ranks high is\nwhat your history has not already pinned down.",
            if held.is_empty() {
                "The run is"
            } else {
                "Every run is"
            }
        );
    }
    if fitted.is_empty() {
        let _ = writeln!(
            w,
            "Each input held at its P10 and its P90 (the others left uncertain), largest swing first:\n"
        );
    } else {
        let _ = writeln!(
            w,
            "Each input at its P10 and its P90 (the others left uncertain), read off a curve fitted to the\nconditioned futures' chance against that input (`--exact` holds each input in runs of its own,\nabout 10x slower), largest swing first:\n"
        );
    }
    let rows: Vec<[String; 5]> = result
        .inputs
        .iter()
        .map(|input| {
            let noise = if crate::strategy::within_noise(input.swing, input.swing_standard_error) {
                " (noise)"
            } else {
                ""
            };
            [
                input.label.clone(),
                format!(
                    "{} → {}",
                    percent(input.probability_at_p10.value),
                    percent(input.probability_at_p90.value)
                ),
                format!("{}{noise}", signed_points(input.swing)),
                format!(
                    "{} .. {}",
                    input_value(input.unit, input.p10),
                    input_value(input.unit, input.p90)
                ),
                format!("{:+.2}", input.rank_correlation),
            ]
        })
        .collect();
    table(
        w,
        [
            "input",
            "chance at P10 → P90",
            "swing",
            "P10 .. P90",
            "rank corr.",
        ],
        &rows,
    );
    if let Some(first) = result.inputs.first() {
        let _ = writeln!(
            w,
            "\nIn words: of what you are unsure about, “{}” matters most: its true value moves the odds by up to {:.0} points, so measure it first (`affsim sweep --vary {}=…` shows what changing it would do).",
            first.label,
            first.swing.abs() * 100.0,
            first.key
        );
    }
    if !fitted.is_empty() && !held.is_empty() {
        let names: Vec<String> = held.iter().map(|input| input.label.clone()).collect();
        let _ = writeln!(
            w,
            "\nHeld at P10 and P90 in runs of their own, as your history leaves little of the futures near one end: {}.",
            names.join("; ")
        );
    }
    for note in &result.notes {
        let _ = writeln!(w, "\nNote: {note}");
    }
    out
}

fn short_name(metric: crate::model::Metric) -> String {
    match metric {
        crate::model::Metric::Mrr => "MRR".into(),
        other => other.key().replace('_', " "),
    }
}
