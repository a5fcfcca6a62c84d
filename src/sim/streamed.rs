//! What streaming mode's passes over the paths worked out, in place of the
//! paths themselves (see `crate::streaming`).

use std::collections::HashMap;

use serde::Serialize;

use super::columns::series_column;
use super::{Estimate, Simulation};
use crate::model::{Metric, Target};

/// The weights chosen for a simulation.
#[derive(Clone, Debug)]
pub struct Fit {
    /// Normalised, one per path.
    pub weights: Vec<f64>,
    pub effective_sample_size: f64,
    pub bandwidth: f64,
    pub target_ess: f64,
}

/// What one new paying referral is worth, by plan.
#[derive(Clone, Debug, Serialize)]
pub struct ReferralValue {
    pub program: String,
    pub plan: String,
    /// Median price across paths (monthly, or the single charge of a
    /// one-time plan).
    pub price: f64,
    #[serde(skip_serializing_if = "crate::model::Billing::is_monthly")]
    pub billing: crate::model::Billing,
    /// Expected commission over the first 12 months (first order + 11 renewals).
    pub first_year: Estimate,
    /// Expected commission over up to ten years.
    pub lifetime: Estimate,
    /// Expected number of renewals (over up to ten years).
    pub expected_renewals: f64,
}

/// Which percentile definition a statistic uses: type 7 over all paths, or
/// the weighted one over the paths [`kept`] (with equal weights when the
/// simulation is not calibrated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PercentileRule {
    /// Type 7 (linear between order statistics) over every path.
    Unweighted,
    /// Exact cumulative weights over the paths kept.
    Weighted,
}

impl PercentileRule {
    pub fn of(sim: &Simulation) -> PercentileRule {
        if sim.weights.is_some() {
            PercentileRule::Weighted
        } else {
            PercentileRule::Unweighted
        }
    }
}

/// What the passes computed, in place of the paths themselves.
#[derive(Clone, Debug)]
pub struct StreamedAnswers {
    /// Whole columns kept, one f32 per path: `(column id, values)`.
    pub(crate) columns: Vec<(usize, Vec<f32>)>,
    /// Per target: `(metric, month, threshold bits)` and one outcome per path.
    pub(crate) outcomes: Vec<((Metric, usize, u64), Vec<u16>)>,
    /// Percentiles found: `(rule, column, percentile bits)`.
    pub(crate) percentiles: HashMap<(PercentileRule, usize, u64), f64>,
    /// Unweighted share of paths at or below each observed value.
    pub(crate) shares: Vec<((usize, u64), f64)>,
    pub(crate) fit: Option<Fit>,
    pub(crate) posterior_means: Option<[Vec<f64>; 3]>,
    pub(crate) referral_values: Vec<ReferralValue>,
    pub(crate) months: usize,
    /// Passes made over the paths.
    pub passes: usize,
}

impl super::Answers for StreamedAnswers {
    fn value(&self, path: usize, metric: Metric, month: usize) -> f32 {
        let column = series_column(self.months, metric, month);
        match self.columns.iter().find(|(c, _)| *c == column) {
            Some((_, values)) => values[path],
            None => panic!(
                "streaming mode keeps no values of {metric:?} in month {month}; add the column to streaming::kept_columns"
            ),
        }
    }

    fn outcome(&self, path: usize, target: &Target) -> u16 {
        let wanted = (
            target.metric,
            target.month_index,
            target.threshold.to_bits(),
        );
        match self.outcomes.iter().find(|(k, _)| *k == wanted) {
            Some((_, codes)) => codes[path],
            None => panic!("streaming mode has no outcomes for target {}", target.label),
        }
    }

    /// Percentiles of a column found by the passes.
    fn percentiles(&self, rule: PercentileRule, column: usize, wanted: &[f64]) -> Vec<f64> {
        wanted
            .iter()
            .map(|p| match self.percentiles.get(&(rule, column, p.to_bits())) {
                Some(value) => *value,
                None => panic!(
                    "streaming mode did not look for the {rule:?} {p}th percentile of column {column}; add it to streaming::wanted"
                ),
            })
            .collect()
    }

    fn share_at_or_below(&self, metric: Metric, month: usize, value: f64) -> f64 {
        let column = series_column(self.months, metric, month);
        self.shares
            .iter()
            .find(|(k, _)| *k == (column, value.to_bits()))
            .map(|(_, share)| *share)
            .expect("observed values are counted in the first pass")
    }
}

impl StreamedAnswers {
    pub fn take_fit(&mut self) -> Option<Fit> {
        self.fit.take()
    }

    pub fn take_posterior_means(&mut self) -> Option<[Vec<f64>; 3]> {
        self.posterior_means.take()
    }

    pub fn referral_values(&self) -> Vec<ReferralValue> {
        self.referral_values.clone()
    }
}
