//! From paths to answers: percentile bands, target probabilities with their
//! Monte Carlo standard errors, and timing of first events.

pub mod answers;
pub mod regression;
pub mod selection;

use rayon::prelude::*;
use serde::Serialize;

use crate::calendar::Month;
use crate::model::{Metric, Model, Target};
use crate::sim::Simulation;
use crate::sim::order_key::key;
use crate::sim::outcome::{FIRST, IN_MONTH, NEVER};
use crate::sim::{Estimate, GATHER_BYTES, PercentileRule, ReferralValue};

/// The percentiles every band reports.
pub const PERCENTILES: [f64; 7] = [5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0];

/// Percentiles (type 7: linear between order statistics) of `values`,
/// which are sorted in place. A radix sort costs a few passes over the
/// column, less than repeated selection for seven percentiles.
pub fn percentiles(values: &mut [f32], wanted: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return vec![0.0; wanted.len()];
    }
    radsort::sort(values);
    wanted
        .iter()
        .map(|p| {
            let h = (n - 1) as f64 * p / 100.0;
            let lo = h.floor() as usize;
            let low = values[lo] as f64;
            let high = values[(lo + 1).min(n - 1)] as f64;
            low + (h - lo as f64) * (high - low)
        })
        .collect()
}

/// Weighted percentiles of `(value, weight)` pairs, which are reordered.
///
/// Each value owns the stretch of the cumulative weight its weight spans and
/// is flat over it, except for ramps of at most half an average weight at
/// either end, through which percentiles interpolate linearly to the
/// neighbouring value. With equal weights the ramps meet at the midpoints
/// (the Hazen rule); a path carrying most of the weight holds most
/// percentiles, as it should, instead of being smeared towards its
/// neighbours.
///
/// Cumulative weights are summed exactly, in fixed point (shares of the
/// total on a 2^-100 grid): the knots then do not depend on the order in
/// which equal values or bins are summed, which lets streaming mode find the
/// same percentiles bin by bin without storing the column
/// ([`crate::streaming::select`]).
pub fn weighted_percentiles(pairs: &mut [(f32, f64)], wanted: &[f64]) -> Vec<f64> {
    use crate::sim::order_key::{fixed, interpolate, ramp};
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    if pairs.is_empty() || total <= 0.0 {
        return vec![0.0; wanted.len()];
    }
    // A stable radix sort on the value: equal values sit next to each other
    // in path order, which decides whose weight sets a tie's outer ramps.
    radsort::sort_by_key(pairs, |pair| pair.0);
    // Walk the knots (two per value: where its ramp in ends and where its
    // ramp out starts) without storing them; `wanted` is ascending.
    let cap = fixed(0.5 / pairs.len() as f64);
    let knots = pairs.iter().scan(0u128, |before, &(value, weight)| {
        let w = fixed(weight / total);
        let r = ramp(w, cap);
        let knots = [(*before + r, value as f64), (*before + w - r, value as f64)];
        *before += w;
        Some(knots)
    });
    let mut knots = knots.flatten().peekable();
    let mut last: Option<(u128, f64)> = None;
    wanted
        .iter()
        .map(|&p| {
            let p = fixed(p / 100.0);
            while let Some(&knot) = knots.peek() {
                if knot.0 >= p {
                    break;
                }
                last = Some(knot);
                knots.next();
            }
            interpolate(p, last, knots.peek().copied())
        })
        .collect()
}

/// Paths that carry weight, with their weights; all paths equally when the
/// simulation is not calibrated. Paths of (next to) zero weight are skipped
/// so that calibrated statistics only sort what matters.
pub fn weighted_paths(sim: &Simulation) -> Vec<(usize, f64)> {
    kept(sim).collect()
}

/// [`weighted_paths`] without collecting them: for statistics that read
/// each path once or twice, in path order.
pub fn kept(sim: &Simulation) -> impl Iterator<Item = (usize, f64)> + Clone + '_ {
    let (weights, floor, uniform) = match &sim.weights {
        // Paths whose weight is below 1e-12 of the largest carry, all
        // together, less than 1e-7 of the mass (far below any Monte Carlo
        // error); leaving them out spares sorting them in every statistic.
        Some(weights) => (
            weights.as_slice(),
            weights.iter().copied().fold(0.0, f64::max) * 1e-12,
            0.0,
        ),
        None => (&[][..], 0.0, 1.0 / sim.paths.max(1) as f64),
    };
    let all = sim.weights.is_none();
    (0..sim.paths).filter_map(move |i| {
        if all {
            Some((i, uniform))
        } else {
            let w = weights[i];
            (w > floor).then_some((i, w))
        }
    })
}

/// The paths [`kept`] with their exact shares of the weight: what every
/// weighted column over them shares, built once.
pub struct KeptPaths {
    pub paths: Vec<usize>,
    pub shares: selection::Shares,
}

