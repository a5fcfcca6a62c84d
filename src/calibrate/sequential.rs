//! Sequential calibration: importance resampling month by month.
//!
//! Whole-path weighting (the parent module) multiplies, for every prior path,
//! one Gaussian kernel per observed value; with three observed months and a
//! tight kernel about 5% of the paths keep a useful weight. Here the same
//! kernels are applied one observed month at a time, and whenever the
//! weights have concentrated on fewer than half of the paths (their
//! effective sample size falls below `n / 2`) the paths are resampled:
//! systematic resampling copies each path about `n × weight` times, and each
//! copy continues from the next month with noise of its own. The weights on
//! the months before stay, as an equal share for every copy, so the target
//! is the same product of kernels as whole-path weighting: the same
//! posterior, with the paths spent where the history is plausible.
//!
//! No path's state is stored between months: a copy is replayed from its
//! ancestor's index, its inputs and the keys of its noise after each
//! resampling (see [`crate::engine::Branch`]). Keys are a hash of the
//! ancestor's key, the generation and the copy's rank among its siblings, and
//! resampling is a single in-order pass, so the population is the same for
//! any number of threads.
//!
//! Copies share their inputs. When resampling leaves fewer than half of the
//! paths with distinct inputs, a Metropolis move on the uncertain inputs
//! (kept or refused by the same kernels on every month observed so far, and
//! the prior density) spreads them again before the next month.
//!
//! docs/MODEL.md, section 10, states the method and its limits.

use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use super::{Point, distance, targets};
use crate::engine::path::Carried;
use crate::engine::rng::{mix, purpose, stream};
use crate::engine::{
    CHUNK, Cancelled, KeepStates, Layout, PathRecord, RunOptions, Weighed, Weighting, Workspace,
    path,
};
use crate::model::Model;
use crate::sim::Breakdown;
use crate::sim::Lineage;
use crate::sim::Simulation;

/// Resample when the effective sample size of the weights falls below this
/// share of the paths: the usual choice, which keeps resampling (and the
/// noise it adds) to the months where the weights have really concentrated.
pub const RESAMPLE_BELOW: f64 = 0.5;
/// The population's states at the end of the history are kept for the
/// strategies that resume from them when they take at most this many bytes
/// (about 60 000 of q4's paths); larger populations are replayed instead, to
/// the same bits.
pub const STATE_BUDGET: usize = 64 << 20;

/// Move the inputs when fewer than this share of paths have distinct ones.
pub const MOVE_BELOW: f64 = 0.5;
/// The random-walk step of the move, in posterior standard deviations of
/// each input, over the square root of the number of inputs: the classic
/// 2.38 / sqrt(d) for a roughly Gaussian target.
const MOVE_STEP: f64 = 2.38;

/// One observed month's step.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Generation {
    /// Month index within the horizon.
    pub month: usize,
    /// Effective sample size after weighting by this month, before any
    /// resampling.
    pub effective_sample_size: f64,
    pub resampled: bool,
    /// Share of moved paths whose move was kept, when the inputs were moved.
    pub move_acceptance: Option<f64>,
    /// Paths with distinct inputs after this step.
    pub distinct_inputs: usize,
}

/// How the population was conditioned.
#[derive(Debug)]
pub struct Population {
    /// Whether the run's means are already the population's weighted means
    /// (breakdown included): true once it was resampled or moved.
    pub means_weighted: bool,
    /// The paths' states at the end of the history, when kept.
    pub states: Option<Carried>,
    pub generations: Vec<Generation>,
    /// Distinct prior paths the population descends from.
    pub distinct_ancestors: usize,
    /// Distinct input sets among the paths that carry weight.
    pub distinct_inputs: usize,
}

