//! Calibration: conditioning the projection on months already observed.
//!
//! Approximate Bayesian computation by importance weighting of whole prior
//! paths (docs/MODEL.md, section 10, states the method and its assumptions). Each
//! simulated path is weighted by a Gaussian kernel on the distance between
//! its observed-month series and the observations, on a signed log1p scale.
//! A path carries its parameters *and* its realised state (active referrals,
//! traffic, balances) into the future, so weighting whole paths conditions
//! both at once, and the weighted paths are the posterior predictive.

pub mod history;
pub mod precision;
pub mod sequential;

use rayon::prelude::*;
use serde::Serialize;

use crate::calendar::Month;
use crate::engine::path::Carried;
use crate::engine::{
    self, Branch, CHUNK, Cancelled, Layout, PathRecord, RunOptions, Workspace, path,
};
use crate::format::{count, input_value, money_or_count, percent};
use crate::model::{Metric, Model, Observed, Unit};
use crate::sim::Breakdown;
use crate::sim::Fit;
use crate::sim::Simulation;
use crate::stats;

/// Share of the paths the kernel bandwidth aims to keep as effective sample
/// size: small enough that the kernel is tight (close to exact conditioning),
/// large enough that percentiles and target odds keep a usable Monte Carlo
/// error (5,000 effective paths out of 100,000).
pub const TARGET_ESS_FRACTION: f64 = 0.05;
/// Narrowest bandwidth (per observation, log scale): dashboards round, and
/// the model is a model, so a match closer than about 5% is not evidence.
pub const MIN_BANDWIDTH: f64 = 0.05;
/// Widest bandwidth: beyond a factor of about 1.65 per observed value (one
/// kernel standard deviation) the weights no longer say which futures match.
pub const MAX_BANDWIDTH: f64 = 0.5;
/// Below this effective sample size, as a share of paths (and never fewer
/// than [`MIN_ESS`]), the history is called implausible and not used.
pub const MIN_ESS_FRACTION: f64 = 0.001;
pub const MIN_ESS: f64 = 20.0;
/// Weights below this fraction of the largest are set to zero: on q4 they
/// hold about a millionth of the total, far below Monte Carlo error, and
/// skipping them saves a quarter of the sorting and re-simulation.
const NEGLIGIBLE: f64 = 1e-6;

/// The scale on which observations and simulations are compared: relative
/// differences for large values, absolute ones near zero, defined for the
/// negative months that clawbacks can produce.
pub fn transform(value: f64) -> f64 {
    value.signum() * value.abs().ln_1p()
}

/// One observed value: a metric in a month of the horizon.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    pub metric: Metric,
    pub month: usize,
    pub value: f64,
}

/// The observed values that fall inside the horizon, in a fixed order.
pub fn points(model: &Model, observed: &Observed) -> Vec<Point> {
    let mut out = Vec::new();
    for (metric, values) in &observed.series {
        for (k, value) in values.iter().enumerate() {
            if !value.is_finite() {
                continue;
            }
            if let Some(month) = model.month_index(observed.start.plus(k as i32)) {
                out.push(Point {
                    metric: *metric,
                    month,
                    value: *value,
                });
            }
        }
    }
    out
}

/// Whether the model has observed history inside its horizon to condition
/// on.
pub fn has_history(model: &Model) -> bool {
    model
        .observed
        .as_ref()
        .is_some_and(|observed| !points(model, observed).is_empty())
}

/// The observations on the comparison scale, one per point.
pub fn targets(points: &[Point]) -> Vec<f64> {
    points.iter().map(|p| transform(p.value)).collect()
}

/// Squared distance of one path (its values given by `value`) from the
/// observations.
pub fn distance(points: &[Point], targets: &[f64], value: impl Fn(Metric, usize) -> f32) -> f64 {
    points
        .iter()
        .zip(targets)
        .map(|(p, target)| {
            let d = transform(value(p.metric, p.month) as f64) - target;
            d * d
        })
        .sum()
}

/// Squared distance of every path from the observations.
pub fn distances(sim: &Simulation, points: &[Point]) -> Vec<f64> {
    let targets = targets(points);
    (0..sim.paths)
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|path| {
            distance(points, &targets, |metric, month| {
                sim.value(path, metric, month)
            })
        })
        .collect()
}

/// Below this exponent a kernel weight is under [`NEGLIGIBLE`] (e^-14 is
/// 8.3e-7), so it is zero without computing the exponential: most paths,
/// in most of the bandwidth search.
const FAR: f64 = -14.0;