impl KeptPaths {
    pub fn of(sim: &Simulation) -> KeptPaths {
        let (paths, weights): (Vec<usize>, Vec<f64>) = kept(sim).unzip();
        KeptPaths {
            paths,
            shares: selection::Shares::new(&weights),
        }
    }

    /// Weighted percentiles (ascending `wanted`) of column `column` of
    /// `columns`, gathered over the kept paths.
    pub fn column_percentiles(&self, columns: &Columns, column: usize, wanted: &[f64]) -> Vec<f64> {
        let pieces = columns.pieces(column);
        selection::weighted_percentiles(selection::Pieces(&pieces), &self.shares, wanted)
    }

    /// Weighted percentiles (ascending `wanted`) of `value` over the kept
    /// paths.
    pub fn percentiles(&self, value: impl Fn(usize) -> f32, wanted: &[f64]) -> Vec<f64> {
        let keys: Vec<u32> = self.paths.iter().map(|&path| key(value(path))).collect();
        selection::weighted_percentiles(selection::Pieces(&[&keys]), &self.shares, wanted)
    }
}

/// Keys of a few columns over some paths, gathered in one parallel pass
/// (a path's values sit side by side in memory, so reading all the columns
/// of a path at once costs about one cache miss, not one per column).
pub struct Columns {
    columns: usize,
    /// Per run of paths: `[column][path in run]`.
    blocks: Vec<Vec<u32>>,
}

impl Columns {
    /// `value(path, column)` for every path of `paths` and column below
    /// `columns`.
    pub fn gather(
        paths: &[usize],
        columns: usize,
        value: impl Fn(usize, usize) -> f32 + Sync,
    ) -> Columns {
        let blocks = paths
            .par_chunks(gather_run(paths.len()))
            .map(|run| {
                let len = run.len();
                let mut block = vec![0u32; columns * len];
                for (i, &path) in run.iter().enumerate() {
                    for column in 0..columns {
                        block[column * len + i] = key(value(path, column));
                    }
                }
                block
            })
            .collect();
        Columns { columns, blocks }
    }

    /// One column, in pieces, in the order of the paths.
    pub fn pieces(&self, column: usize) -> Vec<&[u32]> {
        self.blocks
            .iter()
            .map(|block| {
                let len = block.len() / self.columns;
                &block[column * len..][..len]
            })
            .collect()
    }

    /// One column's values, in the order of the paths.
    pub fn values(&self, column: usize) -> impl Iterator<Item = f32> + Clone + '_ {
        self.pieces(column)
            .into_iter()
            .flat_map(|piece| piece.iter().map(|k| crate::sim::order_key::from_key(*k)))
    }
}

/// Percentiles of a metric in one month across paths, honouring weights
/// (`wanted` ascending).
pub fn column_percentiles(
    sim: &Simulation,
    metric: Metric,
    month: usize,
    wanted: &[f64],
) -> Vec<f64> {
    let column = crate::sim::columns::series_column(sim.months, metric, month);
    answers::answers(sim).percentiles(PercentileRule::of(sim), column, wanted)
}

/// Share of paths whose value of a metric in a month is at most `value`
/// (unweighted).
pub fn share_at_or_below(sim: &Simulation, metric: Metric, month: usize, value: f64) -> f64 {
    answers::answers(sim).share_at_or_below(metric, month, value)
}

/// Mean of a metric in one month across paths with its standard error,
/// honouring weights.
pub fn column_mean(sim: &Simulation, metric: Metric, month: usize) -> Estimate {
    match &sim.weights {
        None => Estimate::mean(sim.column(metric, month).map(f64::from)),
        Some(_) => kept_mean(
            sim,
            kept(sim).map(|(path, _)| sim.value(path, metric, month) as f64),
        ),
    }
}

/// The weighted mean of `values`, one per path [`kept`] in its order, with
/// its standard error: copies of one resampled path move together, so a
/// resampled population's error is clustered by ancestor.
pub fn kept_mean(sim: &Simulation, values: impl Iterator<Item = f64> + Clone) -> Estimate {
    let weighted = values.zip(kept(sim));
    match &sim.lineage {
        None => Estimate::weighted(weighted.map(|(value, (_, w))| (value, w))),
        Some(lineage) => {
            Estimate::clustered(weighted.map(|(value, (path, w))| (value, w, lineage.roots[path])))
        }
    }
}

/// Effective sample size `1 / sum w²` (the path count when unweighted).
pub fn effective_sample_size(sim: &Simulation) -> f64 {
    match &sim.weights {
        Some(weights) => {
            let sum_sq: f64 = weights.iter().map(|w| w * w).sum();
            if sum_sq > 0.0 { 1.0 / sum_sq } else { 0.0 }
        }
        None => sim.paths as f64,
    }
}