/// Conditions the prior paths of `prior` (kept in memory, unweighted) on
/// `points` with kernel bandwidth `bandwidth`, month by month, and replaces
/// them by the conditioned population: as many paths, weights summing to
/// one, and their lineage. The prior's series are released before the
/// population is simulated, so the peak holds one set of series, not two.
/// A prior simulated only through the observed months (`prior_whole`
/// false) is always replaced, even when it was never resampled. With
/// `keep_states` (and no breakdown wanted), the population's states at the
/// end of the history are kept when they fit in [`STATE_BUDGET`], for the
/// strategies that take over from then on to resume from. With `until`,
/// the population is simulated through that many months only (and at
/// least through the history, whose last month weighs it). With
/// `released`, the prior's series are moved there instead of dropped when
/// the population replaces them (a caller that adds paths to the prior
/// later keeps it without a copy).
#[allow(clippy::too_many_arguments)]
pub fn condition(
    model: &Model,
    prior: &mut Simulation,
    points: &[Point],
    bandwidth: f64,
    prior_whole: bool,
    keep_states: bool,
    until: Option<usize>,
    released: Option<&mut Vec<f32>>,
) -> Result<Population, Cancelled> {
    assert!(prior.keeps_paths() && prior.weights.is_none());
    let n = prior.paths;
    let seed = prior.seed;
    let layout = Layout::new(model);
    let parameter_count = layout.parameters;
    let scale = 0.5 / (bandwidth * bandwidth);
    let mut months: Vec<usize> = points.iter().map(|p| p.month).collect();
    months.sort_unstable();
    months.dedup();

    let mut lineage = Lineage::prior(n);
    for root in &mut lineage.roots {
        *root += prior.first_path;
    }
    let mut parameters = prior.parameters.clone();
    // Log weight since the last resampling, and the squared distance over
    // every month observed so far (the move's acceptance needs it).
    let mut log_weights = vec![0.0f64; n];
    let mut so_far = vec![0.0f64; n];
    let mut generations = Vec::new();

    // The last observed month, when its paths must be replayed: the
    // population replays them anyway, so it weighs each path as it goes.
    let mut weighed_last: Option<(usize, Vec<Point>, Vec<f64>)> = None;
    for (g, &month) in months.iter().enumerate() {
        let now: Vec<Point> = points
            .iter()
            .filter(|p| p.month == month)
            .copied()
            .collect();
        let now_targets = targets(&now);
        let last = g + 1 == months.len();
        let stored = lineage.generations == 0 && parameters == prior.parameters;
        if last && !stored {
            weighed_last = Some((month, now, now_targets));
            break;
        }
        let distances: Vec<f64> = if stored {
            // Still the prior paths: their months are stored.
            (0..n)
                .into_par_iter()
                .with_min_len(CHUNK)
                .map(|i| distance(&now, &now_targets, |metric, t| prior.value(i, metric, t)))
                .collect()
        } else {
            replay_distances(model, &layout, seed, &lineage, &parameters, month + 1, &now)
        };
        for ((w, total), d) in log_weights.iter_mut().zip(&mut so_far).zip(&distances) {
            *w -= d * scale;
            *total += d;
        }
        let weights = normalise(&log_weights);
        let mut generation = Generation {
            month,
            effective_sample_size: effective_sample_size(&weights),
            resampled: false,
            move_acceptance: None,
            distinct_inputs: 0,
        };
        // The last month is not resampled: its weights carry over to the
        // forecast as they are, which adds no resampling noise.
        if !last
            && generation.effective_sample_size < RESAMPLE_BELOW * n as f64
            && month + 1 < model.months
        {
            let generation_key = mix(purpose("resample") ^ g as u64);
            let ancestors = systematic(&weights, stream(seed, generation_key, 0).random::<f64>());
            lineage = branch(&lineage, &ancestors, month + 1, g as u64);
            parameters = gather(&parameters, &ancestors, parameter_count);
            so_far = ancestors.iter().map(|&a| so_far[a]).collect();
            log_weights.fill(0.0);
            generation.resampled = true;
            if distinct_inputs(&parameters, parameter_count, None)
                < (MOVE_BELOW * n as f64) as usize
            {
                let observed: Vec<Point> = points
                    .iter()
                    .filter(|p| p.month <= month)
                    .copied()
                    .collect();
                generation.move_acceptance = Some(move_inputs(
                    model,
                    &layout,
                    seed,
                    &lineage,
                    &mut parameters,
                    &mut so_far,
                    &observed,
                    scale,
                    month,
                    g as u64,
                ));
            }
        }
        generation.distinct_inputs = distinct_inputs(&parameters, parameter_count, None);
        generations.push(generation);
    }

    let mut states = None;
    let means_weighted = !prior_whole || lineage.generations > 0 || parameters != prior.parameters;
    let weights = if means_weighted {
        // The prior's series are not needed any more: released before the
        // population's are simulated (or handed back).
        let series = std::mem::take(&mut prior.series);
        if let Some(released) = released {
            *released = series;
        }
        // Each path's weight is known once it has been simulated through
        // the history, so the population's breakdown is summed with those
        // weights as it is simulated: no path is simulated a second time
        // for its breakdown.
        let breakdown = match prior.breakdown {
            Breakdown::Skipped => Breakdown::Skipped,
            _ => Breakdown::Averaged,
        };
        let end_of_history = months.last().map_or(0, |last| last + 1);
        let keep = (keep_states
            && breakdown == Breakdown::Skipped
            && model.change_from.is_none()
            && end_of_history < model.months
            && until.is_none_or(|until| until >= model.months)
            && n * Carried::bytes_per_path(model, &layout, end_of_history) <= STATE_BUDGET)
            .then(|| KeepStates::new(model, n, end_of_history));
        // Weighing a path by the last observed month needs its months that
        // far, whatever month the caller stops at.
        let until = match weighed_last {
            Some(_) => until.map(|until| until.max(end_of_history)),
            None => until,
        };
        let log_weight = |index: usize, record: &PathRecord| match &weighed_last {
            Some((_, now, now_targets)) => {
                let d = distance(now, now_targets, |metric, t| record.get(metric, t) as f32);
                log_weights[index] - d * scale
            }
            None => log_weights[index],
        };
        // Distances are never negative, so no log weight rises above the
        // largest before the last month.
        let ceiling = log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let (mut population, weighed) = crate::engine::run_weighing(
            model,
            &RunOptions {
                paths: Some(n),
                seed: Some(seed),
                parameters: Some(&parameters),
                lineage: Some(&lineage),
                breakdown,
                keep_states: keep.as_ref(),
                until,
                ..RunOptions::default()
            },
            Weighting {
                log_weight: &log_weight,
                ceiling,
                breakdown_floor: super::BREAKDOWN_FLOOR,
            },
        )?;
        states = keep.map(KeepStates::into_states);
        let weights = normalise(&weighed.log_weights);
        finish_weighted_means(model, &mut population, &weights, &weighed, ceiling);
        if let Some((month, ..)) = weighed_last {
            generations.push(Generation {
                month,
                effective_sample_size: effective_sample_size(&weights),
                resampled: false,
                move_acceptance: None,
                // Inputs change only when a month resamples or moves them.
                distinct_inputs: match generations.last() {
                    Some(before) => before.distinct_inputs,
                    None => distinct_inputs(&parameters, parameter_count, None),
                },
            });
        }
        *prior = population;
        weights
    } else {
        // Never resampled: the prior paths themselves, weighted (the same
        // weights as whole-path weighting at this bandwidth).
        normalise(&log_weights)
    };
    let sim = prior;
    if sim.lineage.is_none() {
        sim.lineage = Some(std::sync::Arc::new(lineage));
    }
    let mut roots: Vec<u64> = sim
        .lineage
        .as_ref()
        .expect("set")
        .roots
        .iter()
        .zip(&weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(r, _)| *r)
        .collect();
    roots.sort_unstable();
    roots.dedup();
    let distinct = distinct_inputs(&sim.parameters, parameter_count, Some(&weights));
    sim.weights = Some(weights);
    Ok(Population {
        means_weighted,
        states,
        generations,
        distinct_ancestors: roots.len(),
        distinct_inputs: distinct,
    })
}