/// The kernel weight `e^exponent`, zero when negligible.
#[inline]
fn weight(exponent: f64) -> f64 {
    if exponent < FAR {
        return 0.0;
    }
    let w = exponent.exp();
    if w < NEGLIGIBLE { 0.0 } else { w }
}

/// Kernel weights for one bandwidth, normalised, into `weights`; returns
/// their effective sample size. Distances are shifted by their minimum so
/// that the closest path has weight one before normalising: no underflow to
/// all-zero, hence no NaN, however far the observations are.
fn kernel(distances: &[f64], floor: f64, bandwidth: f64, weights: &mut Vec<f64>) -> f64 {
    let scale = 0.5 / (bandwidth * bandwidth);
    weights.clear();
    weights.extend(distances.iter().map(|d| weight(-(d - floor) * scale)));
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    1.0 / weights.iter().map(|w| w * w).sum::<f64>()
}

/// The effective sample size `(Σ w)² / Σ w²` of the kernel weights for one
/// bandwidth, without storing them: the bisection below evaluates it some
/// twenty times. Summed over fixed chunks in order, so it does not depend
/// on the thread count.
fn kernel_ess(distances: &[f64], floor: f64, bandwidth: f64) -> f64 {
    let scale = 0.5 / (bandwidth * bandwidth);
    let sums: Vec<(f64, f64)> = distances
        .par_chunks(1 << 14)
        .map(|chunk| {
            chunk.iter().fold((0.0, 0.0), |(sum, sum_sq), d| {
                let exponent = -(d - floor) * scale;
                if exponent < FAR {
                    // Adding zero changes neither sum.
                    return (sum, sum_sq);
                }
                let w = weight(exponent);
                (sum + w, sum_sq + w * w)
            })
        })
        .collect();
    let (sum, sum_sq) = sums
        .iter()
        .fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
    sum * sum / sum_sq
}