/// The smallest key whose cumulative weight reaches one half: the weighted
/// counterpart of the lower median that the unweighted code takes. Weights
/// are summed exactly (in fixed point) per key, so the order of the pairs
/// does not matter.
fn weighted_median<K: Ord + Copy>(pairs: impl Iterator<Item = (K, f64)> + Clone) -> Option<K> {
    use crate::sim::order_key::fixed;
    let total: f64 = pairs.clone().map(|p| p.1).sum();
    if total <= 0.0 {
        return None;
    }
    // Keys are few (months): a sorted list beats a tree.
    let mut by_key: Vec<(K, u128)> = Vec::new();
    for (key, w) in pairs {
        let w = fixed(w / total);
        match by_key.binary_search_by(|probe| probe.0.cmp(&key)) {
            Ok(i) => by_key[i].1 += w,
            Err(i) => by_key.insert(i, (key, w)),
        }
    }
    // A hair of tolerance so that rounding cannot skip a key that holds
    // exactly half the weight.
    let half = fixed(0.5 * (1.0 - 1e-12));
    let mut cumulative = 0u128;
    for (key, w) in &by_key {
        cumulative += w;
        if cumulative >= half {
            return Some(*key);
        }
    }
    by_key.last().map(|(key, _)| *key)
}

/// One metric's distribution in one month.
#[derive(Clone, Debug, Serialize)]
pub struct Band {
    pub month: Month,
    /// P5, P10, P25, P50, P75, P90, P95.
    pub percentiles: [f64; 7],
    pub mean: f64,
}

impl Band {
    pub fn p(&self, percentile: f64) -> f64 {
        let index = PERCENTILES
            .iter()
            .position(|p| *p == percentile)
            .expect("a reported percentile");
        self.percentiles[index]
    }
}

/// Bands for each metric, month by month.
pub fn bands(model: &Model, sim: &Simulation, metrics: &[Metric]) -> Vec<(Metric, Vec<Band>)> {
    let months = sim.months;
    if !sim.keeps_paths() {
        // Percentiles were selected while streaming; nothing to gather.
        return metrics
            .iter()
            .map(|&metric| {
                let bands = (0..months)
                    .map(|t| Band {
                        month: model.month(t),
                        percentiles: column_percentiles(sim, metric, t, &PERCENTILES)
                            .try_into()
                            .expect("seven"),
                        mean: sim.mean(metric, t),
                    })
                    .collect();
                (metric, bands)
            })
            .collect();
    }
    let kept = sim.weights.as_ref().map(|_| KeptPaths::of(sim));
    let all: Vec<usize>;
    let paths: &[usize] = match &kept {
        Some(kept) => &kept.paths,
        None => {
            all = (0..sim.paths).collect();
            &all
        }
    };
    let n = paths.len();
    // Keys are gathered a few metrics at a time, each path's months of
    // those metrics read side by side (a path's record is contiguous, so
    // this reads whole cache lines instead of one metric's months at a time
    // across the paths), with a bounded buffer.
    let per_metric = (months * n * 4).max(1);
    let groups = (metrics.len() * per_metric).div_ceil(GATHER_BYTES).max(1);
    let group_len = metrics.len().div_ceil(groups).max(1);
    let mut out = Vec::with_capacity(metrics.len());
    for group in metrics.chunks(group_len) {
        let columns = group.len() * months;
        // Runs of GATHER_RUN paths are gathered in parallel, each into its
        // own block, `[column][path in run]`, as [`Columns::gather`] does
        // (fresh memory is then paged in by every thread, not cleared by one
        // first), but copying each metric's months as a slice.
        let blocks: Vec<Vec<u32>> = paths
            .par_chunks(gather_run(paths.len()))
            .map(|run| {
                let len = run.len();
                let mut block = vec![0u32; columns * len];
                for (i, &path) in run.iter().enumerate() {
                    for (m, &metric) in group.iter().enumerate() {
                        for (t, value) in sim.path_series(path, metric).iter().enumerate() {
                            block[(m * months + t) * len + i] = key(*value);
                        }
                    }
                }
                block
            })
            .collect();
        let gathered = Columns { columns, blocks };
        let percentiles: Vec<Vec<f64>> = (0..columns)
            .into_par_iter()
            .map(|column| {
                let pieces = gathered.pieces(column);
                let pieces = selection::Pieces(&pieces);
                match &kept {
                    Some(kept) => {
                        selection::weighted_percentiles(pieces, &kept.shares, &PERCENTILES)
                    }
                    None => selection::percentiles_of(pieces, &PERCENTILES),
                }
            })
            .collect();
        for (m, &metric) in group.iter().enumerate() {
            let bands = (0..months)
                .map(|t| Band {
                    month: model.month(t),
                    percentiles: percentiles[m * months + t]
                        .clone()
                        .try_into()
                        .expect("seven"),
                    mean: sim.mean(metric, t),
                })
                .collect();
            out.push((metric, bands));
        }
    }
    out
}

