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
pub use commission::{PayoutDay, PayoutSchedule, RecurringRule, Tier, TierPeriod};
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

/// How the paths are conditioned on observed history (docs/MODEL.md,
/// section 10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conditioning {
    /// Weighted and resampled month by month; paths kept in memory only (a
    /// streamed run falls back to whole-path weighting).
    #[default]
    Sequential,
    /// Every prior path weighted by its whole observed series (what the
    /// strategy tools and streaming mode use).
    WholePath,
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
    /// Run until the first target's standard error is at most this, instead
    /// of a fixed number of paths (`[simulation] precision`).
    #[serde(skip)]
    pub precision: Option<f64>,
    /// How `run` conditions on observed history (`[simulation] calibration`).
    #[serde(skip)]
    pub conditioning: Conditioning,
    pub inputs: Vec<UncertainInput>,
    /// Plain words for every input's scenario key, fixed or uncertain, e.g.
    /// (`funnel.paid_rate`, "Funnel: paid conversion of sign-ups"): charts
    /// name a swept key by them.
    #[serde(skip)]
    pub labels: Vec<(String, String)>,
    pub mixes: Vec<UncertainMix>,
    pub programs: Vec<Program>,
    pub sources: Vec<Source>,
    pub targets: Vec<Target>,
    pub observed: Option<Observed>,
    /// Set for a strategy that takes over from a month: every month before
    /// it is simulated with the scenario as written (see [`ChangeFrom`]).
    #[serde(skip)]
    pub change_from: Option<Box<ChangeFrom>>,
}

/// A strategy's settings take over from month `month`; before it, each path
/// runs under `base`, the scenario as written, with the same random streams
/// and the same draws, so those months are the base's to the last bit.
/// `base` has the same programs and plans, and its content entries are the
/// first of this model's (a strategy may add entries after them).
#[derive(Clone, Debug)]
pub struct ChangeFrom {
    /// Month index (from the simulation start) of the first changed month.
    pub month: usize,
    pub base: Model,
}

impl Model {
    /// The plain words for a scenario key (see [`Model::labels`]).
    pub fn label_of(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, label)| label.as_str())
    }

    /// A scenario key in plain words: its label when it has one, else the
    /// entry's name and the field in words ("New videos: repeat per month").
    pub fn describe_key(&self, key: &str) -> String {
        if let Some(label) = self.label_of(key) {
            return label.to_string();
        }
        let entry = |prefix: &str| -> Option<(usize, &str)> {
            let rest = key.strip_prefix(prefix)?;
            let (index, field) = rest.split_once("].")?;
            Some((index.parse().ok()?, field))
        };
        let named = entry("content[")
            .and_then(|(i, field)| Some((self.sources.get(i)?.name.as_str(), field)))
            .or_else(|| {
                entry("programs[")
                    .and_then(|(i, field)| Some((self.programs.get(i)?.name.as_str(), field)))
            });
        match named {
            Some((name, field)) => format!("{name}: {}", field.replace(['.', '_'], " ")),
            None => key.to_string(),
        }
    }

    /// The settings in force in month `t`: the base's before a strategy
    /// takes over, this model's from then on.
    #[inline]
    pub fn in_force(&self, t: usize) -> &Model {
        match &self.change_from {
            Some(change) if t < change.month => &change.base,
            _ => self,
        }
    }

    /// Why `metric` is $0 in every month of every future, when the model
    /// makes it so: a target on it above zero cannot be reached.
    pub fn never_earns(&self, metric: Metric) -> Option<String> {
        let zero = |param: Param| matches!(param, Param::Fixed(value) if value == 0.0);
        let recurring = |program: &Program| {
            program.plans.iter().any(|plan| plan.billing.is_monthly())
                && (!program.recurring.steps.iter().all(|(_, rate)| zero(*rate))
                    || program
                        .tiers
                        .iter()
                        .any(|tier| tier.recurring_rate.is_some_and(|rate| !zero(rate))))
        };
        match metric {
            Metric::Mrr | Metric::Recurring if !self.programs.iter().any(recurring) => Some(
                "no program pays a recurring commission (recurring_rate is 0, or it has only one-time plans or a bounty), so recurring commission and its MRR are $0 in every future; set the target on earned or cumulative_earned".into(),
            ),
            _ if self.sources.is_empty() && metric != Metric::ActiveReferrals => Some(
                "the scenario has no [[content]], so nothing is ever earned; add content".into(),
            ),
            _ => None,
        }
    }

    /// The month index from which this model's own settings apply: 0 unless
    /// it is a strategy from a later month.
    pub fn takes_over(&self) -> usize {
        self.change_from.as_ref().map_or(0, |c| c.month)
    }

    /// The last observed month's index plus one (0 without history): the
    /// first month a strategy may change without rewriting the history.
    pub fn after_history(&self) -> usize {
        self.observed.as_ref().map_or(0, |observed| {
            let months = observed
                .series
                .iter()
                .map(|(_, values)| values.len())
                .max()
                .unwrap_or(0);
            (observed.start.since(self.start) + months as i32).max(0) as usize
        })
    }

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