/// Chooses the bandwidth whose effective sample size is the target (within
/// the bandwidth limits) by bisection on its logarithm; ESS grows with the
/// bandwidth, from the number of closest ties to the number of paths.
pub fn fit(distances: &[f64]) -> Fit {
    let n = distances.len();
    let target_ess = (TARGET_ESS_FRACTION * n as f64).max(1.0);
    let floor = distances.iter().copied().fold(f64::INFINITY, f64::min);
    let bandwidth = if kernel_ess(distances, floor, MIN_BANDWIDTH) >= target_ess {
        MIN_BANDWIDTH
    } else if kernel_ess(distances, floor, MAX_BANDWIDTH) <= target_ess {
        MAX_BANDWIDTH
    } else {
        let (mut lo, mut hi) = (MIN_BANDWIDTH.ln(), MAX_BANDWIDTH.ln());
        // 22 halvings of ln(0.5 / 0.05) pin the bandwidth to 1e-6 of
        // itself, far finer than the ESS target means.
        for _ in 0..22 {
            let mid = 0.5 * (lo + hi);
            if kernel_ess(distances, floor, mid.exp()) < target_ess {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // The upper end keeps the ESS at or just above the target.
        hi.exp()
    };
    let mut weights = Vec::with_capacity(n);
    let effective_sample_size = kernel(distances, floor, bandwidth, &mut weights);
    Fit {
        weights,
        effective_sample_size,
        bandwidth,
        target_ess,
    }
}

/// Whether a fit's effective sample size is large enough to use the history.
pub fn applies(fit: &Fit, paths: usize) -> bool {
    let n = paths as f64;
    let min_ess = (MIN_ESS_FRACTION * n).max(MIN_ESS).min(n);
    fit.effective_sample_size >= min_ess
}

/// Prior against posterior for one uncertain input.
#[derive(Clone, Debug, Serialize)]
pub struct InputShift {
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub prior_p5: f64,
    pub prior_median: f64,
    pub prior_p95: f64,
    pub posterior_p5: f64,
    pub posterior_median: f64,
    pub posterior_p95: f64,
    /// Move of the median as a share of the prior 90% interval's width.
    pub shift: f64,
    /// Posterior 90% width over prior 90% width.
    pub width_ratio: f64,
}

/// One observed value against what the scenario expected.
#[derive(Clone, Debug, Serialize)]
pub struct ObservedPoint {
    pub metric: Metric,
    pub month: Month,
    pub value: f64,
    pub prior_p1: f64,
    pub prior_median: f64,
    pub prior_p99: f64,
    /// Share of prior futures at or below the observed value.
    pub prior_share_below: f64,
    pub posterior_median: f64,
}

/// How conditioning on the history changed a target's odds.
#[derive(Clone, Debug, Serialize)]
pub struct TargetShift {
    pub label: String,
    /// P(metric >= threshold in the target month) under the assumptions alone.
    pub prior: crate::sim::Estimate,
    /// The same after conditioning on the history.
    pub posterior: crate::sim::Estimate,
}

use crate::model::Conditioning as Method;

/// What the sequential method did, when it ran.
#[derive(Clone, Debug, Serialize)]
pub struct SequentialReport {
    /// One step per observed month.
    pub generations: Vec<sequential::Generation>,
    /// Prior paths the conditioned ones descend from.
    pub distinct_ancestors: usize,
    /// Distinct sets of uncertain inputs among the conditioned paths.
    pub distinct_inputs: usize,
}

/// What calibration did, for the report and summary.json.
#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    /// Where the history came from: "scenario [observed]" or a file.
    pub source: String,
    pub first_month: Month,
    pub last_month: Month,
    /// Distinct months with at least one observation.
    pub months: usize,
    pub points: Vec<ObservedPoint>,
    pub paths: usize,
    pub effective_sample_size: f64,
    pub target_effective_sample_size: f64,
    /// Kernel standard deviation per observed value, on the log1p scale.
    pub bandwidth: f64,
    /// Set when the sequential method conditioned the paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialReport>,
    /// False when the history was too implausible to use: the projection is
    /// then the prior one, and `warnings` says so.
    pub applied: bool,
    pub inputs: Vec<InputShift>,
    pub targets: Vec<TargetShift>,
    /// Plain-words findings, as printed.
    pub sentences: Vec<String>,
    pub warnings: Vec<String>,
    /// What reading the history did silently (rows left out, ...).
    pub notes: Vec<String>,
}

/// The end of every simulate-then-calibrate (`affsim run` and the strategy
/// tools alike): conditions `sim` on the model's observed history by
/// `method` ([`calibrate_with`]), then, if the engine deferred the breakdown
/// by source and plan and calibration did not average it over the paths it
/// weights (no history, or history set aside), averages it over every path.
pub fn condition(
    model: &Model,
    sim: &mut Simulation,
    source: &str,
    method: Method,
    options: &RunOptions,
) -> Result<Option<Calibration>, Cancelled> {
    condition_releasing(model, sim, source, method, options, None)
}

/// [`condition`], the prior's series moved to `released` (if given) when a
/// conditioned population replaces them (see [`calibrate_with`]).
pub fn condition_releasing(
    model: &Model,
    sim: &mut Simulation,
    source: &str,
    method: Method,
    options: &RunOptions,
    released: Option<&mut Vec<f32>>,
) -> Result<Option<Calibration>, Cancelled> {
    let calibration = calibrate_releasing(model, sim, source, method, released);
    if sim.breakdown == Breakdown::Deferred {
        engine::average_breakdown(model, sim, options)?;
    }
    Ok(calibration)
}

/// Runs the model and conditions its paths on the model's history as
/// [`condition`] does, without the calibration report: what the strategy
/// tools need, many times over. When the sequential method will replace
/// the prior paths by a conditioned population, the prior is simulated
/// only through the last observed month (its later months would feed only
/// the report's odds before calibration); should the history be set aside
/// (too implausible), the prior is then simulated whole, as it is the
/// answer. The paths, weights and means are those of [`engine::run`] then
/// [`condition`], to the bit.
///
/// With `keep_states`, the conditioned population's states at the end of
/// the history come too, when they fit (see
/// [`sequential::STATE_BUDGET`]): the strategies that take over from then
/// on resume from them instead of replaying the history.
///
/// `options.until` stops the conditioned population after that many months
/// (a caller that reads one month needs no later ones); a prior that is
/// the answer (no history, or one set aside) is simulated whole.
pub fn simulate_conditioned(
    model: &Model,
    options: &RunOptions,
    keep_states: bool,
) -> Result<(Simulation, Option<Carried>), Cancelled> {
    let points = model
        .observed
        .as_ref()
        .map(|observed| points(model, observed))
        .unwrap_or_default();
    let until = prior_until(model);
    // The caller's `until` bounds the conditioned population; the prior
    // covers the history whatever it says, and is whole when it is the
    // answer.
    let population_until = options.until;
    let options = &RunOptions {
        until: None,
        ..*options
    };
    // The prior simulated whole, then conditioned (or not) as `run` does.
    let whole = || -> Result<(Simulation, Option<Carried>), Cancelled> {
        let mut sim = engine::run(model, options)?;
        let source = "the scenario's [observed]";
        condition(model, &mut sim, source, model.conditioning, options)?;
        Ok((sim, None))
    };
    let Some(until) = until else {
        return whole();
    };
    let mut prior = engine::run(
        model,
        &RunOptions {
            until: Some(until),
            ..*options
        },
    )?;
    let fit = fit(&distances(&prior, &points));
    if prior.paths == 0 || !applies(&fit, prior.paths) {
        return whole();
    }
    let population = sequential::condition(
        model,
        &mut prior,
        &points,
        fit.bandwidth,
        false,
        keep_states,
        population_until,
        None,
    )?;
    Ok((prior, population.states))
}

/// How far a prior needs simulating when the sequential method will
/// replace it by a conditioned population: through the last observed month.
/// `None` when it is needed whole: no history inside the horizon (or one
/// that reaches its end), whole-path weighting, or a strategy taking over
/// from a month (its prior runs the scenario before then).
pub fn prior_until(model: &Model) -> Option<usize> {
    let observed = model.observed.as_ref()?;
    points(model, observed)
        .iter()
        .map(|p| p.month + 1)
        .max()
        .filter(|&until| {
            until < model.months
                && model.conditioning == Method::Sequential
                && model.change_from.is_none()
        })
}

/// Conditions `sim` on `model.observed` by whole-path weighting (see
/// [`calibrate_with`]).
pub fn calibrate(model: &Model, sim: &mut Simulation, source: &str) -> Option<Calibration> {
    calibrate_with(model, sim, source, Method::WholePath)
}

/// Conditions `sim` on `model.observed`: sets `sim.weights` and reweights
/// `sim.mean*`; the sequential method (paths in memory) also replaces the
/// paths by the conditioned population. The bandwidth is the whole-path
/// one either way, so both methods target the same posterior. Returns
/// `None` (and leaves `sim` untouched, so every number is the prior one)
/// when there is nothing observed inside the horizon.
pub fn calibrate_with(
    model: &Model,
    sim: &mut Simulation,
    source: &str,
    method: Method,
) -> Option<Calibration> {
    calibrate_releasing(model, sim, source, method, None)
}

/// [`calibrate_with`]; when the sequential method replaces the prior paths
/// by a conditioned population, the prior's series are moved to `released`
/// (if given) instead of dropped.
fn calibrate_releasing(
    model: &Model,
    sim: &mut Simulation,
    source: &str,
    method: Method,
    released: Option<&mut Vec<f32>>,
) -> Option<Calibration> {
    let observed = model.observed.as_ref()?;
    let points = points(model, observed);
    if points.is_empty() || sim.paths == 0 {
        return None;
    }
    // Streaming mode fitted the weights during its passes (it needs them to
    // find the weighted percentiles); the fit is the same one.
    let fit = match sim.take_prefitted() {
        Some(fit) => fit,
        None => fit(&distances(sim, &points)),
    };
    let n = sim.paths as f64;
    let applied = applies(&fit, sim.paths);
    let sequential_applies = applied && method == Method::Sequential && sim.keeps_paths();
    if sim.whole_paths < sim.paths && !sequential_applies {
        // A prior trimmed after the history is the answer after all: its
        // paths are simulated whole (the same paths, to the bit).
        *sim = engine::run(
            model,
            &RunOptions {
                paths: Some(sim.paths),
                seed: Some(sim.seed),
                first_path: sim.first_path,
                breakdown: sim.breakdown,
                ..RunOptions::default()
            },
        )
        .expect("calibration is not cancelled");
    }

    let prior_points = prior_points(model, sim, &points);
    let mut months: Vec<usize> = points.iter().map(|p| p.month).collect();
    months.sort_unstable();
    months.dedup();
    let observed_months = months.len();

    let mut warnings = Vec::new();
    let mut sentences = Vec::new();
    for point in &prior_points {
        if point.value < point.prior_p1 || point.value > point.prior_p99 {
            let (direction, side) = if point.value < point.prior_p1 {
                ("low", "below")
            } else {
                ("high", "above")
            };
            warnings.push(format!(
                "In {} you observed {} {}; under the scenario's assumptions fewer than 1 in 100 futures are that {direction} (98% of them land between {} and {}). Check the scenario's assumptions for that month; the observation is {side} what they allow.",
                point.month.long(),
                money_or_count(point.metric, point.value),
                point.metric.phrase(),
                money_or_count(point.metric, point.prior_p1),
                money_or_count(point.metric, point.prior_p99),
            ));
        }
    }

    let first_month = model.month(months[0]);
    let last_month = model.month(*months.last().expect("non-empty"));
    let span = if observed_months == 1 {
        first_month.long()
    } else {
        format!("{} to {}", first_month.long(), last_month.long())
    };

    // Outcomes do not depend on the weights: read once, for the odds
    // before and after. A trimmed prior's odds come from its first paths,
    // those simulated to the horizon.
    let outcomes = stats::Outcomes::of_first(sim, &model.targets, sim.whole_paths);
    let prior_targets: Vec<_> = model
        .targets
        .iter()
        .enumerate()
        .map(|(k, t)| outcomes.result(model, sim, t, k))
        .collect();
    let Fit {
        weights,
        effective_sample_size,
        bandwidth,
        target_ess,
    } = fit;
    let fit = Fit {
        weights: Vec::new(),
        effective_sample_size,
        bandwidth,
        target_ess,
    };
    let mut sequential = None;
    let mut means_weighted = false;
    let mut weights = weights;
    if sequential_applies {
        let whole = sim.whole_paths == sim.paths;
        let population = sequential::condition(
            model,
            sim,
            &points,
            fit.bandwidth,
            whole,
            false,
            None,
            released,
        )
        .expect("calibration is not cancelled");
        weights = sim.weights.take().expect("conditioned");
        means_weighted = population.means_weighted;
        sequential = Some(SequentialReport {
            generations: population.generations,
            distinct_ancestors: population.distinct_ancestors,
            distinct_inputs: population.distinct_inputs,
        });
    }
    // The population's own outcomes, when it is not the prior's.
    let outcomes = if sequential.is_some() {
        stats::Outcomes::of(sim, &model.targets)
    } else {
        outcomes
    };
    if applied {
        if !means_weighted {
            reweight_means(model, sim, &weights);
        }
        sim.weights = Some(weights);
        if fit.effective_sample_size < fit.target_ess {
            warnings.push(format!(
                "Few simulated futures resemble your history: the projection rests on the equivalent of {} of {} futures (aim: {}), even with the loosest match allowed, so it leans towards the scenario's assumptions. Treat it with caution and check the assumptions, or run more paths (--paths).",
                count(fit.effective_sample_size.floor()),
                count(n),
                count(fit.target_ess.floor())
            ));
        }
    } else {
        warnings.insert(
            0,
            format!(
                "Your observed history ({span}) is implausible under the scenario's assumptions: not one simulated future comes close to it (effective sample size {:.1} of {} futures). The projection below therefore IGNORES your history and shows the scenario's assumptions alone. Revise the assumptions (traffic, click-through, conversion) until futures like yours become possible.",
                fit.effective_sample_size,
                count(n)
            ),
        );
    }

    // The kept paths and their shares, once for every weighted column below.
    let kept = sim.keeps_paths().then(|| stats::KeptPaths::of(sim));
    let inputs = shifts(model, sim, kept.as_ref());
    let targets: Vec<TargetShift> = model
        .targets
        .iter()
        .zip(prior_targets)
        .enumerate()
        .map(|(k, (target, prior))| TargetShift {
            label: target.label.clone(),
            prior: prior.in_month,
            posterior: outcomes.result(model, sim, target, k).in_month,
        })
        .collect();
    // After resampling every weight may be equal, so their spread says
    // nothing: the sequential method reports the number of independent
    // paths that would give its first target the standard error it has
    // (which accounts for the copies, see `stats::Outcomes`).
    let effective_sample_size = match (&sequential, targets.first()) {
        (Some(_), Some(first)) if first.posterior.standard_error > 0.0 => {
            let p = first.posterior.value;
            (p * (1.0 - p) / first.posterior.standard_error.powi(2)).clamp(1.0, n)
        }
        (Some(_), _) => stats::effective_sample_size(sim),
        (None, _) => fit.effective_sample_size,
    };
    // The observed columns in one pass over the kept paths.
    let observed = kept.as_ref().filter(|_| applied).map(|kept| {
        stats::Columns::gather(&kept.paths, points.len(), |path, i| {
            sim.value(path, points[i].metric, points[i].month)
        })
    });
    let posterior_points: Vec<ObservedPoint> = prior_points
        .into_par_iter()
        .enumerate()
        .map(|(i, mut point)| {
            if applied {
                let month = model.month_index(point.month).expect("inside");
                let wanted = [50.0];
                point.posterior_median = match (&kept, &observed) {
                    (Some(kept), Some(columns)) => kept.column_percentiles(columns, i, &wanted),
                    _ => stats::column_percentiles(sim, point.metric, month, &wanted),
                }[0];
            }
            point
        })
        .collect();

    if applied {
        let them = if observed_months == 1 {
            "Your observed month".to_string()
        } else {
            format!("Your {} observed months", words(observed_months))
        };
        let mut moved: Vec<&InputShift> = inputs.iter().filter(|s| s.shift.abs() >= 0.15).collect();
        moved.sort_by(|a, b| b.shift.abs().total_cmp(&a.shift.abs()));
        for shift in moved.iter().take(4) {
            sentences.push(format!(
                "{them} pulled the estimate of {} {} from {} to {}.",
                lower_first(&shift.label),
                if shift.shift > 0.0 { "up" } else { "down" },
                input_value(shift.unit, shift.prior_median),
                input_value(shift.unit, shift.posterior_median),
            ));
        }
        if moved.is_empty() {
            sentences.push(format!(
                "No single uncertain input moved much ({} cannot tell, say, a good click-through rate from good traffic), but together they rule out the futures that started much faster or much slower than yours.",
                lower_first_word(&them)
            ));
        }
        let narrowed: Vec<&InputShift> = inputs.iter().filter(|s| s.width_ratio < 0.75).collect();
        if !narrowed.is_empty() {
            let names: Vec<String> = narrowed.iter().map(|s| lower_first(&s.label)).collect();
            sentences.push(format!(
                "They narrowed the range of {}.",
                join_words(&names)
            ));
        }
        for shift in &targets {
            sentences.push(format!(
                "The chance of \u{201c}{}\u{201d} is now {} (the assumptions alone said {}).",
                shift.label,
                percent(shift.posterior.value),
                percent(shift.prior.value)
            ));
        }
        match &sequential {
            None => sentences.push(format!(
                "The projection keeps the simulated futures that resemble your history, weighted by how closely they match; it rests on the equivalent of {} of the {} futures (the effective sample size).",
                count(fit.effective_sample_size.floor()),
                count(n),
            )),
            Some(report) => sentences.push(format!(
                "The projection follows {} futures through your history month by month, copying those that match it and letting each copy go its own way ({} distinct sets of uncertain inputs, descended from {} of the futures first drawn); its first target's odds are as precise as {} independent futures would make them (the effective sample size).",
                count(n),
                count(report.distinct_inputs as f64),
                count(report.distinct_ancestors as f64),
                count(effective_sample_size.floor()),
            )),
        }
    }

    Some(Calibration {
        source: source.to_string(),
        first_month,
        last_month,
        months: observed_months,
        points: posterior_points,
        paths: sim.paths,
        effective_sample_size,
        target_effective_sample_size: fit.target_ess,
        bandwidth: fit.bandwidth,
        sequential,
        applied,
        inputs,
        targets,
        sentences,
        warnings,
        notes: Vec::new(),
    })
}

/// The wanted unweighted percentiles of an observed column.
pub const PRIOR_PERCENTILES: [f64; 3] = [1.0, 50.0, 99.0];

fn prior_points(model: &Model, sim: &Simulation, points: &[Point]) -> Vec<ObservedPoint> {
    // In memory, every observed column in one pass over the paths (they
    // usually share the paths' cache lines).
    let unweighted = sim.keeps_paths() && sim.weights.is_none();
    let columns = unweighted.then(|| {
        let all: Vec<usize> = (0..sim.paths).collect();
        stats::Columns::gather(&all, points.len(), |path, i| {
            sim.value(path, points[i].metric, points[i].month)
        })
    });
    points
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let (q, share_below) = match &columns {
                Some(columns) => (
                    stats::selection::percentiles_of(
                        stats::selection::Pieces(&columns.pieces(i)),
                        &PRIOR_PERCENTILES,
                    ),
                    columns.values(i).filter(|v| *v as f64 <= p.value).count() as f64
                        / sim.paths as f64,
                ),
                None => (
                    stats::column_percentiles(sim, p.metric, p.month, &PRIOR_PERCENTILES),
                    stats::share_at_or_below(sim, p.metric, p.month, p.value),
                ),
            };
            ObservedPoint {
                metric: p.metric,
                month: model.month(p.month),
                value: p.value,
                prior_p1: q[0],
                prior_median: q[1],
                prior_p99: q[2],
                prior_share_below: share_below,
                posterior_median: q[1],
            }
        })
        .collect()
}