/// Paths per parallel run of the gather in [`bands`], at most.
const GATHER_RUN: usize = 4096;

/// Paths per run when gathering `paths` paths: at most [`GATHER_RUN`], in
/// a number of runs that the threads share evenly (20,000 paths in five
/// runs kept one thread busy for three while the other did two). The
/// percentiles do not depend on how the paths are cut.
fn gather_run(paths: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let runs = paths.div_ceil(GATHER_RUN).div_ceil(threads) * threads;
    paths.div_ceil(runs.max(1)).max(1)
}

/// How a target fares across paths.
#[derive(Clone, Debug, Serialize)]
pub struct TargetResult {
    pub label: String,
    pub metric: Metric,
    pub threshold: f64,
    pub month: Month,
    /// P(metric >= threshold in the target month).
    pub in_month: Estimate,
    /// P(metric >= threshold in some month up to the target month).
    pub by_month: Estimate,
    /// The month by which half of the paths have first reached the threshold
    /// (searching the whole horizon); `None` when fewer than half ever do.
    pub median_first_month: Option<Month>,
    /// Share of paths that reach it at some point in the horizon.
    pub ever: Estimate,
}

pub fn target(model: &Model, sim: &Simulation, target: &Target) -> TargetResult {
    targets(model, sim, std::slice::from_ref(target)).remove(0)
}

/// [`target`] for several targets, reading each path once for all of them.
pub fn targets(model: &Model, sim: &Simulation, targets: &[Target]) -> Vec<TargetResult> {
    let outcomes = match &sim.weights {
        // Only the paths that carry weight are read.
        Some(_) => {
            let paths: Vec<usize> = kept(sim).map(|(path, _)| path).collect();
            Outcomes::over(sim, targets, &paths, true)
        }
        None => Outcomes::of(sim, targets),
    };
    targets
        .iter()
        .enumerate()
        .map(|(k, target)| outcomes.result(model, sim, target, k))
        .collect()
}

/// Every path's [`outcome`] against each of a few targets: what the target
/// statistics read, before and after calibration alike (weights do not
/// change outcomes), gathered in one pass over the paths.
pub struct Outcomes {
    targets: usize,
    /// `[row][target]`: a row per path, or per path [`kept`].
    outcomes: Vec<u16>,
    kept_only: bool,
}

impl Outcomes {
    /// Every path's outcomes.
    pub fn of(sim: &Simulation, targets: &[Target]) -> Outcomes {
        Outcomes::of_first(sim, targets, sim.paths)
    }

    /// The outcomes of the first `paths` paths, whose unweighted results
    /// are then those of these paths alone.
    pub fn of_first(sim: &Simulation, targets: &[Target], paths: usize) -> Outcomes {
        let first: Vec<usize> = (0..paths.min(sim.paths)).collect();
        Outcomes::over(sim, targets, &first, false)
    }

    /// The outcomes of `paths`: every path, or (`kept_only`) those [`kept`],
    /// which then serve weighted results only.
    fn over(sim: &Simulation, targets: &[Target], paths: &[usize], kept_only: bool) -> Outcomes {
        let mut outcomes = vec![0u16; paths.len() * targets.len()];
        if !targets.is_empty() {
            outcomes
                .par_chunks_mut(targets.len() * crate::engine::CHUNK)
                .zip(paths.par_chunks(crate::engine::CHUNK))
                .for_each(|(slots, paths)| {
                    for (slots, &path) in slots.chunks_mut(targets.len()).zip(paths) {
                        for (slot, target) in slots.iter_mut().zip(targets) {
                            *slot = sim.outcome(path, target);
                        }
                    }
                });
        }
        Outcomes {
            targets: targets.len(),
            outcomes,
            kept_only,
        }
    }

    #[inline]
    fn get(&self, row: usize, k: usize) -> u16 {
        self.outcomes[row * self.targets + k]
    }

    /// How target `k` (the `k`-th given to [`Outcomes::of`]) fares, honouring
    /// the simulation's weights.
    pub fn result(
        &self,
        model: &Model,
        sim: &Simulation,
        target: &Target,
        k: usize,
    ) -> TargetResult {
        if sim.weights.is_some() {
            return self.weighted(model, sim, target, k);
        }
        assert!(!self.kept_only, "outcomes of the kept paths only");
        let paths = self.outcomes.len() / self.targets;
        // Per path: in the month, and the first month reached (counted per
        // month, the last slot for never).
        let months = sim.months;
        let mut counts = vec![0usize; months + 2];
        for path in 0..paths {
            let outcome = self.get(path, k);
            counts[months + 1] += (outcome & IN_MONTH != 0) as usize;
            counts[((outcome & FIRST) as usize).min(months)] += 1;
        }
        let in_month = counts[months + 1];
        let by_month: usize = counts[..=target.month_index.min(months - 1)].iter().sum();
        let ever: usize = counts[..months].iter().sum();
        // The lower median of the first months (never counting as the
        // largest), from the counts.
        let median_first_month = if paths == 0 {
            None
        } else {
            let half = (paths - 1) / 2;
            let mut below = 0;
            (0..months)
                .find(|&t| {
                    below += counts[t];
                    below > half
                })
                .map(|t| model.month(t))
        };
        TargetResult {
            label: target.label.clone(),
            metric: target.metric,
            threshold: target.threshold,
            month: target.month,
            in_month: Estimate::proportion(in_month, paths),
            by_month: Estimate::proportion(by_month, paths),
            median_first_month,
            ever: Estimate::proportion(ever, paths),
        }
    }

