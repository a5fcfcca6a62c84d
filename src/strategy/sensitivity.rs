//! `affsim sensitivity`: which uncertain inputs drive the first target.

use serde::Serialize;

use crate::engine::RunOptions;
use crate::model::{Model, Target, Unit};
use crate::sim::Breakdown;
use crate::sim::Estimate;
use crate::stats::{self};

#[derive(Clone, Debug, Serialize)]
pub struct InputEffect {
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub p10: f64,
    pub p90: f64,
    /// Spearman correlation of the drawn input with the target metric in the
    /// target month, over the futures weighted as the chances are (by the
    /// observed history, when there is one).
    pub rank_correlation: f64,
    /// The target's chance with this input held at its P10 (others uncertain).
    pub probability_at_p10: Estimate,
    pub probability_at_p90: Estimate,
    /// `probability_at_p90 - probability_at_p10`.
    pub swing: f64,
    /// Standard error of the swing (paired over paths).
    pub swing_standard_error: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    pub paths: usize,
    pub seed: u64,
    pub target: Target,
    pub probability: Estimate,
    /// Whether the runs were conditioned on observed history.
    pub conditioned: bool,
    /// Ranked by the size of the swing, largest first.
    pub inputs: Vec<InputEffect>,
    /// Things the reader should know, in plain words.
    pub notes: Vec<String>,
}

pub fn sensitivity(model: &Model, paths: usize, seed: u64) -> Result<Sensitivity, String> {
    let target = model
        .targets
        .first()
        .cloned()
        .ok_or("the scenario has no [[targets]]; sensitivity ranks inputs by their effect on the first target")?;
    let options = RunOptions {
        paths: Some(paths),
        seed: Some(seed),
        breakdown: Breakdown::Skipped,
        ..RunOptions::default()
    };
    // Conditioned on observed history, as `affsim run` is: the inputs that
    // matter are those the history has not already pinned down.
    let run = |pins: &[(usize, f64)]| super::simulate(model, &RunOptions { pins, ..options });
    let base = run(&[])?;
    let outcome: Vec<f64> = base
        .column(target.metric, target.month_index)
        .map(f64::from)
        .collect();
    let probability = super::chance(model, &base, &target);

    let mut notes: Vec<String> = super::history_set_aside(model, &base).into_iter().collect();
    let mut inputs = Vec::new();
    for (index, input) in model.inputs.iter().enumerate() {
        let drawn: Vec<f64> = (0..base.paths)
            .map(|path| base.parameters_of(path)[index])
            .collect();
        let (p10, p90) = (input.dist.quantile(0.10), input.dist.quantile(0.90));
        let (low, high) = (run(&[(index, p10)])?, run(&[(index, p90)])?);
        for (sim, at) in [(&low, "P10"), (&high, "P90")] {
            if base.weights.is_some() && sim.weights.is_none() {
                notes.push(format!(
                    "With {} at its {at}, no simulated future comes close to your observed history, so that chance rests on the assumptions alone.",
                    input.label
                ));
            }
        }
        let swing = super::chance_difference(model, &low, &high, &target);
        inputs.push(InputEffect {
            key: input.key.clone(),
            label: input.label.clone(),
            unit: input.unit,
            p10,
            p90,
            rank_correlation: match &base.weights {
                Some(weights) => stats::weighted_rank_correlation(&drawn, &outcome, weights),
                None => stats::rank_correlation(&drawn, &outcome),
            },
            probability_at_p10: super::chance(model, &low, &target),
            probability_at_p90: super::chance(model, &high, &target),
            swing: swing.value,
            swing_standard_error: swing.standard_error,
        });
    }
    inputs.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));
    Ok(Sensitivity {
        paths,
        seed,
        target,
        probability,
        conditioned: base.weights.is_some(),
        inputs,
        notes,
    })
}
