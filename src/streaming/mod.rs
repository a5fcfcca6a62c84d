//! Streaming mode: runs too large to keep every path's series.
//!
//! A path's random streams depend only on (seed, path index, purpose), so
//! simulating path i again gives the very same record. Instead of storing the
//! paths, streaming mode passes over them several times
//! ([`crate::engine::fold`]) and keeps only what the report needs:
//!
//! 1. The first pass simulates every path and keeps, per path, its
//!    first-payout month (2 bytes), its outcome for each target (2 bytes
//!    each), the few whole columns the report reads value by value (the
//!    totals at the horizon and the target chart's column, 4 bytes each) and,
//!    with observed history, its distance to the history (8 bytes, dropped
//!    after the fit). It sums the means in chunk order, exactly as the
//!    in-memory engine does, and histograms the top 11 bits of every column.
//! 2. With observed history, the kernel weights are fitted (8 bytes per path).
//! 3. Further passes refine the histograms ([`select`]) until every wanted
//!    percentile is known exactly; the first weighted pass also sums the
//!    posterior means and the referral values, the second their spread.
//!
//! Every number equals the in-memory one bit for bit: sums that the
//! in-memory code takes in path order are taken in path order here (chunks
//! are merged in order), percentiles are exact order statistics, and
//! weighted percentiles use exact cumulative weights in both modes.

pub mod select;

use crate::sim::columns::{parameter_column, series_column};

use std::collections::HashMap;

use crate::calibrate::{self, Point};
use crate::engine::{self, CHUNK, Cancelled, Layout, Need, RunOptions, Sums};
use crate::model::{Metric, Model};
use crate::sim::Breakdown;
use crate::sim::PercentileRule;
use crate::sim::ReferralValue;
use crate::sim::Simulation;
use crate::sim::estimate::WeightedSums;
use crate::sim::order_key::fixed;
use crate::sim::order_key::key;
use crate::sim::{Queries, StreamedAnswers};
use crate::stats::{self, PERCENTILES};
use select::{RankSelect, WeightSelect};

/// Paths whose drawn inputs are kept for the unweighted referral values,
/// which read only the first few thousand paths.
pub const REFERRAL_PATHS: usize = 4_000;

/// Observed columns kept whole (4 bytes per path each) when there are at
/// most this many; more are selected like the others.
const STORED_OBSERVED: usize = 4;