    fn weighted(&self, model: &Model, sim: &Simulation, target: &Target, k: usize) -> TargetResult {
        let hit = |yes: bool| if yes { 1.0 } else { 0.0 };
        let outcomes: Vec<(u16, f64)> = kept(sim)
            .enumerate()
            .map(|(j, (path, w))| (self.get(if self.kept_only { j } else { path }, k), w))
            .collect();
        let ancestors: Option<Vec<u64>> = sim
            .lineage
            .as_ref()
            .map(|lineage| kept(sim).map(|(path, _)| lineage.roots[path]).collect());
        let estimate = |test: fn(u16, usize) -> bool| match &ancestors {
            None => Estimate::weighted(
                outcomes
                    .iter()
                    .map(|&(o, w)| (hit(test(o, target.month_index)), w)),
            ),
            Some(ancestors) => Estimate::clustered(
                outcomes
                    .iter()
                    .zip(ancestors)
                    .map(|(&(o, w), &a)| (hit(test(o, target.month_index)), w, a)),
            ),
        };
        let median_first_month = weighted_median(outcomes.iter().map(|&(o, w)| (o & FIRST, w)))
            .filter(|m| *m != NEVER)
            .map(|m| model.month(m as usize));
        TargetResult {
            label: target.label.clone(),
            metric: target.metric,
            threshold: target.threshold,
            month: target.month,
            in_month: estimate(|o, _| o & IN_MONTH != 0),
            by_month: estimate(|o, month| o & FIRST != NEVER && (o & FIRST) as usize <= month),
            median_first_month,
            ever: estimate(|o, _| o & FIRST != NEVER),
        }
    }
}

/// When cash first arrives.
#[derive(Clone, Debug, Serialize)]
pub struct FirstPayout {
    /// Share of paths with any payout inside the horizon.
    pub any: Estimate,
    /// Month by which half of the paths have been paid at least once.
    pub median_month: Option<Month>,
    /// Day of `median_month` by which half of the paths have been paid: the
    /// day the program paying first in the median future pays (0 if none).
    pub day: u32,
    /// That date, "YYYY-MM-DD".
    pub date: Option<String>,
    /// The programs whose schedule pays on that date.
    pub programs: Vec<String>,
    /// Every program's payout schedule and the day its cash arrives.
    pub schedules: Vec<PayoutDays>,
}

/// One program's payout day, in words and as data.
#[derive(Clone, Debug, Serialize)]
pub struct PayoutDays {
    pub program: String,
    /// As written in the scenario, e.g. "net-30".
    pub schedule: String,
    /// Months from the month commission is earned to the month it is paid
    /// (hold and schedule).
    pub lag_months: u32,
    pub day: crate::model::PayoutDay,
    /// "on the 30th of the month after the commission clears ...".
    pub when: String,
}

pub fn first_payout(model: &Model, sim: &Simulation) -> FirstPayout {
    let (any, median) = if sim.weights.is_some() {
        let pairs = kept(sim).map(|(path, w)| (sim.first_payout[path], w));
        let any = Estimate::weighted(
            pairs
                .clone()
                .map(|(m, w)| (if m != u16::MAX { 1.0 } else { 0.0 }, w)),
        );
        (any, weighted_median(pairs))
    } else {
        let mut dates: Vec<u16> = sim.first_payout.clone();
        let any = dates.iter().filter(|m| **m != u16::MAX).count();
        let median = if dates.is_empty() {
            None
        } else {
            let half = (dates.len() - 1) / 2;
            let (_, median, _) = dates.select_nth_unstable(half);
            Some(*median)
        };
        (Estimate::proportion(any, sim.paths), median)
    };
    let median = median
        .filter(|code| *code != u16::MAX)
        .map(crate::model::commission::payout_date);
    let median_month = median.map(|(month, _)| model.month(month));
    let day = median.map_or(0, |(_, day)| day);
    FirstPayout {
        any,
        median_month,
        day,
        date: median_month.map(|month| format!("{month}-{day:02}")),
        programs: median_month
            .map(|month| paying_on(model, sim, month, day))
            .unwrap_or_default(),
        schedules: model
            .programs
            .iter()
            .map(|program| PayoutDays {
                program: program.name.clone(),
                schedule: program.payout.label.clone(),
                lag_months: crate::model::commission::hold_months(program.hold_days)
                    + program.payout.lag_months,
                day: program.payout.day,
                when: program.payout.describe(),
            })
            .collect(),
    }
}

