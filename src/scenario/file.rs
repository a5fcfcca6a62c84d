//! The scenario file as written: serde mirrors of the TOML tables.
//! Everything here is checked and turned into a [`crate::model::Model`] by
//! `resolve`; docs/SCENARIO.md documents each field for users.

use serde::{Deserialize, Serialize};

use super::input::InputSpec;
use crate::calendar::Month;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Names the output folder and titles every chart.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub simulation: SimulationSection,
    #[serde(default)]
    pub funnel: FunnelSection,
    pub programs: Vec<ProgramSection>,
    #[serde(default)]
    pub content: Vec<ContentSection>,
    #[serde(default)]
    pub targets: Vec<TargetSection>,
    #[serde(default)]
    pub observed: Option<ObservedSection>,
    /// Strategies to compare against this base scenario (`affsim compare`).
    #[serde(default)]
    pub variants: Vec<VariantSection>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSection {
    pub name: String,
    /// The month the changes take over (`"YYYY-MM"`), or `"start"`; by
    /// default the month after the last observed one (the start when
    /// nothing is observed). Months before it are the scenario as written.
    #[serde(default)]
    pub from: Option<String>,
    /// Overrides in `--set` syntax, e.g. ["content[1].visits=0"].
    #[serde(default)]
    pub set: Vec<String>,
    /// Content entries this strategy adds (`[[variants.content]]`).
    #[serde(default)]
    pub content: Vec<ContentSection>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    pub start: Month,
    #[serde(default)]
    pub end: Option<Month>,
    #[serde(default)]
    pub months: Option<i64>,
    #[serde(default)]
    pub paths: Option<i64>,
    #[serde(default)]
    pub seed: Option<i64>,
    #[serde(default)]
    pub headline: Option<String>,
    #[serde(default)]
    pub precision: Option<f64>,
    #[serde(default)]
    pub calibration: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelSection {
    #[serde(default)]
    pub signup_rate: Option<InputSpec>,
    #[serde(default)]
    pub paid_rate: Option<InputSpec>,
    #[serde(default)]
    pub trial_months: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSection {
    pub name: String,
    #[serde(default)]
    pub first_order_rate: Option<InputSpec>,
    #[serde(default)]
    pub recurring_rate: Option<InputSpec>,
    #[serde(default)]
    pub recurring_months: Option<i64>,
    #[serde(default)]
    pub recurring_schedule: Vec<ScheduleStep>,
    #[serde(default)]
    pub upgrade_rate: Option<InputSpec>,
    #[serde(default)]
    pub bounty: Option<InputSpec>,
    #[serde(default)]
    pub refund_rate: Option<InputSpec>,
    #[serde(default)]
    pub hold_days: Option<i64>,
    #[serde(default)]
    pub payout_minimum: Option<f64>,
    #[serde(default)]
    pub payout_schedule: Option<String>,
    #[serde(default)]
    pub mix_concentration: Option<f64>,
    #[serde(default)]
    pub tiers: Vec<TierSection>,
    /// None: a bounty-only program.
    #[serde(default)]
    pub plans: Vec<PlanSection>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStep {
    /// How many renewals this step covers; omitted on the last step (= all later renewals).
    #[serde(default)]
    pub renewals: Option<i64>,
    pub rate: InputSpec,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TierSection {
    pub after: i64,
    #[serde(default)]
    pub per: Option<String>,
    #[serde(default)]
    pub first_order_rate: Option<InputSpec>,
    #[serde(default)]
    pub recurring_rate: Option<InputSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSection {
    pub name: String,
    pub price: InputSpec,
    /// "monthly" (the default) or "one-time".
    #[serde(default)]
    pub billing: Option<String>,
    #[serde(default)]
    pub share: Option<f64>,
    #[serde(default)]
    pub churn: Option<InputSpec>,
    #[serde(default)]
    pub churn_sbg: Option<SbgSection>,
    #[serde(default)]
    pub churn_weibull: Option<WeibullSection>,
    #[serde(default)]
    pub upgrade_to: Option<String>,
    #[serde(default)]
    pub upgrade_probability: Option<InputSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SbgSection {
    pub alpha: InputSpec,
    pub beta: InputSpec,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WeibullSection {
    pub scale_months: InputSpec,
    pub shape: InputSpec,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContentSection {
    pub name: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub program: Option<String>,
    /// Instead of `program`: several programs, each with its share of the
    /// entry's clicks.
    #[serde(default)]
    pub programs: Option<Vec<ProgramShare>>,
    pub publish: Month,
    // Pages (blog, video, other)
    #[serde(default)]
    pub visits: Option<InputSpec>,
    /// Instead of `visits` (the peak month's): the total over its life.
    #[serde(default)]
    pub lifetime_visits: Option<InputSpec>,
    #[serde(default)]
    pub ramp_months: Option<i64>,
    #[serde(default)]
    pub half_life_months: Option<InputSpec>,
    #[serde(default)]
    pub ctr: Option<InputSpec>,
    // Newsletters
    #[serde(default)]
    pub subscribers: Option<InputSpec>,
    #[serde(default)]
    pub subscriber_growth: Option<InputSpec>,
    #[serde(default)]
    pub sends_per_month: Option<f64>,
    #[serde(default)]
    pub open_rate: Option<InputSpec>,
    #[serde(default)]
    pub click_rate: Option<InputSpec>,
    // Both
    #[serde(default)]
    pub noise: Option<InputSpec>,
    #[serde(default)]
    pub signup_rate: Option<InputSpec>,
    #[serde(default)]
    pub paid_rate: Option<InputSpec>,
    #[serde(default)]
    pub repeat: Option<RepeatSection>,
    /// Share (0..1) of a repeating entry's uncertainty in visits or
    /// subscribers that belongs to each copy rather than to all of them.
    #[serde(default)]
    pub copy_spread: Option<f64>,
}

/// One of the programs a content entry promotes: `{ name = "Global API",
/// share = 0.7 }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramShare {
    pub name: String,
    pub share: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatSection {
    #[serde(default)]
    pub every_months: Option<i64>,
    #[serde(default)]
    pub every_weeks: Option<i64>,
    /// Copies per month, evenly spaced (may be fractional: 0.5 = every
    /// other month).
    #[serde(default)]
    pub per_month: Option<f64>,
    #[serde(default)]
    pub count: Option<i64>,
    /// A month ("2026-09") or "end".
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    #[serde(default)]
    pub label: Option<String>,
    pub metric: String,
    pub at_least: f64,
    pub month: Month,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedSection {
    pub start: Month,
    #[serde(default)]
    pub earned: Vec<f64>,
    #[serde(default)]
    pub clicks: Vec<f64>,
    #[serde(default)]
    pub new_referrals: Vec<f64>,
    #[serde(default)]
    pub active_referrals: Vec<f64>,
    #[serde(default)]
    pub paid: Vec<f64>,
    #[serde(default)]
    pub note: Option<String>,
}