/// The posterior percentiles reported for each uncertain input.
pub const INPUT_PERCENTILES: [f64; 3] = [5.0, 50.0, 95.0];

/// Prior (as specified) against posterior (weighted paths) for each scalar
/// uncertain input; with no weights the posterior is the sample prior.
pub fn input_shifts(model: &Model, sim: &Simulation) -> Vec<InputShift> {
    let kept = sim.keeps_paths().then(|| stats::KeptPaths::of(sim));
    shifts(model, sim, kept.as_ref())
}

/// [`input_shifts`], with the kept paths when in memory.
fn shifts(model: &Model, sim: &Simulation, kept: Option<&stats::KeptPaths>) -> Vec<InputShift> {
    // Every input's column in one pass over the kept paths.
    let columns = kept.map(|kept| {
        stats::Columns::gather(&kept.paths, model.inputs.len(), |path, i| {
            sim.parameters_of(path)[i] as f32
        })
    });
    model
        .inputs
        .par_iter()
        .enumerate()
        .map(|(i, input)| {
            let post = match (kept, &columns) {
                (Some(kept), Some(columns)) => {
                    kept.column_percentiles(columns, i, &INPUT_PERCENTILES)
                }
                _ => posterior_quantiles(sim, i, &INPUT_PERCENTILES),
            };
            let (p5, median, p95) = (
                input.dist.quantile(0.05),
                input.dist.median(),
                input.dist.quantile(0.95),
            );
            let width = p95 - p5;
            InputShift {
                key: input.key.clone(),
                label: input.label.clone(),
                unit: input.unit,
                prior_p5: p5,
                prior_median: median,
                prior_p95: p95,
                posterior_p5: post[0],
                posterior_median: post[1],
                posterior_p95: post[2],
                shift: if width > 0.0 {
                    (post[1] - median) / width
                } else {
                    0.0
                },
                width_ratio: if width > 0.0 {
                    (post[2] - post[0]) / width
                } else {
                    1.0
                },
            }
        })
        .collect()
}