/// The programs whose schedule pays on `day` of `month`, leaving out those
/// that pay nothing that month in any future when the run kept the
/// breakdown by program (a program whose minimum is never reached).
fn paying_on(model: &Model, sim: &Simulation, month: Month, day: u32) -> Vec<String> {
    use crate::engine::{PROGRAM_SERIES, ProgramSeries};
    let months = model.months;
    let t = model.month_index(month).unwrap_or(0);
    model
        .programs
        .iter()
        .enumerate()
        .filter(|(p, program)| {
            let paid = sim
                .mean_by_program
                .get(p * PROGRAM_SERIES * months + ProgramSeries::Paid as usize * months + t);
            program.payout.day_in(month) == day && paid.is_none_or(|paid| *paid > 0.0)
        })
        .map(|(_, program)| program.name.clone())
        .collect()
}

/// Months over which "lifetime" is counted.
pub const LIFETIME_MONTHS: usize = 120;

/// Expected commission from one referral by plan, averaged over the paths'
/// uncertain inputs (at most `limit` paths). Counts first order, bounty,
/// renewals and refunds at base rates; ignores tiers and upgrades.
pub fn referral_values(model: &Model, sim: &Simulation, limit: usize) -> Vec<ReferralValue> {
    if sim.weights.is_some() {
        return sim
            .prefound_referral_values()
            .unwrap_or_else(|| weighted_referral_values(model, sim));
    }
    let n = sim.paths.min(limit).max(1);
    let mut out = Vec::new();
    for program in &model.programs {
        for plan in &program.plans {
            let mut first_year = Vec::with_capacity(n);
            let mut lifetime = Vec::with_capacity(n);
            let mut renewals = 0.0;
            let mut prices = Vec::with_capacity(n);
            let paths: Vec<usize> = (0..n.min(sim.paths)).collect();
            let values = referral_value_of_paths(program, plan, sim, &paths);
            for (path, &(value_12, value_life, expected_renewals)) in values.iter().enumerate() {
                let drawn = sim.parameters_of(path);
                first_year.push(value_12);
                lifetime.push(value_life);
                renewals += expected_renewals;
                prices.push(plan.price.get(drawn) as f32);
            }
            let price = percentiles(&mut prices, &[50.0])[0];
            out.push(ReferralValue {
                program: program.name.clone(),
                plan: plan.name.clone(),
                billing: plan.billing,
                price,
                first_year: Estimate::mean(first_year.into_iter()),
                lifetime: Estimate::mean(lifetime.into_iter()),
                expected_renewals: renewals / n as f64,
            });
        }
    }
    out
}

/// Calibrated paths cannot be thinned to the first `limit` (the weight may sit
/// elsewhere), so every path that carries weight is used.
fn weighted_referral_values(model: &Model, sim: &Simulation) -> Vec<ReferralValue> {
    let kept = KeptPaths::of(sim);
    let paths = weighted_paths(sim);
    let mut out = Vec::new();
    for program in &model.programs {
        for plan in &program.plans {
            let mut first_year = Vec::with_capacity(paths.len());
            let mut lifetime = Vec::with_capacity(paths.len());
            let mut renewals = 0.0;
            let mut total = 0.0;
            // Each path's value is independent: computed in parallel, summed
            // in path order so the result does not depend on the threads.
            let values = referral_value_of_paths(program, plan, sim, &kept.paths);
            for (&(_, w), &(value_12, value_life, expected_renewals)) in paths.iter().zip(&values) {
                first_year.push((value_12, w));
                lifetime.push((value_life, w));
                renewals += w * expected_renewals;
                total += w;
            }
            let price = kept.percentiles(
                |path| plan.price.get(sim.parameters_of(path)) as f32,
                &[50.0],
            );
            out.push(ReferralValue {
                program: program.name.clone(),
                plan: plan.name.clone(),
                billing: plan.billing,
                price: price[0],
                first_year: Estimate::weighted(first_year.into_iter()),
                lifetime: Estimate::weighted(lifetime.into_iter()),
                expected_renewals: if total > 0.0 { renewals / total } else { 0.0 },
            });
        }
    }
    out
}

/// (first 12 months, lifetime, expected renewals) for one parameter vector.
pub fn referral_value(
    program: &crate::model::Program,
    plan: &crate::model::Plan,
    drawn: &[f64],
) -> (f64, f64, f64) {
    referral_value_lanes(program, plan, [drawn])[0]
}

