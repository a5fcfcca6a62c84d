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

pub use crate::sim::columns::{parameter_column, series_column};

use std::collections::HashMap;

use crate::calibrate::{self, Point};
use crate::engine::{
    self, Breakdown, CHUNK, Cancelled, Layout, Need, RunOptions, Simulation, Sums,
};
use crate::model::{Metric, Model};
use crate::sim::{Queries, Streamed};
use crate::stats::{self, Flavour, PERCENTILES, ReferralValue, WeightedSums};
use select::{RankSelect, WeightSelect, fixed, key};

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
/// what `queries` asks besides the bands and the targets.
pub fn run(
    model: &Model,
    options: &RunOptions,
    queries: &Queries,
) -> Result<Simulation, Cancelled> {
    let n = options.paths.unwrap_or(model.paths);
    let seed = options.seed.unwrap_or(model.seed);
    assert!(options.parameters.is_none() && options.pins.is_empty());
    let months = model.months;
    let layout = Layout::new(model);
    let series = layout.record_len();
    let parameter_count = layout.parameters;
    let plans: Vec<(usize, usize)> = model
        .programs
        .iter()
        .enumerate()
        .flat_map(|(p, program)| (0..program.plans.len()).map(move |k| (p, k)))
        .collect();
    let columns = series + model.inputs.len() + plans.len();
    let price_column = |j: usize| series + model.inputs.len() + j;
    let points = observed_points(model);
    let calibrating = !points.is_empty() && n > 0;
    let distance_targets = calibrate::targets(&points);
    let kept_columns = kept_columns(model, queries);
    let series_wanted = wanted(model, queries);
    let observed_columns: Vec<usize> = points
        .iter()
        .map(|p| series_column(months, p.metric, p.month))
        .collect();
    // A few observed columns are cheaper to keep than to select: the passes
    // after the fit then simulate only the paths that carry weight.
    let mut stored_observed: Vec<usize> = observed_columns.clone();
    stored_observed.sort_unstable();
    stored_observed.dedup();
    if stored_observed.len() > STORED_OBSERVED {
        stored_observed.clear();
    }
    let mut rank_wanted = series_wanted.clone();
    if stored_observed.is_empty() {
        for column in &observed_columns {
            rank_wanted.extend(calibrate::PRIOR_PERCENTILES.iter().map(|p| (*column, *p)));
        }
    }
    let mut rank = RankSelect::new(n, columns, dedup(rank_wanted));
    let mut passes = 0;

    // Pass 1: every path, everything kept per path, top-level histograms.
    struct First {
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
    let mut first_payout: Vec<u16> = Vec::with_capacity(n);
    let mut outcomes: Vec<Vec<u16>> = model
        .targets
        .iter()
        .map(|_| Vec::with_capacity(n))
        .collect();
    let mut kept_values: Vec<Vec<f32>> =
        kept_columns.iter().map(|_| Vec::with_capacity(n)).collect();
    let mut distances: Vec<f64> = Vec::with_capacity(if calibrating { n } else { 0 });
    let mut below = vec![0u64; points.len()];
    let mut parameters: Vec<f64> = Vec::new();
    let mut observed_values: Vec<Vec<f32>> = stored_observed
        .iter()
        .map(|_| Vec::with_capacity(n))
        .collect();
    // A calibrated run averages the breakdown over the paths it weights, in
    // a later pass, or over every path if the history is set aside; the
    // first pass only needs it when there is no history.
    let first_breakdown = if calibrating {
        Breakdown::Skipped
    } else {
        Breakdown::Averaged
    };
    let mut totals = Sums::new(model, first_breakdown);
    let rank_columns: Vec<usize> = (0..series).filter(|c| rank.reads(*c)).collect();
    let tables = engine::fold(
        model,
        &RunOptions {
            breakdown: first_breakdown,
            ..*options
        },
        &|_| Need::Simulation,
        &|| rank.table(),
        &|| First {
            sums: Sums::new(model, first_breakdown),
            scratch: vec![0.0; series],
            first_payout: Vec::with_capacity(CHUNK),
            outcomes: vec![Vec::with_capacity(CHUNK); model.targets.len()],
            columns: vec![Vec::with_capacity(CHUNK); kept_columns.len()],
            distances: Vec::new(),
            below: vec![0; points.len()],
            parameters: Vec::new(),
            observed: vec![Vec::with_capacity(CHUNK); stored_observed.len()],
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
                codes.push(stats::outcome(&scratch[start..start + months], target));
            }
            for (values, column) in acc.columns.iter_mut().zip(&kept_columns) {
                values.push(scratch[*column]);
            }
            if calibrating {
                acc.distances.push(calibrate::distance(
                    &points,
                    &distance_targets,
                    |metric, month| scratch[series_column(months, metric, month)],
                ));
            }
            for ((count, point), column) in acc.below.iter_mut().zip(&points).zip(&observed_columns)
            {
                if scratch[*column] as f64 <= point.value {
                    *count += 1;
                }
            }
            if index < REFERRAL_PATHS {
                acc.parameters.extend_from_slice(drawn);
            }
            for (values, column) in acc.observed.iter_mut().zip(&stored_observed) {
                values.push(scratch[*column]);
            }
            for &column in &rank_columns {
                rank.visit(table, column, key(scratch[column]));
            }
        },
        &mut |_, acc| {
            totals.add(&acc.sums);
            first_payout.extend_from_slice(&acc.first_payout);
            for (all, chunk) in outcomes.iter_mut().zip(&acc.outcomes) {
                all.extend_from_slice(chunk);
            }
            for (all, chunk) in kept_values.iter_mut().zip(&acc.columns) {
                all.extend_from_slice(chunk);
            }
            distances.extend_from_slice(&acc.distances);
            for (all, count) in below.iter_mut().zip(&acc.below) {
                *all += count;
            }
            parameters.extend_from_slice(&acc.parameters);
            for (all, chunk) in observed_values.iter_mut().zip(&acc.observed) {
                all.extend_from_slice(chunk);
            }
        },
    )?;
    passes += 1;
    rank.advance(tables);
    let mut means = totals.into_means(n);
    // The prior percentiles of the stored observed columns, as
    // calibrate::prior_points takes them; then the columns go.
    let mut prior: Vec<((usize, f64), f64)> = Vec::new();
    for (column, mut values) in stored_observed
        .iter()
        .zip(std::mem::take(&mut observed_values))
    {
        let found = stats::percentiles(&mut values, &calibrate::PRIOR_PERCENTILES);
        prior.extend(
            calibrate::PRIOR_PERCENTILES
                .iter()
                .zip(found)
                .map(|(p, value)| ((*column, *p), value)),
        );
    }

    // The fit, and what it leaves to find.
    let fit = calibrating.then(|| calibrate::fit(&distances));
    drop(distances);
    let applied = fit.as_ref().is_some_and(|fit| calibrate::applies(fit, n));
    let weights: Option<&[f64]> = fit
        .as_ref()
        .filter(|_| applied)
        .map(|f| f.weights.as_slice());
    let floor = weights.map_or(0.0, |w| w.iter().copied().fold(0.0, f64::max) * 1e-12);
    let uniform = 1.0 / n.max(1) as f64;
    // The weight of a path that weighted statistics keep (as stats::kept).
    let kept = |i: usize| -> Option<f64> {
        match weights {
            Some(weights) => (weights[i] > floor).then_some(weights[i]),
            None => Some(uniform),
        }
    };
    let simulated = |i: usize| weights.is_none_or(|w| w[i] != 0.0);
    let (kept_count, total) = (0..n).fold((0usize, 0.0f64), |(count, total), i| match kept(i) {
        Some(w) => (count + 1, total + w),
        None => (count, total),
    });
    let mut weighted_wanted: Vec<(usize, f64)> = Vec::new();
    if applied {
        weighted_wanted.extend(series_wanted.iter().copied());
        for (j, _) in plans.iter().enumerate() {
            weighted_wanted.push((price_column(j), 50.0));
        }
        let observed = observed_columns.clone();
        let stored = !stored_observed.is_empty();
        rank.retain(|column, p| {
            !stored && observed.contains(&column) && calibrate::PRIOR_PERCENTILES.contains(&p)
        });
    }
    if calibrating {
        for i in 0..model.inputs.len() {
            for p in calibrate::INPUT_PERCENTILES {
                weighted_wanted.push((parameter_column(months, i), p));
            }
        }
    }
    let mut weighted = WeightSelect::new(columns, &weighted_wanted, kept_count, total);

    // Posterior means and referral values (calibrated runs only): sums in
    // path order, as calibrate::reweight_means and
    // stats::weighted_referral_values take them.
    let breakdown_floor = weights.map_or(0.0, |w| {
        w.iter().copied().fold(0.0, f64::max) * calibrate::BREAKDOWN_FLOOR
    });
    let breakdown_kept: f64 = weights.map_or(0.0, |w| {
        w.iter()
            .filter(|w| **w > 0.0 && **w >= breakdown_floor)
            .sum()
    });
    let mut posterior: Option<[Vec<f64>; 3]> = None;
    let mut referral = vec![
        (
            WeightedSums::default(),
            WeightedSums::default(),
            0.0f64,
            0.0f64
        );
        plans.len()
    ];
    // 0: nothing yet, 1: means summed, 2: spreads summed.
    let mut referral_stage = if applied { 0 } else { 2 };
    // History set aside: the breakdown is averaged over every path, in the
    // next pass, as the in-memory engine::average_breakdown does.
    let mut prior_breakdown_due = calibrating && !applied;

    /// A kept path's weight and, per plan, its referral values.
    type Referral = (f64, Vec<(f64, f64, f64)>);
    struct Chunk {
        scratch: Vec<f32>,
        sums: [Vec<f64>; 3],
        prior: Option<Sums>,
        referral: Vec<Referral>,
    }
    struct Tables {
        rank: select::Counts,
        weighted: select::Sums,
    }
    let record_lens = {
        let record = engine::PathRecord::new(model);
        (
            record.series.len(),
            record.by_source.len(),
            record.by_program.len(),
        )
    };
    while !rank.done()
        || !weighted.done()
        || (applied && posterior.is_none())
        || referral_stage < 2
        || prior_breakdown_due
    {
        let rank_columns: Vec<usize> = (0..series).filter(|c| rank.reads(*c)).collect();
        let weighted_columns: Vec<usize> = (0..columns).filter(|c| weighted.reads(*c)).collect();
        let weighted_series = weighted_columns.iter().any(|c| *c < series);
        let weighted_inputs = weighted_columns.iter().any(|c| *c >= series);
        let means_now = applied && posterior.is_none();
        let referral_now = referral_stage < 2;
        let prior_now = prior_breakdown_due;
        let mut prior_totals = Sums::breakdown_only(model);
        let lens = record_lens;
        let mut pass_means = [vec![0.0; lens.0], vec![0.0; lens.1], vec![0.0; lens.2]];
        let mut means_by_chunk = |sums: &[Vec<f64>; 3]| {
            for (total, sum) in pass_means.iter_mut().zip(sums) {
                for (t, s) in total.iter_mut().zip(sum) {
                    *t += s;
                }
            }
        };
        let need = |i: usize| -> Need {
            if prior_now
                || !rank_columns.is_empty()
                || ((weighted_series || means_now) && simulated(i))
            {
                Need::Simulation
            } else if (weighted_inputs || referral_now) && kept(i).is_some() {
                Need::Parameters
            } else {
                Need::Skip
            }
        };
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
        let tables = engine::fold(
            model,
            &RunOptions {
                breakdown,
                ..*options
            },
            &need,
            &|| Tables {
                rank: rank.table(),
                weighted: weighted.tables(),
            },
            &|| Chunk {
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
                        rank.visit(&mut tables.rank, column, key(acc.scratch[column]));
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
                let Some(w) = kept(index) else { return };
                if !weighted_columns.is_empty() {
                    let weight = fixed(w / total);
                    for &column in &weighted_columns {
                        let value = if column < series {
                            acc.scratch[column]
                        } else if column < series + model.inputs.len() {
                            drawn[column - series] as f32
                        } else {
                            let (p, k) = plans[column - series - model.inputs.len()];
                            model.programs[p].plans[k].price.get(drawn) as f32
                        };
                        weighted.visit(&mut tables.weighted, column, key(value), index, weight);
                    }
                }
                if referral_now {
                    let values = plans
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
                    means_by_chunk(&acc.sums);
                }
                if let Some(prior) = &acc.prior {
                    prior_totals.add(prior);
                }
                if referral_now {
                    referral_merge(&acc.referral);
                }
            },
        )?;
        passes += 1;
        let (ranks, sums): (Vec<_>, Vec<_>) =
            tables.into_iter().map(|t| (t.rank, t.weighted)).unzip();
        rank.advance(ranks);
        weighted.advance(sums);
        if means_now {
            posterior = Some(pass_means);
        }
        if referral_now {
            referral_stage += 1;
        }
        if prior_now {
            let prior = prior_totals.into_means(n);
            means.by_source = prior.by_source;
            means.by_program = prior.by_program;
            prior_breakdown_due = false;
        }
    }

    let mut percentiles = HashMap::new();
    for ((column, p), value) in rank.results().into_iter().chain(prior) {
        percentiles.insert((Flavour::Type7, column, p.to_bits()), value);
    }
    for ((column, p), value) in weighted.results() {
        percentiles.insert((Flavour::Weighted, column, p.to_bits()), value);
    }
    let referral_values = if applied {
        plans
            .iter()
            .enumerate()
            .map(|(j, &(p, k))| {
                let (year, life, renewals, total) = referral[j];
                ReferralValue {
                    program: model.programs[p].name.clone(),
                    plan: model.programs[p].plans[k].name.clone(),
                    billing: model.programs[p].plans[k].billing,
                    price: percentiles[&(Flavour::Weighted, price_column(j), 50f64.to_bits())],
                    first_year: year.estimate(),
                    lifetime: life.estimate(),
                    expected_renewals: if total > 0.0 { renewals / total } else { 0.0 },
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let shares = points
        .iter()
        .zip(&observed_columns)
        .zip(&below)
        .map(|((point, column), count)| {
            ((*column, point.value.to_bits()), *count as f64 / n as f64)
        })
        .collect();
    let streamed = Streamed {
        columns: kept_columns.into_iter().zip(kept_values).collect(),
        outcomes: model
            .targets
            .iter()
            .map(|t| (t.metric, t.month_index, t.threshold.to_bits()))
            .zip(outcomes)
            .collect(),
        percentiles,
        shares,
        fit,
        posterior_means: posterior,
        referral_values,
        months,
        passes,
    };
    Ok(Simulation {
        paths: n,
        months,
        seed,
        first_path: options.first_path,
        series: Vec::new(),
        parameters,
        parameter_count,
        first_payout,
        mean: means.mean,
        mean_by_source: means.by_source,
        mean_by_program: means.by_program,
        breakdown: Breakdown::Averaged,
        weights: None,
        streamed: Some(Box::new(streamed)),
        lineage: None,
    })
}