/// The population's means, once its weights are normalised: the series'
/// from the stored paths, the breakdown's from the sums the run made as it
/// simulated. Those left out the paths under [`super::BREAKDOWN_FLOOR`] of
/// the largest weight a path could have had; the heaviest path's weight
/// usually comes within a whisker of it, and if it falls short by more
/// than half, the sums left out too much and the breakdown is averaged
/// again from re-simulated paths, with the floor set by the heaviest.
fn finish_weighted_means(
    model: &Model,
    population: &mut Simulation,
    weights: &[f64],
    weighed: &Weighed,
    ceiling: f64,
) {
    population.mean = super::weighted_series_means(population, weights);
    if population.breakdown != Breakdown::Averaged {
        return;
    }
    let heaviest = weighed
        .log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    if weighed.breakdown_weight > 0.0 && heaviest - ceiling >= -std::f64::consts::LN_2 {
        let scale = 1.0 / weighed.breakdown_weight;
        for value in population
            .mean_by_source
            .iter_mut()
            .chain(&mut population.mean_by_program)
        {
            *value *= scale;
        }
    } else {
        population.breakdown = Breakdown::Deferred;
        super::reweight_means(model, population, weights);
    }
}

fn effective_sample_size(weights: &[f64]) -> f64 {
    1.0 / weights.iter().map(|w| w * w).sum::<f64>()
}

