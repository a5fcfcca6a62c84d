//! `affsim sensitivity`: which uncertain inputs drive the first target.
//!
//! The chance with an input held at its P10 (or P90), the others left
//! uncertain, is the conditional chance given that input. Without a history
//! each end is a run of its own on the same paths (common random numbers,
//! so the swing is paired and precise). With one, every run would have to be
//! conditioned on the history afresh, and resampling unpairs them; instead
//! the conditioned paths of the one base run, whose inputs spread over their
//! conditioned ranges, give each input's chance as a fitted curve
//! (`stats::regression`), read at P10 and P90 where the paths cover both.
//! An input whose P10 or P90 lies outside what the history left plausible
//! is held at each end in runs of its own, as `--exact` holds every input.

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::RunOptions;
use crate::model::{Model, Target, UncertainInput, Unit};
use crate::sim::Breakdown;
use crate::sim::Estimate;
use crate::sim::Simulation;
use crate::stats::regression::{ChanceCurve, Row};
use crate::stats::{self};

/// A curve is read at P10 and P90 only when the conditioned paths reach
/// beyond both, each tail holding at least this share of their weight:
/// the ends are then inside the paths' central 95%, interpolated, never
/// extrapolated.
pub const CURVE_COVERAGE: f64 = 0.025;

/// Paths of the one conditioned run whose fitted curves answer for every
/// input, unless `--paths` says: two and a half times the
/// [`super::DEFAULT_PATHS`] of a run per input and end, which leaves the
/// chances read off at P10 and P90 nearly as precise as those runs'
/// (on q4, standard errors up to 0.66 points against up to 0.59; the
/// curve's own uncertainty at its ends would otherwise double them), in
/// about a tenth of the time of 23 such runs.
pub const FITTED_PATHS: usize = 5 * super::DEFAULT_PATHS / 2;

/// How an input's chances at P10 and P90 were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimated {
    /// Read off the curve fitted to the base run's conditioned paths.
    FittedCurve,
    /// The input held at P10 and at P90, in runs of their own.
    PinnedRuns,
}

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
    /// Standard error of the swing (paired over paths, or from the one
    /// fitted curve).
    pub swing_standard_error: f64,
    pub estimated_by: Estimated,
}

#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    /// Paths of the base run (with everything uncertain).
    pub paths: usize,
    /// Paths of each run with an input held at one end.
    pub held_paths: usize,
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

/// How many paths each kind of run gets.
#[derive(Clone, Copy, Debug)]
pub struct RunPaths {
    /// Each run with an input held at one end, and the base run when no
    /// curve is to be fitted.
    pub held: usize,
    /// The base run whose conditioned paths the curves are fitted to.
    pub fitted: usize,
}

impl RunPaths {
    /// Both kinds of run with `paths` paths.
    pub fn same(paths: usize) -> RunPaths {
        RunPaths {
            held: paths,
            fitted: paths,
        }
    }
}

/// Ranks the model's uncertain inputs by their effect on its first target.
/// `exact` holds every input at its ends in runs of their own even when the
/// history is conditioned on (see the module's documentation).
pub fn sensitivity(
    model: &Model,
    paths: RunPaths,
    seed: u64,
    exact: bool,
) -> Result<Sensitivity, String> {
    let target = model
        .targets
        .first()
        .cloned()
        .ok_or("the scenario has no [[targets]]; sensitivity ranks inputs by their effect on the first target")?;
    let fit_curves = !exact && crate::calibrate::has_history(model);
    let options = RunOptions {
        paths: Some(paths.held),
        seed: Some(seed),
        breakdown: Breakdown::Skipped,
        // Only the target's month is read: a conditioned population stops
        // there.
        until: Some(target.month_index + 1),
        ..RunOptions::default()
    };
    // Conditioned on observed history, as `affsim run` is: the inputs that
    // matter are those the history has not already pinned down.
    let run = |pins: &[(usize, f64)]| super::simulate(model, &RunOptions { pins, ..options });
    let base = if fit_curves {
        super::simulate(
            model,
            &RunOptions {
                paths: Some(paths.fitted),
                ..options
            },
        )?
    } else {
        run(&[])?
    };
    let outcome: Vec<f64> = base
        .column(target.metric, target.month_index)
        .map(f64::from)
        .collect();
    let probability = super::chance(model, &base, &target);
    let equal;
    let weights: &[f64] = match &base.weights {
        Some(weights) => weights,
        None => {
            equal = vec![1.0; base.paths];
            &equal
        }
    };
    let outcome_ranks = stats::weighted_ranks(&outcome, weights);
    let fitted = fit_curves
        .then(|| ConditionedPaths::of(&base, &target))
        .flatten();

    let mut notes: Vec<String> = super::history_set_aside(model, &base).into_iter().collect();
    // What the base run says of each input, inputs side by side: its
    // ends, its rank correlation with the outcome, and its fitted curve's
    // readings where they apply.
    let read: Vec<_> = model
        .inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| {
            let drawn: Vec<f64> = (0..base.paths)
                .map(|path| base.parameters_of(path)[index])
                .collect();
            let (p10, p90) = (input.dist.quantile(0.10), input.dist.quantile(0.90));
            let rank_correlation = stats::correlation_of_ranks(
                &stats::weighted_ranks(&drawn, weights),
                &outcome_ranks,
                weights,
            );
            let curve = fitted
                .as_ref()
                .and_then(|paths| paths.read_off(input, &drawn, p10, p90));
            (p10, p90, rank_correlation, curve)
        })
        .collect();
    let mut inputs = Vec::new();
    for ((index, input), (p10, p90, rank_correlation, curve)) in
        model.inputs.iter().enumerate().zip(read)
    {
        let (at_p10, at_p90, swing, estimated_by) = match curve {
            Some((low, high, swing)) => (low, high, swing, Estimated::FittedCurve),
            None => {
                let (low, high) = (run(&[(index, p10)])?, run(&[(index, p90)])?);
                for (sim, at) in [(&low, "P10"), (&high, "P90")] {
                    if base.weights.is_some() && sim.weights.is_none() {
                        notes.push(format!(
                            "With {} at its {at}, no simulated future comes close to your observed history, so that chance rests on the assumptions alone.",
                            input.label
                        ));
                    }
                }
                (
                    super::chance(model, &low, &target),
                    super::chance(model, &high, &target),
                    super::chance_difference(model, &low, &high, &target),
                    Estimated::PinnedRuns,
                )
            }
        };
        inputs.push(InputEffect {
            key: input.key.clone(),
            label: input.label.clone(),
            unit: input.unit,
            p10,
            p90,
            rank_correlation,
            probability_at_p10: at_p10,
            probability_at_p90: at_p90,
            swing: swing.value,
            swing_standard_error: swing.standard_error,
            estimated_by,
        });
    }
    inputs.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));
    Ok(Sensitivity {
        paths: base.paths,
        held_paths: paths.held,
        seed,
        target,
        probability,
        conditioned: base.weights.is_some(),
        inputs,
        notes,
    })
}

