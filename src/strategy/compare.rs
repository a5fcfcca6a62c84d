//! `affsim compare`: several strategies under common random numbers.

use serde::Serialize;

use super::within_noise;
use crate::calendar::Month;
use crate::engine::{self, RunOptions, Simulation};
use crate::model::{Metric, Model, Target};
use crate::stats::{self, Band, Estimate};

#[derive(Clone, Debug, Serialize)]
pub struct TargetComparison {
    pub probability: Estimate,
    /// This strategy's probability minus the first strategy's, paired over paths.
    pub difference: Estimate,
    pub within_noise: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct StrategyResult {
    pub name: String,
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
    pub paths: usize,
    pub seed: u64,
    pub headline: Metric,
    pub headline_month: Month,
    pub targets: Vec<Target>,
    pub strategies: Vec<StrategyResult>,
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
    let targets = first.targets.clone();
    let headline = first.headline;
    let headline_index = targets.first().map_or(first.months - 1, |t| t.month_index);
    let options = RunOptions {
        paths: Some(paths),
        seed: Some(seed),
        ..RunOptions::default()
    };

    let mut reference: Option<(Vec<Vec<f64>>, Vec<f64>)> = None;
    let mut results = Vec::new();
    for (name, model) in strategies {
        let sim = engine::run(model, &options).map_err(|_| "interrupted".to_string())?;
        let hits: Vec<Vec<f64>> = targets
            .iter()
            .map(|t| {
                stats::hits(&sim, t)
                    .into_iter()
                    .map(|h| h as u8 as f64)
                    .collect()
            })
            .collect();
        let cumulative: Vec<f64> = sim
            .column(Metric::CumulativeEarned, sim.months - 1)
            .map(f64::from)
            .collect();
        let (reference_hits, reference_cumulative) =
            reference.get_or_insert_with(|| (hits.clone(), cumulative.clone()));
        let target_results = hits
            .iter()
            .zip(reference_hits.iter())
            .map(|(h, r)| {
                let difference = stats::paired_difference(r, h);
                TargetComparison {
                    probability: Estimate::proportion(
                        h.iter().filter(|v| **v > 0.0).count(),
                        h.len(),
                    ),
                    within_noise: within_noise(difference.value, difference.standard_error),
                    difference,
                }
            })
            .collect();
        let cumulative_difference = stats::paired_difference(reference_cumulative, &cumulative);
        let bands = stats::bands(model, &sim, &[headline]).remove(0).1;
        results.push(StrategyResult {
            name: name.clone(),
            targets: target_results,
            median_headline: median(&sim, headline, headline_index),
            cumulative_earned: Estimate::mean(cumulative.iter().copied()),
            cumulative_within_noise: within_noise(
                cumulative_difference.value,
                cumulative_difference.standard_error,
            ),
            cumulative_difference,
            bands,
        });
    }
    Ok(Comparison {
        paths,
        seed,
        headline,
        headline_month: first.month(headline_index),
        targets,
        strategies: results,
    })
}

pub fn median(sim: &Simulation, metric: Metric, month: usize) -> f64 {
    let mut column: Vec<f32> = sim.column(metric, month).collect();
    stats::percentiles(&mut column, &[50.0])[0]
}
