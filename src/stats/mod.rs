//! From paths to answers: percentile bands, target probabilities with their
//! Monte Carlo standard errors, and timing of first events.

use rayon::prelude::*;
use serde::Serialize;

use crate::calendar::Month;
use crate::engine::Simulation;
use crate::model::{Metric, Model, Target};

/// The percentiles every band reports.
pub const PERCENTILES: [f64; 7] = [5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0];

/// A probability estimated from paths, with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub standard_error: f64,
}

impl Estimate {
    /// A share of `n` paths with its binomial standard error.
    pub fn proportion(hits: usize, n: usize) -> Estimate {
        let p = hits as f64 / n.max(1) as f64;
        Estimate {
            value: p,
            standard_error: (p * (1.0 - p) / n.max(1) as f64).sqrt(),
        }
    }

    /// Mean of values with the standard error of the mean.
    pub fn mean(values: impl Iterator<Item = f64>) -> Estimate {
        let (mut n, mut sum, mut sum_sq) = (0usize, 0.0, 0.0);
        for value in values {
            n += 1;
            sum += value;
            sum_sq += value * value;
        }
        if n == 0 {
            return Estimate {
                value: 0.0,
                standard_error: 0.0,
            };
        }
        let mean = sum / n as f64;
        let variance = if n > 1 {
            ((sum_sq - n as f64 * mean * mean) / (n as f64 - 1.0)).max(0.0)
        } else {
            0.0
        };
        Estimate {
            value: mean,
            standard_error: (variance / n as f64).sqrt(),
        }
    }
}

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
    let jobs: Vec<(usize, usize)> = (0..metrics.len())
        .flat_map(|m| (0..sim.months).map(move |t| (m, t)))
        .collect();
    let computed: Vec<Band> = jobs
        .par_iter()
        .map_init(Vec::new, |column, &(m, t)| {
            column.clear();
            column.extend(sim.column(metrics[m], t));
            let p = percentiles(column, &PERCENTILES);
            Band {
                month: model.month(t),
                percentiles: p.try_into().expect("seven"),
                mean: sim.mean(metrics[m], t),
            }
        })
        .collect();
    let mut computed = computed.into_iter();
    metrics
        .iter()
        .map(|metric| (*metric, computed.by_ref().take(sim.months).collect()))
        .collect()
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
    let threshold = target.threshold;
    let (mut in_month, mut by_month, mut ever) = (0, 0, 0);
    let mut first: Vec<usize> = Vec::with_capacity(sim.paths);
    for path in 0..sim.paths {
        let series = sim.path_series(path, target.metric);
        let reached = series.iter().position(|v| *v as f64 >= threshold);
        if series[target.month_index] as f64 >= threshold {
            in_month += 1;
        }
        if reached.is_some_and(|t| t <= target.month_index) {
            by_month += 1;
        }
        if reached.is_some() {
            ever += 1;
        }
        first.push(reached.unwrap_or(usize::MAX));
    }
    let half = (sim.paths - 1) / 2;
    let median_first_month = if first.is_empty() {
        None
    } else {
        let (_, median, _) = first.select_nth_unstable(half);
        (*median != usize::MAX).then(|| model.month(*median))
    };
    TargetResult {
        label: target.label.clone(),
        metric: target.metric,
        threshold,
        month: target.month,
        in_month: Estimate::proportion(in_month, sim.paths),
        by_month: Estimate::proportion(by_month, sim.paths),
        median_first_month,
        ever: Estimate::proportion(ever, sim.paths),
    }
}

/// When cash first arrives.
#[derive(Clone, Debug, Serialize)]
pub struct FirstPayout {
    /// Share of paths with any payout inside the horizon.
    pub any: Estimate,
    /// Month by which half of the paths have been paid at least once.
    pub median_month: Option<Month>,
    /// Day of the month the first program's payouts arrive.
    pub day: u32,
}

pub fn first_payout(model: &Model, sim: &Simulation) -> FirstPayout {
    let mut months: Vec<u16> = sim.first_payout.clone();
    let any = months.iter().filter(|m| **m != u16::MAX).count();
    let median_month = if months.is_empty() {
        None
    } else {
        let half = (months.len() - 1) / 2;
        let (_, median, _) = months.select_nth_unstable(half);
        (*median != u16::MAX).then(|| model.month(*median as usize))
    };
    FirstPayout {
        any: Estimate::proportion(any, sim.paths),
        median_month,
        day: model.programs.first().map_or(28, |p| p.payout.day),
    }
}

/// What one new paying referral is worth, by plan.
#[derive(Clone, Debug, Serialize)]
pub struct ReferralValue {
    pub program: String,
    pub plan: String,
    /// Median monthly price across paths.
    pub price: f64,
    /// Expected commission over the first 12 months (first order + 11 renewals).
    pub first_year: Estimate,
    /// Expected commission over up to ten years.
    pub lifetime: Estimate,
    /// Expected number of renewals (over up to ten years).
    pub expected_renewals: f64,
}

/// Months over which "lifetime" is counted.
pub const LIFETIME_MONTHS: usize = 120;

/// Expected commission from one referral by plan, averaged over the paths'
/// uncertain inputs (at most `limit` paths). Counts first order, bounty,
/// renewals and refunds at base rates; ignores tiers and upgrades.
pub fn referral_values(model: &Model, sim: &Simulation, limit: usize) -> Vec<ReferralValue> {
    let n = sim.paths.min(limit).max(1);
    let mut out = Vec::new();
    for program in &model.programs {
        for plan in &program.plans {
            let mut first_year = Vec::with_capacity(n);
            let mut lifetime = Vec::with_capacity(n);
            let mut renewals = 0.0;
            let mut prices = Vec::with_capacity(n);
            for path in 0..n.min(sim.paths) {
                let drawn = sim.parameters_of(path);
                let (value_12, value_life, expected_renewals) =
                    referral_value(program, plan, drawn);
                first_year.push(value_12);
                lifetime.push(value_life);
                renewals += expected_renewals;
                prices.push(plan.price.get(drawn) as f32);
            }
            let price = percentiles(&mut prices, &[50.0])[0];
            out.push(ReferralValue {
                program: program.name.clone(),
                plan: plan.name.clone(),
                price,
                first_year: Estimate::mean(first_year.into_iter()),
                lifetime: Estimate::mean(lifetime.into_iter()),
                expected_renewals: renewals / n as f64,
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
    let price = plan.price.get(drawn);
    let kept = 1.0 - program.refund_rate.get(drawn);
    let first = kept * (price * program.first_order_rate.get(drawn) + program.bounty.get(drawn));
    let (mut year, mut life, mut renewals) = (first, first, 0.0);
    let mut survival = kept;
    for k in 1..LIFETIME_MONTHS {
        survival *= plan.churn.renewal_probability(drawn, k);
        let value = survival * price * program.recurring.rate(drawn, k);
        if k < 12 {
            year += value;
        }
        life += value;
        renewals += survival;
    }
    (year, life, renewals)
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
}