/// Columns read path by path rather than as percentiles: the report's
/// totals at the horizon (their means and standard errors follow path order),
/// then the columns the charts declared in `queries`.
pub fn kept_columns(model: &Model, queries: &Queries) -> Vec<usize> {
    let months = model.months;
    let mut columns = vec![
        series_column(months, Metric::CumulativeEarned, months - 1),
        series_column(months, Metric::CumulativePaid, months - 1),
    ];
    for &(metric, month) in &queries.columns {
        let column = series_column(months, metric, month);
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    columns
}

/// Every percentile of a series column the report and charts ask for: the
/// bands, and what the charts declared in `queries`.
pub fn wanted(model: &Model, queries: &Queries) -> Vec<(usize, f64)> {
    let months = model.months;
    let mut out = Vec::new();
    for metric in Metric::ALL {
        for t in 0..months {
            let column = series_column(months, metric, t);
            out.extend(PERCENTILES.iter().map(|p| (column, *p)));
            out.extend(
                queries
                    .percentiles
                    .iter()
                    .filter(|(m, month, _)| (*m, *month) == (metric, t))
                    .map(|(_, _, p)| (column, *p)),
            );
        }
    }
    dedup(out)
}

/// The first of each (column, percentile), in order. A set, not a scan of
/// what is kept: 600 months ask for ~100,000 percentiles, and a quadratic
/// scan of them took 20 s before the first path, deaf to Ctrl-C.
fn dedup(wanted: Vec<(usize, f64)>) -> Vec<(usize, f64)> {
    let mut seen = std::collections::HashSet::with_capacity(wanted.len());
    wanted
        .into_iter()
        .filter(|w| seen.insert((w.0, w.1.to_bits())))
        .collect()
}

/// The observed points inside the horizon, when the run is calibrated.
fn observed_points(model: &Model) -> Vec<Point> {
    model
        .observed
        .as_ref()
        .map(|observed| calibrate::points(model, observed))
        .unwrap_or_default()
}

/// The number of passes a run will make (for progress): three to find
/// percentiles, one more for weighted ones.
pub fn expected_passes(model: &Model) -> usize {
    if observed_points(model).is_empty() {
        3
    } else {
        4
    }
}

/// Bytes streaming mode needs at its peak for `paths` paths: what it keeps
/// per path (see the module comment), the selection tables of every thread,
/// the target chart's column, and a fixed allowance for the program.
///
/// The peak per path is the larger of two moments: the fit (distances and
/// weights, 16 bytes) and the target chart (the weights, 8 bytes, plus 24
/// bytes of (value, weight) pairs and sort buffer per path that carries
/// weight; about half the paths on calibrated runs, all of them otherwise).
pub fn memory_estimate(model: &Model, paths: usize, charts: bool, queries: &Queries) -> u64 {
    let layout = Layout::new(model);
    let series = layout.record_len();
    let calibrated = !observed_points(model).is_empty();
    let prices: usize = model.programs.iter().map(|p| p.plans.len()).sum();
    let columns = series + model.inputs.len() + prices;
    let kept = 2 + 2 * model.targets.len() + 4 * kept_columns(model, queries).len();
    let mut observed: Vec<(Metric, usize)> = observed_points(model)
        .iter()
        .map(|p| (p.metric, p.month))
        .collect();
    observed.sort_unstable_by_key(|(metric, month)| (metric.index(), *month));
    observed.dedup();
    // The observed columns, then the sort of one of them, while the
    // distances are held; or the fit; or the chart.
    let observed = if observed.len() <= STORED_OBSERVED {
        4 * observed.len() + 8 + 8
    } else {
        0
    };
    let moment = match (calibrated, charts) {
        // The chart's 8 + 12 bytes outweigh the fit's 16.
        (true, true) => (8 + 12).max(observed),
        (true, false) => 16.max(observed),
        (false, true) => 24,
        (false, false) => 0,
    };
    // Per thread: top-level histograms of every column (a count per bin;
    // with history also a fixed-point weight), and a sub-histogram per bin
    // holding a wanted percentile; neighbouring percentiles often share one,
    // hence the half.
    let selections = wanted(model, queries).len() + 3 * model.inputs.len() + prices;
    let per_thread = if calibrated {
        columns * 2048 * 24 + selections / 2 * 2048 * 20
    } else {
        columns * 2048 * 4 + selections / 2 * 2048 * 4
    };
    let threads = rayon::current_num_threads();
    (paths * (kept + moment) + threads * per_thread) as u64 + 40 * 1024 * 1024
}

/// Runs the model in streaming mode (see the module comment), working out
/// what `queries` asks besides the bands and the targets: a first pass over
/// every path, the fit to any history, then passes until every percentile,
/// weighted statistic and posterior mean is known.
pub fn run(
    model: &Model,
    options: &RunOptions,
    queries: &Queries,
) -> Result<Simulation, Cancelled> {
    assert!(options.parameters.is_none() && options.pins.is_empty());
    let plan = Plan::new(model, options.paths.unwrap_or(model.paths), queries);
    let mut rank = plan.rank_select();
    let mut first = first_pass(&plan, options, &mut rank)?;
    let prior = plan.prior_percentiles(std::mem::take(&mut first.observed_values));

    let fit = plan
        .calibrating
        .then(|| calibrate::fit(&std::mem::take(&mut first.distances)));
    let applied = fit
        .as_ref()
        .is_some_and(|fit| calibrate::applies(fit, plan.n));
    let weighting = Weighting::new(
        fit.as_ref()
            .filter(|_| applied)
            .map(|f| f.weights.as_slice()),
        plan.n,
    );
    let mut weighted = plan.weight_select(&mut rank, &weighting, applied);
    let mut later = Later::new(&plan, applied);
    while !later.finished(&rank, &weighted) {
        later_pass(
            &plan,
            options,
            &mut rank,
            &mut weighted,
            &weighting,
            &mut later,
            &mut first.means,
        )?;
    }
    let percentiles = found_percentiles(&rank, &weighted, prior);
    Ok(assemble(&plan, options, first, later, percentiles, fit))
}

/// What the passes over the paths look for, worked out from the model and
/// the queries before the first path.
struct Plan<'a> {
    model: &'a Model,
    /// Paths.
    n: usize,
    months: usize,
    /// Series columns: a path record's length.
    series: usize,
    /// Every column: the series, then the inputs, then each plan's price.
    columns: usize,
    /// `(program, plan)` of every plan, in the order of the price columns.
    plans: Vec<(usize, usize)>,
    points: Vec<Point>,
    calibrating: bool,
    distance_targets: Vec<f64>,
    /// Columns kept whole, one value per path.
    kept_columns: Vec<usize>,
    /// Percentiles of series columns the report and charts read.
    series_wanted: Vec<(usize, f64)>,
    /// The series column of each observed point.
    observed_columns: Vec<usize>,
    /// Observed columns kept whole (empty when there are too many).
    stored_observed: Vec<usize>,
    /// Lengths of a path record's series, breakdown by source and by program.
    record_lens: (usize, usize, usize),
}