/// The base run's paths that carry weight after conditioning: whether each
/// hits the target, its weight, and its ancestor among the prior paths
/// (copies of one path are one piece of evidence).
struct ConditionedPaths {
    /// `(path, hit, weight, ancestor)`.
    paths: Vec<(usize, bool, f64, u64)>,
}

impl ConditionedPaths {
    /// `None` for a run that is not conditioned (no history, or one set
    /// aside): its inputs' ends are held in runs of their own, paired.
    fn of(sim: &Simulation, target: &Target) -> Option<ConditionedPaths> {
        let weights = sim.weights.as_ref()?;
        let hits = stats::hits(sim, target);
        let ancestor = |path: usize| {
            sim.lineage
                .as_ref()
                .map_or(path as u64, |lineage| lineage.roots[path])
        };
        Some(ConditionedPaths {
            paths: weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .map(|(path, &w)| (path, hits[path], w, ancestor(path)))
                .collect(),
        })
    }

    /// The chances at `p10` and `p90` of `input` (drawn per path as
    /// `drawn`) and their difference, read off the curve fitted on the
    /// input's natural scale, standardised so that P10 and P90 sit near -1
    /// and +1. `None` when the paths do not reach beyond both ends (see
    /// [`CURVE_COVERAGE`]) or the curve cannot be fitted.
    fn read_off(
        &self,
        input: &UncertainInput,
        drawn: &[f64],
        p10: f64,
        p90: f64,
    ) -> Option<(Estimate, Estimate, Estimate)> {
        let dist = &input.dist;
        let (low, high) = (dist.natural_scale(p10), dist.natural_scale(p90));
        let (centre, half) = ((low + high) / 2.0, (high - low) / 2.0);
        if !(half > 0.0 && half.is_finite()) {
            return None;
        }
        let share = |beyond: &dyn Fn(f64) -> bool| -> f64 {
            self.paths
                .iter()
                .filter(|p| beyond(drawn[p.0]))
                .map(|p| p.2)
                .sum()
        };
        if share(&|x| x <= p10) < CURVE_COVERAGE || share(&|x| x >= p90) < CURVE_COVERAGE {
            return None;
        }
        // Copies of a path sit side by side (resampling keeps the order):
        // pooled into one row while they share the input and the ancestor.
        let mut rows: Vec<Row> = Vec::with_capacity(self.paths.len());
        let mut last = f64::NAN;
        for &(path, hit, weight, ancestor) in &self.paths {
            let (hit, miss) = if hit { (weight, 0.0) } else { (0.0, weight) };
            match rows.last_mut() {
                Some(row) if drawn[path] == last && row.cluster == ancestor => {
                    row.hit += hit;
                    row.miss += miss;
                }
                _ => {
                    last = drawn[path];
                    rows.push(Row {
                        z: (dist.natural_scale(last) - centre) / half,
                        hit,
                        miss,
                        cluster: ancestor,
                    });
                }
            }
        }
        let curve = ChanceCurve::fit(&rows)?;
        Some((curve.at(-1.0), curve.at(1.0), curve.difference(-1.0, 1.0)))
    }
}