impl Program {
    /// Per plan, the age from which referrals of all older ages share one
    /// cohort bucket: past it neither churn nor the commission rate changes
    /// with age, so their futures are identical. A plan that feeds upgrades
    /// into another keeps at least as many ages apart as that plan does, so
    /// that upgraders land in a bucket of their own age (and join month).
    pub fn merged_ages(&self, months: usize) -> Vec<usize> {
        let mut caps: Vec<usize> = self
            .plans
            .iter()
            .map(|plan| {
                if plan.billing == Billing::OneTime {
                    0
                } else if plan.churn.is_memoryless() {
                    self.recurring.settles_after().min(months)
                } else {
                    months
                }
            })
            .collect();
        for _ in 0..self.plans.len() {
            for (k, plan) in self.plans.iter().enumerate() {
                if let Some(up) = plan.upgrade {
                    caps[k] = caps[k].max(caps[up.to]);
                }
            }
        }
        caps
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub name: String,
    pub price: Param,
    /// Monthly (a subscription that renews) or one-time (a single charge).
    #[serde(skip_serializing_if = "Billing::is_monthly")]
    pub billing: Billing,
    /// For a one-time plan, churn 1: nobody renews.
    pub churn: Churn,
    /// Monthly probability that a renewing referral moves to another plan.
    pub upgrade: Option<Upgrade>,
}

/// How a plan charges: every month until the customer churns, or once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Billing {
    #[default]
    Monthly,
    /// A single charge (a course, a lifetime licence): the first order is
    /// the only commission; the buyer never renews, upgrades, or counts in
    /// active referrals or MRR.
    OneTime,
}

impl Billing {
    pub fn is_monthly(&self) -> bool {
        *self == Billing::Monthly
    }
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
    /// The programs its affiliate links point to, each with its share of
    /// the entry's clicks (one link of share 1 for `program = "..."`).
    pub links: Vec<Link>,
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
    /// How much of the uncertainty in each copy's size is its own (see
    /// [`PerCopy`]); `None`: every copy shares one draw.
    pub per_copy: Option<PerCopy>,
    /// `copy_spread` as written (or its default): `per_copy` is `None`
    /// despite a positive spread when the entry has one copy, a fixed size,
    /// or a size of a family the spread does not split.
    pub copy_spread: f64,
    /// Added by a strategy (`[[variants.content]]`): its funnel is drawn
    /// from streams of its own rather than with the scenario's entries, so
    /// adding it leaves their draws as they were.
    pub own_streams: bool,
}

/// One program a content entry promotes, and the share of the entry's
/// clicks that go to it (the shares of an entry's links sum to 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Link {
    pub program: usize,
    pub share: f64,
}

/// The split of a repeating entry's uncertain size (peak visits, or
/// subscribers), a lognormal `exp(N(mu, sigma²))` drawn into input `input`,
/// into a part all copies share and a part each copy draws for itself:
/// copy c's size is `exp(mu + sigma·(√(1−spread)·z + √spread·z_c))` with
/// `z` the input's own standard normal and `z_c` the copy's, so one copy's
/// marginal is still the stated distribution (docs/MODEL.md §3).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PerCopy {
    pub input: usize,
    pub mu: f64,
    pub sigma: f64,
    /// The share of the log-variance that is each copy's own.
    pub spread: f64,
}

impl PerCopy {
    /// Copy `c`'s multiplier on the entry's drawn size, given the copy's
    /// standard normal: the shared part shrunk to its share, times the
    /// copy's own part.
    #[inline]
    pub fn factor(&self, drawn: &[f64], z_copy: f64) -> f64 {
        let z = (drawn[self.input].ln() - self.mu) / self.sigma;
        let shared = self.sigma * ((1.0 - self.spread).sqrt() - 1.0) * z;
        (shared + self.sigma * self.spread.sqrt() * z_copy).exp()
    }
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