impl<'a> Plan<'a> {
    fn new(model: &'a Model, n: usize, queries: &Queries) -> Plan<'a> {
        let months = model.months;
        let series = Layout::new(model).record_len();
        let plans: Vec<(usize, usize)> = model
            .programs
            .iter()
            .enumerate()
            .flat_map(|(p, program)| (0..program.plans.len()).map(move |k| (p, k)))
            .collect();
        let points = observed_points(model);
        let observed_columns: Vec<usize> = points
            .iter()
            .map(|p| series_column(months, p.metric, p.month))
            .collect();
        // A few observed columns are cheaper to keep than to select: the
        // passes after the fit then simulate only the paths that carry weight.
        let mut stored_observed: Vec<usize> = observed_columns.clone();
        stored_observed.sort_unstable();
        stored_observed.dedup();
        if stored_observed.len() > STORED_OBSERVED {
            stored_observed.clear();
        }
        let record = engine::PathRecord::new(model);
        Plan {
            model,
            n,
            months,
            series,
            columns: series + model.inputs.len() + plans.len(),
            plans,
            calibrating: !points.is_empty() && n > 0,
            distance_targets: calibrate::targets(&points),
            points,
            kept_columns: kept_columns(model, queries),
            series_wanted: wanted(model, queries),
            observed_columns,
            stored_observed,
            record_lens: (
                record.series.len(),
                record.by_source.len(),
                record.by_program.len(),
            ),
        }
    }

    fn price_column(&self, plan: usize) -> usize {
        self.series + self.model.inputs.len() + plan
    }

    /// The unweighted percentiles to select: the wanted ones, and the prior
    /// percentiles of observed columns that are not kept whole.
    fn rank_select(&self) -> RankSelect {
        let mut rank_wanted = self.series_wanted.clone();
        if self.stored_observed.is_empty() {
            for column in &self.observed_columns {
                rank_wanted.extend(calibrate::PRIOR_PERCENTILES.iter().map(|p| (*column, *p)));
            }
        }
        RankSelect::new(self.n, self.columns, dedup(rank_wanted))
    }

    /// The prior percentiles of the observed columns kept whole, as
    /// `calibrate::prior_points` takes them.
    fn prior_percentiles(&self, observed_values: Vec<Vec<f32>>) -> Vec<((usize, f64), f64)> {
        let mut prior = Vec::new();
        for (column, mut values) in self.stored_observed.iter().zip(observed_values) {
            let found = stats::percentiles(&mut values, &calibrate::PRIOR_PERCENTILES);
            prior.extend(
                calibrate::PRIOR_PERCENTILES
                    .iter()
                    .zip(found)
                    .map(|(p, value)| ((*column, *p), value)),
            );
        }
        prior
    }

    /// The weighted percentiles to select once the weights are known (and
    /// the prior ones of observed columns the weights no longer need).
    fn weight_select(
        &self,
        rank: &mut RankSelect,
        weighting: &Weighting,
        applied: bool,
    ) -> WeightSelect {
        let mut weighted_wanted: Vec<(usize, f64)> = Vec::new();
        if applied {
            weighted_wanted.extend(self.series_wanted.iter().copied());
            for (j, _) in self.plans.iter().enumerate() {
                weighted_wanted.push((self.price_column(j), 50.0));
            }
            let observed = &self.observed_columns;
            let stored = !self.stored_observed.is_empty();
            rank.retain(|column, p| {
                !stored && observed.contains(&column) && calibrate::PRIOR_PERCENTILES.contains(&p)
            });
        }
        if self.calibrating {
            for i in 0..self.model.inputs.len() {
                for p in calibrate::INPUT_PERCENTILES {
                    weighted_wanted.push((parameter_column(self.months, i), p));
                }
            }
        }
        WeightSelect::new(
            self.columns,
            &weighted_wanted,
            weighting.kept_count,
            weighting.total,
        )
    }
}

/// What the first pass keeps of every path.
struct FirstPass {
    first_payout: Vec<u16>,
    /// Per target, one outcome per path.
    outcomes: Vec<Vec<u16>>,
    /// Per kept column, one value per path.
    kept_values: Vec<Vec<f32>>,
    /// Distances to the history (calibrated runs; taken by the fit).
    distances: Vec<f64>,
    /// Per observed point, paths at or below its value.
    below: Vec<u64>,
    /// The inputs of the first [`REFERRAL_PATHS`] paths.
    parameters: Vec<f64>,
    /// Per stored observed column, one value per path.
    observed_values: Vec<Vec<f32>>,
    /// Means in path order (and the breakdown, when there is no history).
    means: Sums,
}

/// A chunk's share of [`FirstPass`].
struct FirstChunk {
    sums: Sums,
    scratch: Vec<f32>,
    first_payout: Vec<u16>,
    outcomes: Vec<Vec<u16>>,
    columns: Vec<Vec<f32>>,
    distances: Vec<f64>,
    below: Vec<u64>,
    parameters: Vec<f64>,
    observed: Vec<Vec<f32>>,
}

/// Pass 1: every path, everything kept per path, top-level histograms.
fn first_pass(
    plan: &Plan,
    options: &RunOptions,
    rank: &mut RankSelect,
) -> Result<FirstPass, Cancelled> {
    let (model, n, months) = (plan.model, plan.n, plan.months);
    let mut first = FirstPass {
        first_payout: Vec::with_capacity(n),
        outcomes: model
            .targets
            .iter()
            .map(|_| Vec::with_capacity(n))
            .collect(),
        kept_values: plan
            .kept_columns
            .iter()
            .map(|_| Vec::with_capacity(n))
            .collect(),
        distances: Vec::with_capacity(if plan.calibrating { n } else { 0 }),
        below: vec![0u64; plan.points.len()],
        parameters: Vec::new(),
        observed_values: plan
            .stored_observed
            .iter()
            .map(|_| Vec::with_capacity(n))
            .collect(),
        means: Sums::new(model, Breakdown::Skipped),
    };
    // A calibrated run averages the breakdown over the paths it weights, in
    // a later pass, or over every path if the history is set aside; the
    // first pass only needs it when there is no history.
    let first_breakdown = if plan.calibrating {
        Breakdown::Skipped
    } else {
        Breakdown::Averaged
    };
    let mut totals = Sums::new(model, first_breakdown);
    let rank_columns: Vec<usize> = (0..plan.series).filter(|c| rank.reads(*c)).collect();
    let rank_ref = &*rank;
    let tables = engine::fold(
        model,
        &RunOptions {
            breakdown: first_breakdown,
            ..*options
        },
        &|_| Need::Simulation,
        &|| rank_ref.table(),
        &|| FirstChunk {
            sums: Sums::new(model, first_breakdown),
            scratch: vec![0.0; plan.series],
            first_payout: Vec::with_capacity(CHUNK),
            outcomes: vec![Vec::with_capacity(CHUNK); model.targets.len()],
            columns: vec![Vec::with_capacity(CHUNK); plan.kept_columns.len()],
            distances: Vec::new(),
            below: vec![0; plan.points.len()],
            parameters: Vec::new(),
            observed: vec![Vec::with_capacity(CHUNK); plan.stored_observed.len()],
        },
        &|table, acc, index, drawn, record| {
            let record = record.expect("simulated");
            for (s, v) in acc.scratch.iter_mut().zip(&record.series) {
                *s = *v as f32;
            }
            let scratch = &acc.scratch;
            acc.sums.add_path(record);
            acc.first_payout
                .push(record.first_payout.unwrap_or(u16::MAX));
            for (codes, target) in acc.outcomes.iter_mut().zip(&model.targets) {
                let start = series_column(months, target.metric, 0);
                codes.push(crate::sim::outcome::outcome(
                    &scratch[start..start + months],
                    target,
                ));
            }
            for (values, column) in acc.columns.iter_mut().zip(&plan.kept_columns) {
                values.push(scratch[*column]);
            }
            if plan.calibrating {
                acc.distances.push(calibrate::distance(
                    &plan.points,
                    &plan.distance_targets,
                    |metric, month| scratch[series_column(months, metric, month)],
                ));
            }
            for ((count, point), column) in acc
                .below
                .iter_mut()
                .zip(&plan.points)
                .zip(&plan.observed_columns)
            {
                if scratch[*column] as f64 <= point.value {
                    *count += 1;
                }
            }
            if index < REFERRAL_PATHS {
                acc.parameters.extend_from_slice(drawn);
            }
            for (values, column) in acc.observed.iter_mut().zip(&plan.stored_observed) {
                values.push(scratch[*column]);
            }
            for &column in &rank_columns {
                rank_ref.visit(table, column, key(scratch[column]));
            }
        },
        &mut |_, acc| {
            totals.add(&acc.sums);
            first.first_payout.extend_from_slice(&acc.first_payout);
            for (all, chunk) in first.outcomes.iter_mut().zip(&acc.outcomes) {
                all.extend_from_slice(chunk);
            }
            for (all, chunk) in first.kept_values.iter_mut().zip(&acc.columns) {
                all.extend_from_slice(chunk);
            }
            first.distances.extend_from_slice(&acc.distances);
            for (all, count) in first.below.iter_mut().zip(&acc.below) {
                *all += count;
            }
            first.parameters.extend_from_slice(&acc.parameters);
            for (all, chunk) in first.observed_values.iter_mut().zip(&acc.observed) {
                all.extend_from_slice(chunk);
            }
        },
    )?;
    rank.advance(tables);
    first.means = totals.into_means(n);
    Ok(first)
}

/// The weights the fit gives, and the paths weighted statistics keep (as
/// `stats::kept` keeps them in memory).
struct Weighting<'w> {
    weights: Option<&'w [f64]>,
    floor: f64,
    uniform: f64,
    /// Paths kept, and their total weight.
    kept_count: usize,
    total: f64,
}