/// Quantiles of parameter `index` across paths, honouring weights.
pub fn posterior_quantiles(sim: &Simulation, index: usize, wanted: &[f64]) -> Vec<f64> {
    let column = crate::sim::columns::parameter_column(sim.months, index);
    stats::answers::answers(sim).percentiles(crate::sim::PercentileRule::Weighted, column, wanted)
}

/// Paths below this fraction of the largest weight are left out of the
/// breakdown means (the rest renormalised): those re-simulated here, and
/// those sequential calibration sums as its population is simulated (where
/// the largest weight is the largest a path could have had). On q4 they
/// hold about 0.16% of the weight, well below the Monte Carlo error of the
/// means, and leaving them out halves the re-simulation.
pub const BREAKDOWN_FLOOR: f64 = 1e-3;

/// Recomputes `sim.mean`, `mean_by_source` and `mean_by_program` as weighted
/// means. `mean` comes from the stored series of every weighted path. The
/// breakdowns are not stored per path, so the heavier paths are re-simulated:
/// each path's streams depend only on (seed, path index) and its inputs are
/// stored, so the re-run reproduces it exactly (a run that skipped its
/// breakdown re-simulates nothing). Chunks are summed in order, so the
/// result does not depend on thread count.
pub fn reweight_means(model: &Model, sim: &mut Simulation, weights: &[f64]) {
    if let Some(means) = sim.take_posterior_means() {
        [sim.mean, sim.mean_by_source, sim.mean_by_program] = means;
        return;
    }
    let layout = Layout::new(model);
    let record = PathRecord::new(model);
    let lens = (
        record.series.len(),
        record.by_source.len(),
        record.by_program.len(),
    );
    let max = weights.iter().copied().fold(0.0, f64::max);
    // Without a breakdown to average, no path is re-simulated.
    let floor = if sim.breakdown == Breakdown::Skipped {
        f64::INFINITY
    } else {
        BREAKDOWN_FLOOR * max
    };
    let kept: f64 = weights.iter().filter(|w| **w > 0.0 && **w >= floor).sum();
    let mean = weighted_series_means(sim, weights);
    if floor.is_infinite() {
        sim.mean = mean;
        return;
    }
    let sim_ref = &*sim;
    let chunks: Vec<[Vec<f64>; 2]> = weights
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, weights)| {
            let mut sums = [vec![0.0; lens.1], vec![0.0; lens.2]];
            // Stopping leaves these means wrong; the command that asked
            // for them stops before using them.
            if crate::engine::stopping(None) {
                return sums;
            }
            let mut ws = Workspace::new(model, &layout);
            let mut record = PathRecord::new(model);
            for (i, w) in weights.iter().enumerate() {
                if *w == 0.0 || *w < floor {
                    continue;
                }
                let local = chunk * CHUNK + i;
                let stored = &sim_ref.series[local * lens.0..(local + 1) * lens.0];
                ws.drawn.copy_from_slice(sim_ref.parameters_of(local));
                let branch = match &sim_ref.lineage {
                    Some(lineage) => lineage.branch(local, model.months),
                    None => Branch::whole(sim_ref.first_path + local as u64, model.months),
                };
                layout.draw_base_parameters(model, sim_ref.seed, branch.path, &mut ws);
                path::simulate_branch(
                    model,
                    &layout,
                    sim_ref.seed,
                    &branch,
                    &mut ws,
                    &mut record,
                    true,
                );
                // The re-run must be the very path that was weighted.
                debug_assert!(
                    record
                        .series
                        .iter()
                        .zip(stored)
                        .all(|(a, b)| *a as f32 == *b),
                    "re-simulated path {local} differs from the stored one"
                );
                let share = w / kept;
                for (sum, values) in sums.iter_mut().zip([&record.by_source, &record.by_program]) {
                    for (s, v) in sum.iter_mut().zip(values) {
                        *s += share * v;
                    }
                }
            }
            sums
        })
        .collect();
    let mut totals = [vec![0.0; lens.1], vec![0.0; lens.2]];
    for sums in chunks {
        for (total, sum) in totals.iter_mut().zip(sums) {
            for (t, s) in total.iter_mut().zip(sum) {
                *t += s;
            }
        }
    }
    let [by_source, by_program] = totals;
    sim.mean = mean;
    sim.mean_by_source = by_source;
    sim.mean_by_program = by_program;
    sim.breakdown = Breakdown::Averaged;
}