/// Normalised weights from log weights, shifted by their maximum (no
/// underflow to all-zero), those below [`super::NEGLIGIBLE`] of the largest
/// set to zero as whole-path weighting does.
fn normalise(log_weights: &[f64]) -> Vec<f64> {
    let top = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let mut weights: Vec<f64> = log_weights.iter().map(|w| super::weight(w - top)).collect();
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    weights
}

/// Systematic resampling: the ancestor of each of the `n` new paths, in
/// increasing order, for one uniform draw `u` in `[0, 1)`. Path `i` gets
/// `n × weight` copies, rounded up or down.
pub fn systematic(weights: &[f64], u: f64) -> Vec<usize> {
    let n = weights.len();
    let mut ancestors = Vec::with_capacity(n);
    let mut cumulative = 0.0;
    let mut i = 0;
    for k in 0..n {
        let position = (u + k as f64) / n as f64;
        while i + 1 < n && cumulative + weights[i] <= position {
            cumulative += weights[i];
            i += 1;
        }
        ancestors.push(i);
    }
    ancestors
}

/// The lineage after resampling: each new path inherits its ancestor's
/// switches and adds one at `from`, keyed by the ancestor's last key, the
/// generation and its rank among its siblings.
fn branch(old: &Lineage, ancestors: &[usize], from: usize, generation: u64) -> Lineage {
    let generations = old.generations + 1;
    let mut switches = Vec::with_capacity(ancestors.len() * generations);
    let mut roots = Vec::with_capacity(ancestors.len());
    let mut rank = 0u64;
    for (k, &a) in ancestors.iter().enumerate() {
        rank = if k > 0 && ancestors[k - 1] == a {
            rank + 1
        } else {
            0
        };
        let before = &old.switches[a * old.generations..(a + 1) * old.generations];
        let last_key = before.last().map_or(old.roots[a], |s| s.1);
        switches.extend_from_slice(before);
        let key = mix(mix(mix(last_key ^ purpose("child")) ^ generation) ^ rank);
        switches.push((from, key));
        roots.push(old.roots[a]);
    }
    Lineage {
        roots,
        generations,
        switches,
    }
}

fn gather(parameters: &[f64], ancestors: &[usize], count: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(ancestors.len() * count);
    for &a in ancestors {
        out.extend_from_slice(&parameters[a * count..(a + 1) * count]);
    }
    out
}