impl<'w> Weighting<'w> {
    fn new(weights: Option<&'w [f64]>, n: usize) -> Weighting<'w> {
        let mut weighting = Weighting {
            weights,
            floor: weights.map_or(0.0, |w| w.iter().copied().fold(0.0, f64::max) * 1e-12),
            uniform: 1.0 / n.max(1) as f64,
            kept_count: 0,
            total: 0.0,
        };
        (weighting.kept_count, weighting.total) =
            (0..n).fold((0usize, 0.0f64), |(count, total), i| {
                match weighting.kept(i) {
                    Some(w) => (count + 1, total + w),
                    None => (count, total),
                }
            });
        weighting
    }

    /// The weight of a path that weighted statistics keep.
    fn kept(&self, i: usize) -> Option<f64> {
        match self.weights {
            Some(weights) => (weights[i] > self.floor).then_some(weights[i]),
            None => Some(self.uniform),
        }
    }

    /// Whether a path carries any weight, and so must be simulated.
    fn simulated(&self, i: usize) -> bool {
        self.weights.is_none_or(|w| w[i] != 0.0)
    }
}

/// Sums of one plan's referral values over the kept paths: first year,
/// lifetime, weighted renewals, total weight.
type ReferralSums = (WeightedSums, WeightedSums, f64, f64);

/// What the passes after the first still owe, besides the percentiles.
struct Later {
    applied: bool,
    /// Posterior means (calibrated runs): sums in path order, as
    /// calibrate::reweight_means takes them.
    posterior: Option<[Vec<f64>; 3]>,
    referral: Vec<ReferralSums>,
    /// 0: nothing yet, 1: means summed, 2: spreads summed.
    referral_stage: usize,
    /// History set aside: the breakdown is averaged over every path, in the
    /// next pass, as the in-memory engine::average_breakdown does.
    prior_breakdown_due: bool,
    /// Passes made, the first included.
    passes: usize,
}

impl Later {
    fn new(plan: &Plan, applied: bool) -> Later {
        Later {
            applied,
            posterior: None,
            referral: vec![
                (
                    WeightedSums::default(),
                    WeightedSums::default(),
                    0.0f64,
                    0.0f64
                );
                plan.plans.len()
            ],
            referral_stage: if applied { 0 } else { 2 },
            prior_breakdown_due: plan.calibrating && !applied,
            passes: 1,
        }
    }