/// The weighted means of the stored series, summed chunk by chunk in path
/// order and the chunks in order: the same bits for any thread count.
pub fn weighted_series_means(sim: &Simulation, weights: &[f64]) -> Vec<f64> {
    let len = sim.series.len().checked_div(sim.paths).unwrap_or(0);
    let chunks: Vec<Vec<f64>> = weights
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, weights)| {
            let mut sums = vec![0.0; len];
            for (i, w) in weights.iter().enumerate() {
                if *w == 0.0 {
                    continue;
                }
                let path = chunk * CHUNK + i;
                for (s, v) in sums
                    .iter_mut()
                    .zip(&sim.series[path * len..(path + 1) * len])
                {
                    *s += w * *v as f64;
                }
            }
            sums
        })
        .collect();
    let mut totals = vec![0.0; len];
    for sums in chunks {
        for (t, s) in totals.iter_mut().zip(sums) {
            *t += s;
        }
    }
    totals
}

fn words(n: usize) -> String {
    const NAMES: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    NAMES
        .get(n)
        .map_or_else(|| n.to_string(), |s| s.to_string())
}

fn lower_first(label: &str) -> String {
    // Labels read "Blog ...: click-through rate"; only a leading "Funnel"
    // style common noun is lowered, names of content keep their capitals.
    if let Some(rest) = label.strip_prefix("Funnel: ") {
        return format!("the funnel's {rest}");
    }
    label.to_string()
}

fn lower_first_word(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_weights_are_negligible_without_the_exponential() {
        assert!(FAR.exp() < NEGLIGIBLE);
        assert_eq!(weight(FAR - 1e-9), 0.0);
        assert_eq!(weight(-1.0), (-1.0f64).exp());
        // The bandwidth search and the final weights agree with a kernel
        // that computes every exponential.
        let distances: Vec<f64> = (0..50_000).map(|i| (i as f64 * 0.37) % 40.0).collect();
        let fit = fit(&distances);
        let floor = 0.0;
        let scale = 0.5 / (fit.bandwidth * fit.bandwidth);
        let plain: Vec<f64> = distances
            .iter()
            .map(|d| {
                let w = (-(d - floor) * scale).exp();
                if w < NEGLIGIBLE { 0.0 } else { w }
            })
            .collect();
        let total: f64 = plain.iter().sum();
        let plain: Vec<f64> = plain.iter().map(|w| w / total).collect();
        assert_eq!(fit.weights, plain);
    }
}
