//! Strategy tools: compare strategies, sweep an input (and goal seek), and
//! rank which uncertain inputs matter. All runs of one command share the seed
//! and path indices, so they use common random numbers: a difference between
//! two runs is the change, not sampling noise.

pub mod compare;
pub mod sensitivity;
pub mod sweep;

use rayon::prelude::*;

use crate::calibrate;
use crate::engine::path::Carried;
use crate::engine::{self, Layout, RunOptions};
use crate::model::{Metric, Model, Target};
use crate::sim::Breakdown;
use crate::sim::Estimate;
use crate::sim::Simulation;
use crate::stats::{self};

/// Paths per run when the command line does not say: these commands run
/// the model many times.
pub const DEFAULT_PATHS: usize = 20_000;

/// Builds a model from extra `--set` overrides, or explains why it cannot
/// (a rendered, located error).
pub type Builder<'a> = &'a dyn Fn(&[String]) -> Result<Model, String>;

/// A difference is called noise when it is within two standard errors of zero.
pub fn within_noise(difference: f64, standard_error: f64) -> bool {
    difference.abs() <= 2.0 * standard_error
}

/// Runs a model for a strategy command; a model with observed history is
/// conditioned on it as `affsim run` conditions it (the scenario's
/// `[simulation] calibration`, sequential by default), so the odds agree
/// with `run`'s for the same seed and paths.
pub fn simulate(model: &Model, options: &RunOptions) -> Result<Simulation, String> {
    Ok(simulate_reference(model, options, false)?.0)
}

/// [`simulate`] for the reference of counterfactuals (compare's first
/// strategy, sweep's scenario): with `keep_states`, its paths' states at the
/// end of the history come too, when they fit, for the strategies that
/// take over from then on to resume from (see [`simulate_counterfactual`]).
pub fn simulate_reference(
    model: &Model,
    options: &RunOptions,
    keep_states: bool,
) -> Result<(Simulation, Option<Carried>), String> {
    calibrate::simulate_conditioned(model, options, keep_states)
        .map_err(|_| "interrupted".to_string())
}

/// Runs a strategy as a counterfactual of a reference run (`reference`, of
/// `reference_model`): the same futures (common random numbers: the same
/// drawn inputs and the same luck, path by path), each weighted as the
/// reference's was by how closely it matched the observed history. The
/// history happened under the reference strategy, so it is the reference's
/// futures it selects; the strategy's run then says how those same futures
/// would have gone under the strategy.
///
/// When the reference was conditioned sequentially, its paths are a
/// resampled population: the strategy runs on the same particles (each
/// path's ancestor, its inputs as conditioned and moved, and the keys of its
/// noise after each resampling) and takes the reference's weights. A
/// strategy from a month after the history is then the reference's path to
/// the last bit until it takes over, and continues from that state with the
/// same noise streams as the reference. Inputs are carried over by key (see
/// [`carry_inputs`]). Without weights (no history, or one too implausible to
/// use) the run is left unconditioned too.
///
/// `states` are the reference's paths' states at the end of the history
/// (from [`simulate_reference`]): a strategy of the reference's own scenario
/// that takes over no earlier resumes each path from its state instead of
/// replaying the months before, to the same bits.
pub fn simulate_counterfactual(
    model: &Model,
    options: &RunOptions,
    reference_model: &Model,
    reference: &Simulation,
    states: Option<&Carried>,
) -> Result<Simulation, String> {
    let interrupted = |_| "interrupted".to_string();
    let Some(weights) = &reference.weights else {
        return engine::run(model, options).map_err(interrupted);
    };
    let mut sim = match reference.lineage.as_deref() {
        None => engine::run(model, options).map_err(interrupted)?,
        Some(lineage) => {
            let seed = reference.seed;
            let parameters = carry_inputs(reference_model, reference, model, seed);
            let base_parameters = model
                .change_from
                .as_ref()
                .map(|change| carry_inputs(reference_model, reference, &change.base, seed));
            let resume = states.filter(|states| {
                model.change_from.as_ref().is_some_and(|change| {
                    change.month >= states.month && same_scenario(&change.base, reference_model)
                })
            });
            engine::run(
                model,
                &RunOptions {
                    paths: Some(reference.paths),
                    seed: Some(seed),
                    parameters: Some(&parameters),
                    base_parameters: base_parameters.as_deref(),
                    lineage: Some(lineage),
                    breakdown: Breakdown::Skipped,
                    resume,
                    weights: Some(weights),
                    ..*options
                },
            )
            .map_err(interrupted)?
        }
    };
    calibrate::reweight_means(model, &mut sim, weights);
    sim.weights = Some(weights.clone());
    Ok(sim)
}

/// Whether two models are the same scenario (a strategy's base and the
/// reference it is compared with): everything the engine reads, compared
/// as the scenario's resolved form.
fn same_scenario(a: &Model, b: &Model) -> bool {
    let resolved = |model: &Model| serde_json::to_vec(model).ok();
    resolved(a).is_some() && resolved(a) == resolved(b)
}