    fn finished(&self, rank: &RankSelect, weighted: &WeightSelect) -> bool {
        rank.done()
            && weighted.done()
            && !(self.applied && self.posterior.is_none())
            && self.referral_stage >= 2
            && !self.prior_breakdown_due
    }
}

/// A kept path's weight and, per plan, its referral values.
type Referral = (f64, Vec<(f64, f64, f64)>);

/// A chunk's share of a later pass.
struct LaterChunk {
    scratch: Vec<f32>,
    sums: [Vec<f64>; 3],
    prior: Option<Sums>,
    referral: Vec<Referral>,
}

/// A thread's selection tables in a later pass.
struct Tables {
    rank: select::Counts,
    weighted: select::Sums,
}

/// One pass after the first: refines the selections, and sums what `later`
/// still owes (posterior means, referral values and their spread, the prior
/// breakdown), simulating only the paths that need it.
fn later_pass(
    plan: &Plan,
    options: &RunOptions,
    rank: &mut RankSelect,
    weighted: &mut WeightSelect,
    weighting: &Weighting,
    later: &mut Later,
    means: &mut Sums,
) -> Result<(), Cancelled> {
    let (model, series, columns) = (plan.model, plan.series, plan.columns);
    let weights = weighting.weights;
    let breakdown_floor = weights.map_or(0.0, |w| {
        w.iter().copied().fold(0.0, f64::max) * calibrate::BREAKDOWN_FLOOR
    });
    let breakdown_kept: f64 = weights.map_or(0.0, |w| {
        w.iter()
            .filter(|w| **w > 0.0 && **w >= breakdown_floor)
            .sum()
    });
    let rank_columns: Vec<usize> = (0..series).filter(|c| rank.reads(*c)).collect();
    let weighted_columns: Vec<usize> = (0..columns).filter(|c| weighted.reads(*c)).collect();
    let weighted_series = weighted_columns.iter().any(|c| *c < series);
    let weighted_inputs = weighted_columns.iter().any(|c| *c >= series);
    let means_now = later.applied && later.posterior.is_none();
    let referral_now = later.referral_stage < 2;
    let prior_now = later.prior_breakdown_due;
    let referral_stage = later.referral_stage;
    let mut prior_totals = Sums::breakdown_only(model);
    let lens = plan.record_lens;
    let mut pass_means = [vec![0.0; lens.0], vec![0.0; lens.1], vec![0.0; lens.2]];
    let need = |i: usize| -> Need {
        if prior_now
            || !rank_columns.is_empty()
            || ((weighted_series || means_now) && weighting.simulated(i))
        {
            Need::Simulation
        } else if (weighted_inputs || referral_now) && weighting.kept(i).is_some() {
            Need::Parameters
        } else {
            Need::Skip
        }
    };
    let referral = &mut later.referral;
    let mut referral_merge = |chunk: &[Referral]| {
        for (w, values) in chunk {
            for (sums, &(year, life, renewals)) in referral.iter_mut().zip(values) {
                if referral_stage == 0 {
                    sums.0.add(year, *w);
                    sums.1.add(life, *w);
                    sums.2 += w * renewals;
                    sums.3 += w;
                } else {
                    if let Some(mean) = sums.0.mean() {
                        sums.0.add_spread(year, *w, mean);
                    }
                    if let Some(mean) = sums.1.mean() {
                        sums.1.add_spread(life, *w, mean);
                    }
                }
            }
        }
    };
    // Only the passes that average the breakdown pay for it.
    let breakdown = if means_now || prior_now {
        Breakdown::Averaged
    } else {
        Breakdown::Skipped
    };
    let (rank_ref, weighted_ref) = (&*rank, &*weighted);
    let tables = engine::fold(
        model,
        &RunOptions {
            breakdown,
            ..*options
        },
        &need,
        &|| Tables {
            rank: rank_ref.table(),
            weighted: weighted_ref.tables(),
        },
        &|| LaterChunk {
            scratch: vec![0.0; series],
            sums: if means_now {
                [vec![0.0; lens.0], vec![0.0; lens.1], vec![0.0; lens.2]]
            } else {
                [Vec::new(), Vec::new(), Vec::new()]
            },
            prior: prior_now.then(|| Sums::breakdown_only(model)),
            referral: Vec::new(),
        },
        &|tables, acc, index, drawn, record| {
            if let Some(record) = record {
                if let Some(prior) = &mut acc.prior {
                    prior.add_path(record);
                }
                for (s, v) in acc.scratch.iter_mut().zip(&record.series) {
                    *s = *v as f32;
                }
                for &column in &rank_columns {
                    rank_ref.visit(&mut tables.rank, column, key(acc.scratch[column]));
                }
                if means_now {
                    let w = weights.expect("calibrated")[index];
                    if w != 0.0 {
                        for (s, v) in acc.sums[0].iter_mut().zip(&acc.scratch) {
                            *s += w * *v as f64;
                        }
                        if w >= breakdown_floor {
                            let share = w / breakdown_kept;
                            for (sum, values) in acc.sums[1..]
                                .iter_mut()
                                .zip([&record.by_source, &record.by_program])
                            {
                                for (s, v) in sum.iter_mut().zip(values) {
                                    *s += share * v;
                                }
                            }
                        }
                    }
                }
            }
            let Some(w) = weighting.kept(index) else {
                return;
            };
            if !weighted_columns.is_empty() {
                let weight = fixed(w / weighting.total);
                for &column in &weighted_columns {
                    let value = if column < series {
                        acc.scratch[column]
                    } else if column < series + model.inputs.len() {
                        drawn[column - series] as f32
                    } else {
                        let (p, k) = plan.plans[column - series - model.inputs.len()];
                        model.programs[p].plans[k].price.get(drawn) as f32
                    };
                    weighted_ref.visit(&mut tables.weighted, column, key(value), index, weight);
                }
            }
            if referral_now {
                let values = plan
                    .plans
                    .iter()
                    .map(|&(p, k)| {
                        let program = &model.programs[p];
                        stats::referral_value(program, &program.plans[k], drawn)
                    })
                    .collect();
                acc.referral.push((w, values));
            }
        },
        &mut |_, acc| {
            if means_now {
                for (total, sum) in pass_means.iter_mut().zip(&acc.sums) {
                    for (t, s) in total.iter_mut().zip(sum) {
                        *t += s;
                    }
                }
            }
            if let Some(prior) = &acc.prior {
                prior_totals.add(prior);
            }
            if referral_now {
                referral_merge(&acc.referral);
            }
        },
    )?;
    later.passes += 1;
    let (ranks, sums): (Vec<_>, Vec<_>) = tables.into_iter().map(|t| (t.rank, t.weighted)).unzip();
    rank.advance(ranks);
    weighted.advance(sums);
    if means_now {
        later.posterior = Some(pass_means);
    }
    if referral_now {
        later.referral_stage += 1;
    }
    if prior_now {
        let prior = prior_totals.into_means(plan.n);
        means.by_source = prior.by_source;
        means.by_program = prior.by_program;
        later.prior_breakdown_due = false;
    }
    Ok(())
}

/// Every percentile the selections found, keyed as [`StreamedAnswers`] reads them.
fn found_percentiles(
    rank: &RankSelect,
    weighted: &WeightSelect,
    prior: Vec<((usize, f64), f64)>,
) -> HashMap<(PercentileRule, usize, u64), f64> {
    let mut percentiles = HashMap::new();
    for ((column, p), value) in rank.results().into_iter().chain(prior) {
        percentiles.insert((PercentileRule::Unweighted, column, p.to_bits()), value);
    }
    for ((column, p), value) in weighted.results() {
        percentiles.insert((PercentileRule::Weighted, column, p.to_bits()), value);
    }
    percentiles
}

/// The streamed run as a [`Simulation`]: what the passes found, in place of
/// the paths.
fn assemble(
    plan: &Plan,
    options: &RunOptions,
    first: FirstPass,
    later: Later,
    percentiles: HashMap<(PercentileRule, usize, u64), f64>,
    fit: Option<crate::sim::Fit>,
) -> Simulation {
    let model = plan.model;
    let referral_values = if later.applied {
        plan.plans
            .iter()
            .enumerate()
            .map(|(j, &(p, k))| {
                let (year, life, renewals, total) = later.referral[j];
                ReferralValue {
                    program: model.programs[p].name.clone(),
                    plan: model.programs[p].plans[k].name.clone(),
                    billing: model.programs[p].plans[k].billing,
                    price: percentiles[&(
                        PercentileRule::Weighted,
                        plan.price_column(j),
                        50f64.to_bits(),
                    )],
                    first_year: year.estimate(),
                    lifetime: life.estimate(),
                    expected_renewals: if total > 0.0 { renewals / total } else { 0.0 },
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let shares = plan
        .points
        .iter()
        .zip(&plan.observed_columns)
        .zip(&first.below)
        .map(|((point, column), count)| {
            (
                (*column, point.value.to_bits()),
                *count as f64 / plan.n as f64,
            )
        })
        .collect();
    let streamed = StreamedAnswers {
        columns: plan
            .kept_columns
            .iter()
            .copied()
            .zip(first.kept_values)
            .collect(),
        outcomes: model
            .targets
            .iter()
            .map(|t| (t.metric, t.month_index, t.threshold.to_bits()))
            .zip(first.outcomes)
            .collect(),
        percentiles,
        shares,
        fit,
        posterior_means: later.posterior,
        referral_values,
        months: plan.months,
        passes: later.passes,
    };
    Simulation {
        paths: plan.n,
        whole_paths: plan.n,
        months: plan.months,
        seed: options.seed.unwrap_or(model.seed),
        first_path: options.first_path,
        series: Vec::new(),
        parameters: first.parameters,
        parameter_count: Layout::new(model).parameters,
        first_payout: first.first_payout,
        mean: first.means.mean,
        mean_by_source: first.means.by_source,
        mean_by_program: first.means.by_program,
        breakdown: Breakdown::Averaged,
        weights: None,
        streamed_answers: Some(Box::new(streamed)),
        lineage: None,
    }
}