/// [`referral_value`] for `L` parameter vectors at once: each lane does
/// the very same arithmetic, but the lanes' chains of products and sums run
/// side by side instead of one after the other (the lifetime loop is a
/// chain of dependent multiplications, bound by latency).
fn referral_value_lanes<const L: usize>(
    program: &crate::model::Program,
    plan: &crate::model::Plan,
    drawn: [&[f64]; L],
) -> [(f64, f64, f64); L] {
    let price = drawn.map(|d| plan.price.get(d));
    let kept = drawn.map(|d| 1.0 - program.refund_rate.get(d));
    let mut year = [0.0; L];
    let mut life = [0.0; L];
    let mut renewals = [0.0; L];
    let mut survival = kept;
    for l in 0..L {
        let d = drawn[l];
        let first = kept[l] * (price[l] * program.first_order_rate.get(d) + program.bounty.get(d));
        year[l] = first;
        life[l] = first;
    }
    let mut renewal = [[0.0; L]; LIFETIME_MONTHS];
    plan.churn.renewal_table(drawn, &mut renewal[1..]);
    for (k, renewal) in renewal.iter().enumerate().skip(1) {
        for l in 0..L {
            let d = drawn[l];
            survival[l] *= renewal[l];
            let value = survival[l] * price[l] * program.recurring.rate(d, k);
            if k < 12 {
                year[l] += value;
            }
            life[l] += value;
            renewals[l] += survival[l];
        }
    }
    std::array::from_fn(|l| (year[l], life[l], renewals[l]))
}

/// [`referral_value`] for every path of `paths`, in order, in parallel.
fn referral_value_of_paths(
    program: &crate::model::Program,
    plan: &crate::model::Plan,
    sim: &Simulation,
    paths: &[usize],
) -> Vec<(f64, f64, f64)> {
    const LANES: usize = 4;
    // Copies of a resampled path sit side by side and share their inputs
    // (a value depends on nothing else): each run of them is valued once.
    let firsts: Vec<usize> = (0..paths.len())
        .filter(|&i| i == 0 || sim.parameters_of(paths[i]) != sim.parameters_of(paths[i - 1]))
        .collect();
    let distinct: Vec<usize> = firsts.iter().map(|&i| paths[i]).collect();
    let values: Vec<(f64, f64, f64)> = distinct
        .par_chunks(LANES)
        .with_min_len(64)
        .flat_map_iter(|chunk| match <[usize; LANES]>::try_from(chunk) {
            Ok(four) => {
                referral_value_lanes(program, plan, four.map(|p| sim.parameters_of(p))).to_vec()
            }
            Err(_) => chunk
                .iter()
                .map(|&p| referral_value(program, plan, sim.parameters_of(p)))
                .collect(),
        })
        .collect();
    let mut out = Vec::with_capacity(paths.len());
    for (k, (&first, value)) in firsts.iter().zip(&values).enumerate() {
        let end = firsts.get(k + 1).copied().unwrap_or(paths.len());
        out.extend(std::iter::repeat_n(*value, end - first));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let mut values: Vec<f32> = (0..=100).rev().map(|v| v as f32 - 50.0).collect();
        let p = percentiles(&mut values, &PERCENTILES);
        assert_eq!(p, vec![-45.0, -40.0, -25.0, 0.0, 25.0, 40.0, 45.0]);
        let mut few = vec![3.0f32, -1.0, 2.0];
        assert_eq!(
            percentiles(&mut few, &[25.0, 50.0, 90.0]),
            vec![0.5, 2.0, 2.8]
        );
        let mut one = vec![7.5f32];
        assert_eq!(percentiles(&mut one, &[5.0, 95.0]), vec![7.5, 7.5]);
        let mut signed = vec![-0.0f32, 0.0, -2.5, 1e9, -1e9];
        assert_eq!(percentiles(&mut signed, &[0.0, 100.0]), vec![-1e9, 1e9]);
    }

    #[test]
    fn weighted_percentiles_follow_the_weights() {
        // Equal weights: the median of 1..=5 is 3 and the extremes clamp.
        let mut pairs: Vec<(f32, f64)> = (1..=5).map(|v| (v as f32, 0.2)).collect();
        assert_eq!(
            weighted_percentiles(&mut pairs, &[0.0, 50.0, 100.0]),
            vec![1.0, 3.0, 5.0]
        );
        // Nearly all weight on one value: every central percentile is it.
        let mut pairs: Vec<(f32, f64)> = (0..50)
            .map(|i| (i as f32 / 10.0, 1e-4))
            .chain((0..50).map(|i| (8.0 + i as f32, 1e-4)))
            .chain([(7.0, 0.99)])
            .collect();
        let q = weighted_percentiles(&mut pairs, &[5.0, 50.0, 95.0]);
        assert!(q.iter().all(|v| (*v - 7.0).abs() < 1e-9), "{q:?}");
        // Zero total weight gives zeros, not NaN.
        let mut pairs = vec![(1.0, 0.0), (2.0, 0.0)];
        assert_eq!(weighted_percentiles(&mut pairs, &[50.0]), vec![0.0]);
    }

    #[test]
    fn weighted_estimates_match_the_unweighted_ones_for_equal_weights() {
        let hits = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let n = hits.len();
        let weighted = Estimate::weighted(hits.iter().map(|h| (*h, 1.0 / n as f64)));
        let plain = Estimate::proportion(3, n);
        assert!((weighted.value - plain.value).abs() < 1e-15);
        assert!((weighted.standard_error - plain.standard_error).abs() < 1e-15);
        assert_eq!(
            weighted_median(vec![(3u16, 0.2), (1, 0.3), (9, 0.5)].into_iter()),
            Some(3)
        );
        assert_eq!(
            weighted_median(vec![(3u16, 0.2), (1, 0.2), (9, 0.6)].into_iter()),
            Some(9)
        );
    }
}

