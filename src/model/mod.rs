//! The resolved generative model: what the engine simulates.
//!
//! A [`Model`] is built from a scenario file by `scenario::resolve` and holds
//! no unchecked value: every rate is in [0, 1], every price positive, every
//! reference resolved to an index. docs/MODEL.md states the model in words and
//! formulas; this module and `engine::path` are its implementation.

pub mod churn;
pub mod commission;
pub mod dist;
pub mod metric;
pub mod traffic;

use serde::Serialize;

pub use churn::Churn;
pub use commission::{PayoutSchedule, RecurringRule, Tier, TierPeriod};
pub use dist::Dist;
pub use metric::Metric;
pub use traffic::{ContentKind, Traffic};

use crate::calendar::Month;

/// A model input: a constant, or the index of an uncertain input drawn once
/// per path into that path's parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Param {
    Fixed(f64),
    Drawn(usize),
}

impl Param {
    #[inline]
    pub fn get(self, drawn: &[f64]) -> f64 {
        match self {
            Param::Fixed(value) => value,
            Param::Drawn(index) => drawn[index],
        }
    }
}

/// One uncertain input: what we don't know about the world, drawn once per path.
#[derive(Clone, Debug, Serialize)]
pub struct UncertainInput {
    /// The scenario key it came from, e.g. `content[0].ctr`; `--set` and
    /// sensitivity output use it.
    pub key: String,
    /// Plain words, e.g. "Blog post: click-through rate".
    pub label: String,
    pub dist: Dist,
    /// Amounts are shown in dollars, rates in percent.
    pub unit: Unit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Rate,
    Dollars,
    Count,
    Months,
}

/// An uncertain plan mix: Dirichlet around the stated shares. Draws land in
/// the parameter vector at `first..first + shares.len()`.
#[derive(Clone, Debug, Serialize)]
pub struct UncertainMix {
    pub program: usize,
    pub shares: Vec<f64>,
    pub concentration: f64,
    pub first: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Model {
    pub name: String,
    pub description: Option<String>,
    pub start: Month,
    pub months: usize,
    pub paths: usize,
    pub seed: u64,
    pub headline: Metric,
    pub inputs: Vec<UncertainInput>,
    pub mixes: Vec<UncertainMix>,
    pub programs: Vec<Program>,
    pub sources: Vec<Source>,
    pub targets: Vec<Target>,
    pub observed: Option<Observed>,
}

impl Model {
    /// Length of a path's parameter vector (scalar inputs plus mix shares).
    pub fn parameter_count(&self) -> usize {
        self.inputs.len() + self.mixes.iter().map(|m| m.shares.len()).sum::<usize>()
    }

    pub fn month(&self, index: usize) -> Month {
        self.start.plus(index as i32)
    }

    pub fn end(&self) -> Month {
        self.month(self.months - 1)
    }

    /// Index of a calendar month inside the horizon.
    pub fn month_index(&self, month: Month) -> Option<usize> {
        let index = month.since(self.start);
        (index >= 0 && (index as usize) < self.months).then_some(index as usize)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Program {
    pub name: String,
    pub plans: Vec<Plan>,
    /// Plan shares of new paying referrals: fixed, or drawn (see [`UncertainMix`]).
    pub mix: Vec<Param>,
    pub first_order_rate: Param,
    pub recurring: RecurringRule,
    pub upgrade_rate: Param,
    pub bounty: Param,
    pub refund_rate: Param,
    pub tiers: Vec<Tier>,
    pub hold_days: u32,
    pub payout: PayoutSchedule,
    pub payout_minimum: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub name: String,
    pub price: Param,
    pub churn: Churn,
    /// Monthly probability that a renewing referral moves to another plan.
    pub upgrade: Option<Upgrade>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Upgrade {
    pub to: usize,
    pub probability: Param,
}

/// One `[[content]]` entry: a piece of content or a repeating series of them.
#[derive(Clone, Debug, Serialize)]
pub struct Source {
    pub name: String,
    pub kind: ContentKind,
    pub program: usize,
    /// Month indices (relative to the simulation start, possibly negative for
    /// content published before it) at which each copy is published.
    pub copies: Vec<i32>,
    pub traffic: Traffic,
    /// Share of visitors (or newsletter openers) who click the affiliate link.
    pub click_rate: Param,
    /// Coefficient of variation of the month-to-month traffic multiplier.
    pub noise: Param,
    pub signup_rate: Param,
    pub paid_rate: Param,
    pub trial_months: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub label: String,
    pub metric: Metric,
    pub threshold: f64,
    pub month: Month,
    /// Index of `month` within the horizon.
    pub month_index: usize,
}

/// Months already observed, for calibration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observed {
    pub start: Month,
    pub series: Vec<(Metric, Vec<f64>)>,
}
