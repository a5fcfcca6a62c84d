//! `affsim compare`: several strategies under common random numbers.

use rayon::prelude::*;
use serde::Serialize;

use super::within_noise;
use crate::calendar::Month;
use crate::engine::RunOptions;
use crate::model::{Metric, Model, Target};
use crate::sim::Breakdown;
use crate::sim::Estimate;
use crate::sim::Simulation;
use crate::stats::{self, Band};

#[derive(Clone, Debug, Serialize)]
pub struct TargetComparison {
    pub probability: Estimate,
    /// This strategy's probability minus the first strategy's, paired over paths.
    pub difference: Estimate,
    pub within_noise: bool,
    /// The month by which half of this strategy's futures have first
    /// reached the threshold (searching the whole horizon): how fast the
    /// strategy gets there. `None` when fewer than half ever do.
    pub median_first_month: Option<Month>,
    /// The share of futures that reach it in some month of the horizon.
    pub ever: Estimate,
}

#[derive(Clone, Debug, Serialize)]
pub struct StrategyResult {
    pub name: String,
    /// The month its changes start (earlier months are the first strategy's
    /// scenario as written, path by path); `None`: it runs as written from
    /// the start (the first strategy, another file, or `from = "start"`).
    pub changes_from: Option<Month>,
    pub targets: Vec<TargetComparison>,
    /// Median of the headline metric in the first target's month (or the last month).
    pub median_headline: f64,
    /// Expected cumulative commission earned by the end.
    pub cumulative_earned: Estimate,
    /// Paired difference of cumulative earned to the first strategy.
    pub cumulative_difference: Estimate,
    pub cumulative_within_noise: bool,
    /// Headline bands month by month (for the chart).
    pub bands: Vec<Band>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Whether the runs stand on observed history: the first strategy is
    /// weighted by it, and every other runs as its counterfactual with the
    /// same weights (see [`super::simulate_counterfactual`]).
    pub calibrated: bool,
    pub paths: usize,
    pub seed: u64,
    pub headline: Metric,
    pub headline_month: Month,
    pub targets: Vec<Target>,
    pub strategies: Vec<StrategyResult>,
    /// Things the reader should know, in plain words.
    pub notes: Vec<String>,
}

/// Runs every strategy with the same seed and paths; targets are the first
/// strategy's, applied to all.
pub fn compare(
    strategies: &[(String, Model)],
    paths: usize,
    seed: u64,
) -> Result<Comparison, String> {
    let (_, first) = strategies.first().ok_or("nothing to compare")?;
    for (name, model) in strategies {
        if model.start != first.start || model.months != first.months {
            return Err(format!(
                "`{name}` simulates {} to {}, but `{}` simulates {} to {}; compared strategies must cover the same months",
                model.start.long(),
                model.end().long(),
                strategies[0].0,
                first.start.long(),
                first.end().long()
            ));
        }
    }
    // One history selects the futures: the first strategy's.
    let mut notes: Vec<String> = strategies
        .iter()
        .skip(1)
        .filter(|(_, model)| model.observed.is_some() && model.observed != first.observed)
        .map(|(name, _)| {
            format!(
                "The observed history of `{name}` is not used: the futures are selected by the history of the first strategy, `{}`{}.",
                strategies[0].0,
                if first.observed.is_some() { "" } else { ", which has none" }
            )
        })
        .collect();
    let targets = first.targets.clone();
    // The charts and the money table follow the target asked about.
    let headline = targets.first().map_or(first.headline, |t| t.metric);
    let headline_index = targets.first().map_or(first.months - 1, |t| t.month_index);
    let options = RunOptions {
        paths: Some(paths),
        seed: Some(seed),
        breakdown: Breakdown::Skipped,
        ..RunOptions::default()
    };

    let mut runs: Vec<Simulation> = Vec::new();
    // The reference's states at the end of the history, when kept.
    let mut states = None;
    for (_, model) in strategies {
        // The observed history happened under the reference strategy (the
        // first): every other strategy is run as its counterfactual.
        let sim = match runs.first() {
            None => {
                let (sim, kept) = super::simulate_reference(model, &options, true)?;
                states = kept;
                sim
            }
            Some(reference) => {
                super::simulate_counterfactual(model, &options, first, reference, states.as_ref())?
            }
        };
        runs.push(sim);
    }
    drop(states);
    let calibrated = runs.iter().any(|sim| sim.weights.is_some());
    let last = first.months - 1;
    let reference = &runs[0];
    // Each strategy's figures read its paths against the reference's: the
    // strategies side by side (their passes over the paths are largely
    // one thread's each).
    let results: Vec<StrategyResult> = strategies
        .par_iter()
        .zip(&runs)
        .map(|((name, model), sim)| {
            let targets = targets
                .iter()
                .map(|target| {
                    let difference = super::chance_difference(model, reference, sim, target);
                    let result = stats::target(model, sim, target);
                    TargetComparison {
                        probability: result.in_month,
                        within_noise: within_noise(difference.value, difference.standard_error),
                        difference,
                        median_first_month: result.median_first_month,
                        ever: result.ever,
                    }
                })
                .collect();
            let cumulative_difference =
                super::mean_difference(reference, sim, Metric::CumulativeEarned, last);
            StrategyResult {
                name: name.clone(),
                changes_from: (model.takes_over() > 0).then(|| model.month(model.takes_over())),
                targets,
                median_headline: median(sim, headline, headline_index),
                cumulative_earned: stats::column_mean(sim, Metric::CumulativeEarned, last),
                cumulative_within_noise: within_noise(
                    cumulative_difference.value,
                    cumulative_difference.standard_error,
                ),
                cumulative_difference,
                bands: stats::bands(model, sim, &[headline]).remove(0).1,
            }
        })
        .collect();
    // Strategies whose counterfactual rewrites the observed months.
    let rewritten: Vec<String> = strategies
        .iter()
        .zip(&runs)
        .skip(1)
        .filter(|(_, sim)| changes_the_past(first, reference, sim))
        .map(|((name, _), _)| format!("`{name}`"))
        .collect();
    if let Some((last, others)) = rewritten.split_last() {
        let (names, verb, them) = match others {
            [] => (last.clone(), "changes", "it"),
            _ => (
                format!("{} and {last}", others.join(", ")),
                "change",
                "them",
            ),
        };
        notes.push(format!(
            "{names} also {verb} the months you observed: read {them} as \"had you done this from the start\", not as a change from now on (a variant with `from` after the history, or none, is one)."
        ));
    }
    notes.extend(super::history_set_aside(first, &runs[0]));
    Ok(Comparison {
        calibrated,
        paths,
        seed,
        headline,
        headline_month: first.month(headline_index),
        targets,
        strategies: results,
        notes,
    })
}

/// Whether a strategy's counterfactual differs from the reference in the
/// observed months, on any path the history gives weight.
fn changes_the_past(model: &Model, reference: &Simulation, sim: &Simulation) -> bool {
    let (Some(observed), Some(weights)) = (&model.observed, &reference.weights) else {
        return false;
    };
    let points = crate::calibrate::points(model, observed);
    (0..sim.paths)
        .filter(|&path| weights[path] > 0.0)
        .any(|path| {
            points.iter().any(|point| {
                sim.value(path, point.metric, point.month)
                    != reference.value(path, point.metric, point.month)
            })
        })
}

pub fn median(sim: &Simulation, metric: Metric, month: usize) -> f64 {
    stats::column_percentiles(sim, metric, month, &[50.0])[0]
}
