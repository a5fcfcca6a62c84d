//! Strategy tools: compare strategies, sweep an input (and goal seek), and
//! rank which uncertain inputs matter. All runs of one command share the seed
//! and path indices, so they use common random numbers: a difference between
//! two runs is the change, not sampling noise.

pub mod compare;
pub mod sensitivity;
pub mod sweep;

use crate::calibrate;
use crate::engine::{self, RunOptions, Simulation};
use crate::model::{Metric, Model, Target};
use crate::stats::{self, Estimate};

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
/// conditioned on it, as `affsim run` does, so the odds agree with `run`.
pub fn simulate(model: &Model, options: &RunOptions) -> Result<Simulation, String> {
    let interrupted = |_| "interrupted".to_string();
    let mut sim = engine::run(model, options).map_err(interrupted)?;
    // Whole-path weighting: the strategies' counterfactuals reuse these
    // weights path by path, which resampled paths would not allow.
    calibrate::condition(
        model,
        &mut sim,
        "the scenario's [observed]",
        calibrate::Method::WholePath,
        options,
    )
    .map_err(interrupted)?;
    Ok(sim)
}

/// Runs a strategy as a counterfactual of a reference run: the same futures
/// (common random numbers: the same drawn inputs and the same luck, path by
/// path), each weighted as the reference's was by how closely it matched the
/// observed history. The history happened under the reference strategy, so
/// it is the reference's futures it selects; the strategy's run then says
/// how those same futures would have gone under the strategy. `weights` is
/// `None` when the reference was not conditioned (no history, or one too
/// implausible to use); the run is then left unconditioned too.
pub fn simulate_counterfactual(
    model: &Model,
    options: &RunOptions,
    weights: Option<&[f64]>,
) -> Result<Simulation, String> {
    let mut sim = engine::run(model, options).map_err(|_| "interrupted".to_string())?;
    if let Some(weights) = weights {
        calibrate::reweight_means(model, &mut sim, weights);
        sim.weights = Some(weights.to_vec());
    }
    Ok(sim)
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

fn paired(a: &Simulation, b: &Simulation, a_values: &[f64], b_values: &[f64]) -> Option<Estimate> {
    if a.weights != b.weights || a.paths != b.paths {
        return None;
    }
    Some(match &a.weights {
        None => stats::paired_difference(a_values, b_values),
        Some(weights) => Estimate::weighted(
            a_values
                .iter()
                .zip(b_values)
                .zip(weights)
                .map(|((x, y), w)| (y - x, *w)),
        ),
    })
}

fn independent_difference(a: Estimate, b: Estimate) -> Estimate {
    Estimate {
        value: b.value - a.value,
        standard_error: (a.standard_error.powi(2) + b.standard_error.powi(2)).sqrt(),
    }
}