/// Whether each path meets a target in its month.
pub fn hits(sim: &Simulation, target: &Target) -> Vec<bool> {
    (0..sim.paths)
        .map(|path| sim.value(path, target.metric, target.month_index) as f64 >= target.threshold)
        .collect()
}

/// The mean of `b - a` over paired paths (common random numbers), with the
/// standard error of the paired difference.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Estimate {
    Estimate::mean(a.iter().zip(b).map(|(a, b)| b - a))
}

/// Spearman rank correlation of two equally long samples (average ranks for ties).
pub fn rank_correlation(x: &[f64], y: &[f64]) -> f64 {
    weighted_rank_correlation(x, y, &vec![1.0; x.len()])
}

/// Spearman rank correlation over weighted samples: the Pearson correlation,
/// under the weights, of weighted mid-ranks (a sample's rank is the weight
/// below it plus half the weight of its ties). With integer weights it is
/// the plain rank correlation of the sample with each value repeated that
/// many times; with equal weights, [`rank_correlation`].
pub fn weighted_rank_correlation(x: &[f64], y: &[f64], weights: &[f64]) -> f64 {
    correlation_of_ranks(
        &weighted_ranks(x, weights),
        &weighted_ranks(y, weights),
        weights,
    )
}

/// [`weighted_rank_correlation`] from the samples' weighted mid-ranks
/// ([`weighted_ranks`]): one sample ranked once serves many correlations.
pub fn correlation_of_ranks(rx: &[f64], ry: &[f64], weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mean = |r: &[f64]| r.iter().zip(weights).map(|(r, w)| r * w).sum::<f64>() / total;
    let (mx, my) = (mean(rx), mean(ry));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for ((a, b), w) in rx.iter().zip(ry).zip(weights) {
        sxy += w * (a - mx) * (b - my);
        sxx += w * (a - mx) * (a - mx);
        syy += w * (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Each sample's weighted mid-rank: the weight below it plus half the
/// weight of its ties.
pub fn weighted_ranks(values: &[f64], weights: &[f64]) -> Vec<f64> {
    // A radix sort of (value, index) pairs: stable, so ties keep the
    // order of their indices, and without a comparison's random reads.
    let mut pairs: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
    radsort::sort_by_key(&mut pairs, |pair| pair.0);
    let order: Vec<usize> = pairs.into_iter().map(|pair| pair.1).collect();
    let mut ranks = vec![0.0; values.len()];
    let (mut i, mut below) = (0, 0.0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let tied: f64 = order[i..=j].iter().map(|&index| weights[index]).sum();
        for &index in &order[i..=j] {
            ranks[index] = below + tied / 2.0;
        }
        below += tied;
        i = j + 1;
    }
    ranks
}

#[cfg(test)]
mod correlation_tests {
    use super::*;

    #[test]
    fn rank_correlation_sees_monotone_links_and_ties() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((rank_correlation(&x, &[10.0, 20.0, 25.0, 100.0, 1000.0]) - 1.0).abs() < 1e-12);
        assert!((rank_correlation(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(rank_correlation(&x, &[1.0; 5]), 0.0);
        // Integer weights are repeated samples; zero weights drop out.
        let y = [1.0, 3.0, 2.0, 3.0, 5.0];
        let weights = [2.0, 1.0, 0.0, 3.0, 1.0];
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for ((a, b), w) in x.iter().zip(&y).zip(&weights) {
            for _ in 0..*w as usize {
                xs.push(*a);
                ys.push(*b);
            }
        }
        let repeated = rank_correlation(&xs, &ys);
        assert!((weighted_rank_correlation(&x, &y, &weights) - repeated).abs() < 1e-12);
        assert!(
            repeated.abs() > 0.1,
            "a case that tests something: {repeated}"
        );
        // Mid-ranks, half a unit below the textbook 1-based ones.
        assert_eq!(
            weighted_ranks(&[3.0, 1.0, 3.0], &[1.0; 3]),
            vec![2.0, 0.5, 2.0]
        );
    }
}