/// The uncertain inputs of `to` for every path of `reference` (a run of
/// `from`): an input `from` also has under the same key keeps the path's
/// value, carried at the same share of its distribution
/// ([`crate::model::dist::Dist::share_below`]) when the strategy changes its
/// range; a plan mix keeps the path's shares when the strategy leaves it as
/// it is. Anything else (an input of content the strategy adds, a changed
/// mix) is drawn as the path's ancestor draws it: the history says nothing
/// about it.
pub fn carry_inputs(from: &Model, reference: &Simulation, to: &Model, seed: u64) -> Vec<f64> {
    let layout = Layout::new(to);
    let count = layout.parameters;
    let inputs: Vec<Option<(usize, bool)>> = to
        .inputs
        .iter()
        .map(|input| {
            from.inputs
                .iter()
                .position(|other| other.key == input.key)
                .map(|j| (j, from.inputs[j].dist == input.dist))
        })
        .collect();
    let mixes: Vec<Option<usize>> = to
        .mixes
        .iter()
        .map(|mix| {
            from.mixes.iter().position(|other| {
                from.programs[other.program].name == to.programs[mix.program].name
                    && other.shares == mix.shares
                    && other.concentration == mix.concentration
            })
        })
        .collect();
    let roots = reference.lineage.as_deref().map(|l| &l.roots);
    let mut carried = vec![0.0; reference.paths * count];
    // Copies of a resampled path sit side by side and share their inputs,
    // so a carried value's last mapping to a changed range is remembered
    // (the mapping inverts a distribution function: microseconds a value).
    carried
        .par_chunks_mut(count.max(1))
        .enumerate()
        .for_each_init(
            || vec![None::<(u64, f64)>; inputs.len()],
            |last, (path, row)| {
                if count == 0 {
                    return;
                }
                let root = roots.map_or(reference.first_path + path as u64, |r| r[path]);
                // Only what is not carried over is drawn.
                engine::path::draw_parameters_where(
                    to,
                    &layout,
                    seed,
                    root,
                    row,
                    &|i| inputs[i].is_none(),
                    &|m| mixes[m].is_none(),
                );
                let theirs = reference.parameters_of(path);
                for (i, plan) in inputs.iter().enumerate() {
                    match *plan {
                        Some((j, true)) => row[i] = theirs[j],
                        Some((j, false)) => {
                            let value = theirs[j];
                            row[i] = match last[i] {
                                Some((bits, mapped)) if bits == value.to_bits() => mapped,
                                _ => {
                                    let share = from.inputs[j].dist.share_below(value);
                                    let mapped = to.inputs[i].dist.quantile(share);
                                    last[i] = Some((value.to_bits(), mapped));
                                    mapped
                                }
                            };
                        }
                        None => {}
                    }
                }
                for (mix, plan) in to.mixes.iter().zip(&mixes) {
                    if let Some(m) = *plan {
                        let source = from.mixes[m].first;
                        row[mix.first..mix.first + mix.shares.len()]
                            .copy_from_slice(&theirs[source..source + mix.shares.len()]);
                    }
                }
            },
        );
    carried
}

/// When a scenario's observed history could not be used (too unlikely
/// under its assumptions, or too few paths to match it), the sentence that
/// says so: the chances are then the assumptions' alone.
pub fn history_set_aside(model: &Model, sim: &Simulation) -> Option<String> {
    (model.observed.is_some() && sim.weights.is_none()).then(|| {
        "Your observed history could not be used: no simulated future comes close enough to it (too unlikely under the assumptions, or too few paths; `affsim run` explains), so these chances rest on the assumptions alone.".to_string()
    })
}

/// The chance of a target in its month, honouring calibration weights.
pub fn chance(model: &Model, sim: &Simulation, target: &Target) -> Estimate {
    stats::target(model, sim, target).in_month
}

/// `b − a` for a target's chance. Runs that weight their paths alike (both
/// unconditioned, or conditioned to the same weights) share their paths
/// (common random numbers), so the difference is paired and its error small;
/// otherwise the two errors add.
pub fn chance_difference(
    model: &Model,
    a: &Simulation,
    b: &Simulation,
    target: &Target,
) -> Estimate {
    let indicator = |sim: &Simulation| -> Vec<f64> {
        stats::hits(sim, target)
            .into_iter()
            .map(|h| h as u8 as f64)
            .collect()
    };
    paired(a, b, &indicator(a), &indicator(b)).unwrap_or_else(|| {
        independent_difference(chance(model, a, target), chance(model, b, target))
    })
}

/// `b − a` for a metric's mean in one month, paired when possible.
pub fn mean_difference(a: &Simulation, b: &Simulation, metric: Metric, month: usize) -> Estimate {
    let column =
        |sim: &Simulation| -> Vec<f64> { sim.column(metric, month).map(f64::from).collect() };
    paired(a, b, &column(a), &column(b)).unwrap_or_else(|| {
        independent_difference(
            stats::column_mean(a, metric, month),
            stats::column_mean(b, metric, month),
        )
    })
}

/// Runs whose paths are the same futures, weighted alike, pair path by
/// path; copies of one resampled path (sequential calibration) move
/// together, so their differences are clustered by ancestor.
fn paired(a: &Simulation, b: &Simulation, a_values: &[f64], b_values: &[f64]) -> Option<Estimate> {
    if a.weights != b.weights || a.paths != b.paths || a.lineage != b.lineage {
        return None;
    }
    let differences = a_values.iter().zip(b_values).map(|(x, y)| y - x);
    Some(match (&a.weights, &a.lineage) {
        (None, _) => stats::paired_difference(a_values, b_values),
        (Some(weights), None) => Estimate::weighted(differences.zip(weights.iter().copied())),
        (Some(weights), Some(lineage)) => Estimate::clustered(
            differences
                .zip(weights.iter().copied())
                .zip(lineage.roots.iter().copied())
                .map(|((d, w), root)| (d, w, root)),
        ),
    })
}

fn independent_difference(a: Estimate, b: Estimate) -> Estimate {
    Estimate {
        value: b.value - a.value,
        standard_error: (a.standard_error.powi(2) + b.standard_error.powi(2)).sqrt(),
    }
}