/// Paths with distinct inputs (among those with positive weight, if given).
fn distinct_inputs(parameters: &[f64], count: usize, weights: Option<&[f64]>) -> usize {
    if count == 0 {
        return 1;
    }
    let mut rows: Vec<&[f64]> = parameters
        .chunks(count)
        .enumerate()
        .filter(|(i, _)| weights.is_none_or(|w| w[*i] > 0.0))
        .map(|(_, row)| row)
        .collect();
    // In parallel: called after every resampling, on every path.
    rows.par_sort_unstable_by(|a, b| {
        a.iter()
            .zip(*b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    rows.dedup();
    rows.len()
}

/// Each path's squared distance from `points` (all in months before
/// `until`), replaying months `0..until` of its branch with `parameters`.
fn replay_distances(
    model: &Model,
    layout: &Layout,
    seed: u64,
    lineage: &Lineage,
    parameters: &[f64],
    until: usize,
    points: &[Point],
) -> Vec<f64> {
    let count = layout.parameters;
    let targets = targets(points);
    let n = lineage.len();
    (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut ws = Workspace::new(model, layout);
            let mut record = PathRecord::new(model);
            let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(n);
            range
                .map(|i| {
                    ws.drawn
                        .copy_from_slice(&parameters[i * count..(i + 1) * count]);
                    let branch = lineage.branch(i, until);
                    layout.draw_base_parameters(model, seed, branch.path, &mut ws);
                    path::simulate_branch(
                        model,
                        layout,
                        seed,
                        &branch,
                        &mut ws,
                        &mut record,
                        false,
                    );
                    distance(points, &targets, |metric, t| record.get(metric, t) as f32)
                })
                .collect::<Vec<f64>>()
        })
        .collect()
}

/// One Metropolis move of every path's uncertain inputs, its noise kept:
/// a Gaussian random walk scaled by the population's spread of each input,
/// kept with probability `min(1, prior ratio × kernel ratio)` over every
/// observed month up to `month`. The move leaves the conditioned
/// distribution unchanged, so the population stays a sample of it, with
/// more distinct inputs. Returns the share of moves kept.
#[allow(clippy::too_many_arguments)]
fn move_inputs(
    model: &Model,
    layout: &Layout,
    seed: u64,
    lineage: &Lineage,
    parameters: &mut [f64],
    so_far: &mut [f64],
    observed: &[Point],
    scale: f64,
    month: usize,
    generation: u64,
) -> f64 {
    let count = layout.parameters;
    let inputs = model.inputs.len();
    let n = lineage.len();
    if inputs == 0 || n < 2 {
        return 0.0;
    }
    // The spread of each input across the (equally weighted) paths.
    let spread: Vec<f64> = (0..inputs)
        .map(|i| {
            let mean = (0..n).map(|p| parameters[p * count + i]).sum::<f64>() / n as f64;
            let var = (0..n)
                .map(|p| (parameters[p * count + i] - mean).powi(2))
                .sum::<f64>()
                / (n - 1) as f64;
            var.sqrt() * MOVE_STEP / (inputs as f64).sqrt()
        })
        .collect();
    let move_key = purpose("move") ^ generation;
    // Proposals and the uniform of each acceptance, from the path's own
    // stream: the same for any thread count.
    let mut proposed = parameters.to_vec();
    let uniforms: Vec<f64> = proposed
        .par_chunks_mut(count)
        .enumerate()
        .map(|(p, row)| {
            let key = lineage
                .branch(p, 0)
                .switches
                .last()
                .map_or(lineage.roots[p], |s| s.1);
            let mut rng = stream(seed, key, move_key);
            for (value, step) in row[..inputs].iter_mut().zip(&spread) {
                let z: f64 = rng.sample(StandardNormal);
                *value += step * z;
            }
            rng.random::<f64>()
        })
        .collect();
    let prior_ratio: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|p| {
            model
                .inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    input.dist.ln_density(proposed[p * count + i])
                        - input.dist.ln_density(parameters[p * count + i])
                })
                .sum()
        })
        .collect();
    let distances = replay_distances(model, layout, seed, lineage, &proposed, month + 1, observed);
    let mut kept = 0usize;
    for p in 0..n {
        let log_ratio = prior_ratio[p] - (distances[p] - so_far[p]) * scale;
        if log_ratio.is_finite() && uniforms[p].ln() < log_ratio {
            parameters[p * count..(p + 1) * count]
                .copy_from_slice(&proposed[p * count..(p + 1) * count]);
            so_far[p] = distances[p];
            kept += 1;
        }
    }
    kept as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systematic_resampling_copies_in_proportion_to_weight() {
        let weights = [0.5, 0.0, 0.25, 0.25];
        assert_eq!(systematic(&weights, 0.5), vec![0, 0, 2, 3]);
        assert_eq!(systematic(&[0.25; 4], 0.1), vec![0, 1, 2, 3]);
        // Every path gets floor or ceil of n × weight copies.
        let weights: Vec<f64> = (1..=100).map(|i| i as f64 / 5050.0).collect();
        let ancestors = systematic(&weights, 0.37);
        for (i, w) in weights.iter().enumerate() {
            let copies = ancestors.iter().filter(|&&a| a == i).count() as f64;
            assert!((copies - 100.0 * w).abs() < 1.0, "path {i}: {copies}");
        }
    }

    /// The breakdown summed while simulating is the re-simulated one (to
    /// rounding) when the heaviest path comes close to the ceiling, and is
    /// re-simulated (to the bit) when it falls short by more than half.
    #[test]
    fn a_breakdown_summed_short_of_the_ceiling_is_averaged_again() {
        let model = crate::scenario::load(std::path::Path::new("scenarios/q4.toml"), &[])
            .expect("q4 loads")
            .model;
        let paths = 600;
        let options = RunOptions {
            paths: Some(paths),
            seed: Some(3),
            ..RunOptions::default()
        };
        let prior = crate::engine::run(
            &model,
            &RunOptions {
                breakdown: Breakdown::Deferred,
                ..options
            },
        )
        .expect("not cancelled");
        for shortfall in [0.1, 2.0] {
            let log_weight = |i: usize, _: &PathRecord| -((i % 7) as f64) - shortfall;
            let (mut population, weighed) = crate::engine::run_weighing(
                &model,
                &RunOptions {
                    parameters: Some(&prior.parameters),
                    breakdown: Breakdown::Averaged,
                    ..options
                },
                Weighting {
                    log_weight: &log_weight,
                    ceiling: 0.0,
                    breakdown_floor: super::super::BREAKDOWN_FLOOR,
                },
            )
            .expect("not cancelled");
            let weights = normalise(&weighed.log_weights);
            finish_weighted_means(&model, &mut population, &weights, &weighed, 0.0);
            let mut again = population.clone();
            again.breakdown = Breakdown::Deferred;
            super::super::reweight_means(&model, &mut again, &weights);
            assert_eq!(population.breakdown, Breakdown::Averaged);
            assert_eq!(population.mean, again.mean);
            for (summed, resimulated) in [
                (&population.mean_by_source, &again.mean_by_source),
                (&population.mean_by_program, &again.mean_by_program),
            ] {
                if shortfall > std::f64::consts::LN_2 {
                    assert_eq!(summed, resimulated);
                } else {
                    let largest = resimulated.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    assert!(summed.iter().zip(resimulated).any(|(a, b)| a != b));
                    for (a, b) in summed.iter().zip(resimulated) {
                        assert!((a - b).abs() <= 1e-12 * largest, "{a} against {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn siblings_get_distinct_keys() {
        let old = Lineage::prior(3);
        let new = branch(&old, &[0, 0, 2], 1, 0);
        assert_eq!(new.roots, vec![0, 0, 2]);
        let keys: Vec<u64> = new.switches.iter().map(|s| s.1).collect();
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[1], keys[2]);
        assert!(new.switches.iter().all(|s| s.0 == 1));
    }
}
